"""The embedded local stack: the SAM template's functions, HTTP API, queue wiring and S3
notification on one machine, against moto's AWS emulation (no Docker, no AWS account).

- ``template``: reads ``template.yaml`` (CloudFormation tags, intrinsic functions, SAM globals).
- ``apigw``: HTTP request <-> API Gateway HTTP API payload 2.0 event / response.
- ``lambdas``: loads ``functions/<dir>/app.py`` in-process and invokes it with its environment.
- ``esm``: the SQS event source mapping (long poll, batch, partial batch failures).
- ``stack``: moto start-up, template resources, seeding; shared by ``serve``, ``invoke`` and
  the demo.
- ``server``: ``storemon serve``; ``invoke``: ``storemon invoke``; ``demo``: ``make demo``.
"""
