"""The report page: one self-contained HTML file an owner reads at a glance (issue 11).

- :mod:`~storemon.page.data`: the page's data (JSON columns) and its keys
  (``PAGE_DATA_SCHEMA``);
- :mod:`~storemon.page.render`: ``render_report_page(result)``: ``page.html`` with the style
  (``page.css``), the week-uptime chart (inline SVG), the data and the script (``page.js``)
  inlined, one self-contained HTML file.
"""
