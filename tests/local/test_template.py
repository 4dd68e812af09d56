"""Reading the SAM template (storemon_dev.local.template)."""

from __future__ import annotations

import textwrap

import pytest

from storemon_dev.local.template import Template, TemplateError
from tests.conftest import ROOT

MINI = textwrap.dedent(
    """
    Parameters:
      Memory: {Type: Number, Default: 256}
      Stage: {Type: String, Default: dev}
    Globals:
      Function:
        Handler: app.lambda_handler
        Timeout: 10
        Layers: [!Ref Layer]
        Environment:
          Variables:
            BUCKET: !Ref Bucket
            QUEUE_ARN: !GetAtt Queue.Arn
            SHARED: from-globals
    Resources:
      Layer:
        Type: AWS::Serverless::LayerVersion
        Properties: {ContentUri: layers/common/}
      Bucket:
        Type: AWS::S3::Bucket
        Properties:
          BucketName: !Sub "data-${AWS::AccountId}-${Stage}"
      Queue:
        Type: AWS::SQS::Queue
      Api:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: functions/api/
          MemorySize: !Ref Memory
          Environment:
            Variables:
              SHARED: own
          Events:
            Get: {Type: HttpApi, Properties: {Path: "/items/{id}", Method: get}}
            Any: {Type: HttpApi, Properties: {Path: /any, Method: ANY}}
            Default: {Type: HttpApi}
            Cron: {Type: Schedule, Properties: {Schedule: rate(1 minute)}}
      Worker:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: functions/worker
          Handler: pkg.main.handle
          Events:
            Jobs:
              Type: SQS
              Properties:
                Queue: !GetAtt Queue.Arn
                BatchSize: 5
                MaximumBatchingWindowInSeconds: 2
                FunctionResponseTypes: [ReportBatchItemFailures]
                ScalingConfig: {MaximumConcurrency: 3}
    """
)


@pytest.fixture
def mini(tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text(MINI)
    return Template.load(path)


def test_functions_globals_and_events(mini, tmp_path):
    api = mini.function("Api")
    assert api.code_dir == tmp_path / "functions" / "api"
    assert api.module_file == tmp_path / "functions" / "api" / "app.py"
    assert api.handler_attribute == "lambda_handler"
    assert api.timeout == 10 and api.memory == 256  # Globals, and a Ref to a parameter
    assert api.environment["SHARED"] == "own" and api.environment["BUCKET"] == {"Ref": "Bucket"}
    assert [r.route_key for r in api.routes] == ["GET /items/{id}", "ANY /any", "$default"]
    assert api.unsupported_events == ["Cron (Schedule)"]
    assert mini.layer_dirs(api) == [tmp_path / "layers" / "common"]

    worker = mini.function("worker")  # the short name (the code directory)
    assert worker.module_file == tmp_path / "functions" / "worker" / "pkg" / "main.py"
    (source,) = worker.sqs_sources
    assert source.queue_logical_id == "Queue"
    assert (source.batch_size, source.batching_window) == (5, 2.0)
    assert source.report_batch_item_failures and source.max_concurrency == 3
    with pytest.raises(TemplateError, match="known: Api"):
        mini.function("nope")
    with pytest.raises(TemplateError, match="cannot read"):
        Template.load(tmp_path / "missing.yaml")


def test_the_projects_template_is_readable():
    template = Template.load(ROOT / "template.yaml")
    names = {spec.short_name for spec in template.functions.values()}
    assert {"trigger", "worker", "get_report"} <= names
    for spec in template.functions.values():
        assert spec.module_file.is_file(), spec
    assert template.routes and template.sqs_sources
    assert template.function("TriggerFunction") is template.function("trigger")
