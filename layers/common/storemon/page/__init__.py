"""The report page: one self-contained HTML file an owner reads at a glance (issue 11).

- :mod:`~storemon.page.render`: ``render_report_page(result)``, the page's data, the chart;
- ``page.css``, ``page.js``: the page's style and script, inlined into every page.
"""
