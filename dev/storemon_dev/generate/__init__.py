"""Realistic synthetic store-monitoring data sets (store_status, menu_hours, timezones).

- :mod:`~storemon_dev.generate.dataset`: the entry points (``write_dataset``,
  ``generate_csv_bytes``, ``generate_frames``) and the stores;
- :mod:`~storemon_dev.generate.calibration`: every count and share, measured on the real
  files;
- :mod:`~storemon_dev.generate.hours`: the business hours;
- :mod:`~storemon_dev.generate.polls`: the polls, gaps, outages and closed-store inactivity;
- :mod:`~storemon_dev.generate.csv_text`: the three files' text, built as byte matrices.

The shapes and quirks are calibrated on the public Loop data (see docs/generator.md for
the figures): 15-19 digit store ids, polls about hourly that land a few minutes after the
hour, gaps and outage runs, business hours with several intervals a day, late-night
closing written as a ``00:00:00``-``HH:MM`` row on the next day, whole days written as
``00:00:00``-``23:59:00`` or ``00:00:00``-``23:59:59``, stores open only some days, about
20 % of stores without hours and 5 % without a zone, the real zones with their real
frequencies, and timestamps like ``2023-01-22 12:09:39.388884 UTC`` whose trailing zeros
are dropped (so 0-6 fraction digits).

Everything is vectorised with numpy: there is no Python loop over stores or polls (only
over the seven weekdays, the six fraction digits and the zones). The CSV text is built as
a byte matrix, one fixed-width row per line with NUL padding that is then squeezed out,
so the full-scale data set (14,092 stores, about 1.8 M polls) takes a few seconds.

The same arguments always give the same bytes (one ``numpy.random.Generator`` seeded
with ``seed`` drives every draw; gzip output carries no file name and a zero mtime).
"""
