"""storemon: uptime and downtime of restaurant stores within business hours (the Lambda layer).

Packages, each importing only those below it (docs/ARCHITECTURE.md; ``make lint`` checks it):

- :mod:`storemon.service`: the report service behind the three Lambda handlers;
- :mod:`storemon.snapshot` (the columnar snapshot and its reports) and :mod:`storemon.page`
  (the report page);
- :mod:`storemon.report`: the report computation;
- :mod:`storemon.inputs` (the three files) and :mod:`storemon.clock` (time);
- :mod:`storemon.errors` and :mod:`storemon.json_values`: leaves anything may import.
"""
