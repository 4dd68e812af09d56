"""The report service (SPEC section 6) behind the three Lambda handlers.

- :mod:`~storemon.service.trigger`: validate a request, record it (``Running``), queue it.
- :mod:`~storemon.service.worker`: SQS records: report jobs and S3 upload notifications.
- :mod:`~storemon.service.reports`: ``get_report`` (status / presigned URL) and ``store_summary``.
- :mod:`~storemon.service.records`: the DynamoDB report record and its forward-only states.
- :mod:`~storemon.service.sources`: which S3 objects are the three inputs, read by version.
- :mod:`~storemon.service.http`: JSON bodies, errors and responses of the HTTP API.
- :mod:`~storemon.service.settings`: the configuration from the environment.

AWS is reached only through :mod:`storemon.service.aws`; the computation is
:mod:`storemon.report.pipeline`.
"""
