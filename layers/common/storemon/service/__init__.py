"""The report service (SPEC section 6) behind the three Lambda handlers (``functions/*/app.py``).

Entry and edge:

- :mod:`~storemon.service.lambda_entry`: what the handlers share (Powertools decorators, the
  HTTP functions' resolver, settings and caller);
- :mod:`~storemon.service.http`: the only place that maps errors and report states to HTTP
  status codes, headers and JSON bodies;
- :mod:`~storemon.service.request_rules`: what a request may hold (patterns, limits, each
  route's parameters, each JSON body), declared once and checked by hand
  (:mod:`~storemon.service.request_schema`: no pydantic at a cold start);
- :mod:`~storemon.service.api_models`: the OpenAPI document's models (pydantic), the request
  bodies built from ``request_rules``' declarations; imported by no handler;
- :mod:`~storemon.service.authz`: who calls (from the verified claims) and what they may see;
- :mod:`~storemon.service.settings`: the configuration from the environment;
- :mod:`~storemon.service.observability`: the one Powertools logger, tracer and metrics.

What the routes and messages do:

- :mod:`~storemon.service.trigger`: validate a request, record it (``Running``), queue it;
- :mod:`~storemon.service.reports`: a report's state and presigned URLs; the report list;
- :mod:`~storemon.service.stores`: one store's summary, report and incidents;
- :mod:`~storemon.service.worker`: SQS messages: report jobs and S3 upload notifications;
- :mod:`~storemon.service.report_jobs`: compute a report job, write its files, complete it;
- :mod:`~storemon.service.refresh`: upload refreshes (quiet period, ``latest`` ordering).

State and data:

- :mod:`~storemon.service.records`: the DynamoDB report record and its forward-only states;
- :mod:`~storemon.service.sources`: which S3 objects are the three inputs, read by version;
- :mod:`~storemon.service.input_sets`: an input set's snapshot, and a record's report computed
  from it or from the CSV files;
- :mod:`~storemon.service.report_files`: a report's files in S3 (keys, writing, reading);
- :mod:`~storemon.service.cache`: what a warm container keeps of S3 objects;
- :mod:`~storemon.service.aws`: the only module that talks to AWS (boto3).

The computation (:mod:`storemon.report`, :mod:`storemon.snapshot`, :mod:`storemon.page`) is
imported lazily, by ``input_sets`` and ``report_files`` only: the trigger's cold start and
get_report's routes that do not compute load neither pandas nor NumPy (and no handler pydantic).
"""
