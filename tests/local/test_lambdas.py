"""In-process functions (storemon_dev.local.lambdas) and the stack's wiring (local.stack),
on a small template of their own."""

from __future__ import annotations

import json
import os
import textwrap
import threading
import time
import uuid

import boto3
import pytest

from storemon_dev.local.lambdas import EnvironmentGate, FunctionError
from storemon_dev.local.stack import LocalStack

TEMPLATE = textwrap.dedent(
    """
    Globals:
      Function:
        Handler: app.lambda_handler
        Timeout: 5
        Environment:
          Variables:
            BUCKET_NAME: !Ref DataBucket
            QUEUE_URL: !Ref ReportQueue
            SHARED: globals
    Resources:
      DataBucket:
        Type: AWS::S3::Bucket
      ReportQueue:
        Type: AWS::SQS::Queue
        Properties:
          VisibilityTimeout: 1
      EchoFunction:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: functions/echo/
          MemorySize: 256
          Environment:
            Variables:
              SHARED: echo
          Events:
            Echo: {Type: HttpApi, Properties: {Path: "/echo/{name}", Method: GET}}
      SinkFunction:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: functions/sink/
          Events:
            Jobs:
              Type: SQS
              Properties:
                Queue: !GetAtt ReportQueue.Arn
                BatchSize: 1
                FunctionResponseTypes: [ReportBatchItemFailures]
    """
)
ECHO = textwrap.dedent(
    """
    import os
    import helper  # a sibling module: the code directory is on sys.path, as in Lambda

    def lambda_handler(event, context):
        if event.get("rawPath") == "/echo/boom":
            raise ValueError("boom")
        if event.get("rawPath") == "/echo/set":
            return {"statusCode": 200, "body": {1, 2}}  # not JSON
        return {
            "statusCode": 200,
            "body": helper.dump({
                "env": {k: os.environ.get(k) for k in
                        ("BUCKET_NAME", "QUEUE_URL", "SHARED", "AWS_ENDPOINT_URL", "AWS_REGION")},
                "name": event["pathParameters"]["name"],
                "function_name": context.function_name,
                "memory": context.memory_limit_in_mb,
                "remaining": context.get_remaining_time_in_millis(),
                "request_id": context.aws_request_id,
            }),
        }
    """
)
SINK = textwrap.dedent(
    """
    import os
    SEEN = []

    def lambda_handler(event, context):
        failures = []
        for record in event["Records"]:
            SEEN.append((record["body"], os.environ["SHARED"]))
            if record["body"] == "fail":
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}
    """
)


@pytest.fixture
def mini_stack(tmp_path):
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    for name, code in (("echo", ECHO), ("sink", SINK)):
        folder = tmp_path / "functions" / name
        folder.mkdir(parents=True)
        (folder / "app.py").write_text(code)
    (tmp_path / "functions" / "echo" / "helper.py").write_text(
        "import json\n\ndef dump(value):\n    return json.dumps(value)\n"
    )
    suffix = uuid.uuid4().hex[:8]
    names = {"DataBucket": f"bucket-{suffix}", "ReportQueue": f"queue-{suffix}"}
    before = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    stack = LocalStack(tmp_path / "template.yaml", names=names)
    stack.start(seed=False)
    try:
        yield stack
    finally:
        stack.stop()
        after = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
        assert after == before  # the stack put the environment back


def test_invoke_with_template_environment_and_context(mini_stack):
    echo = mini_stack.function("echo")
    assert echo.name == "EchoFunction"
    gateway = mini_stack.gateway()
    from storemon_dev.local.apigw import HttpRequest

    response = gateway.handle(HttpRequest("GET", "/echo/alice"))
    assert response.status == 200, response.body
    body = json.loads(response.body)
    queue_url = mini_stack.client("sqs").get_queue_url(
        QueueName=mini_stack.resources["names"]["ReportQueue"]
    )["QueueUrl"]
    assert body["env"] == {
        "BUCKET_NAME": mini_stack.bucket,
        "QUEUE_URL": queue_url,
        "SHARED": "echo",  # the function's own variable wins over Globals
        "AWS_ENDPOINT_URL": mini_stack.endpoint,
        "AWS_REGION": "us-east-1",
    }
    assert body["name"] == "alice" and body["memory"] == 256
    assert body["function_name"].endswith("EchoFunction")
    assert 0 < body["remaining"] <= 5000 and body["request_id"]

    with pytest.raises(FunctionError) as info:
        echo.invoke({"rawPath": "/echo/boom"})
    assert info.value.payload() == {"errorType": "ValueError", "errorMessage": "boom"}
    with pytest.raises(FunctionError, match="MarshalError"):
        echo.invoke({"rawPath": "/echo/set"})
    assert gateway.handle(HttpRequest("GET", "/echo/boom")).status == 500
    assert gateway.handle(HttpRequest("GET", "/elsewhere")).status == 404


def test_sqs_event_source_from_the_template(mini_stack):
    sqs = mini_stack.client("sqs")
    url = sqs.get_queue_url(QueueName=mini_stack.resources["names"]["ReportQueue"])["QueueUrl"]
    sink = mini_stack.function("SinkFunction")
    module = sink.load().__globals__
    sources = mini_stack.start_event_sources()
    assert 1 <= len(sources) <= mini_stack.max_pollers
    for source in sources:
        assert source.batch_size == 1 and source.visibility_timeout == 1
        assert source.report_batch_item_failures and source.queue_url == url
    sqs.send_message(QueueUrl=url, MessageBody="ok")
    sqs.send_message(QueueUrl=url, MessageBody="fail")
    deadline = time.monotonic() + 15
    # "fail" comes back after the 1 s visibility timeout, again and again
    while [b for b, _ in module["SEEN"]].count("fail") < 2:
        assert time.monotonic() < deadline, module["SEEN"]
        time.sleep(0.1)
    assert ("ok", "globals") in module["SEEN"]  # Globals' value for SHARED in this function
    assert [b for b, _ in module["SEEN"]].count("ok") == 1


def test_import_errors_are_lambda_errors(mini_stack, tmp_path):
    (tmp_path / "functions" / "echo" / "app.py").write_text("raise ImportError('no such lib')\n")
    echo = mini_stack.function("EchoFunction")
    echo._handler = None  # a fresh cold start
    with pytest.raises(FunctionError, match="Runtime.ImportModuleError"):
        echo.load()


def test_environment_gate_serialises_different_environments(monkeypatch):
    monkeypatch.delenv("GATE_TEST", raising=False)
    gate = EnvironmentGate()
    events: list[str] = []
    inside = threading.Event()
    release = threading.Event()

    def first():
        with gate.use({"GATE_TEST": "a"}):
            events.append("a-in:" + os.environ["GATE_TEST"])
            inside.set()
            release.wait(5)
            events.append("a-out:" + os.environ["GATE_TEST"])

    def same():
        with gate.use({"GATE_TEST": "a"}):
            events.append("a2:" + os.environ["GATE_TEST"])

    def other():
        with gate.use({"GATE_TEST": "b"}):
            events.append("b:" + os.environ["GATE_TEST"])

    t1 = threading.Thread(target=first)
    t1.start()
    assert inside.wait(5)
    t2 = threading.Thread(target=same)  # same environment: runs alongside
    t2.start()
    t2.join(5)
    assert events == ["a-in:a", "a2:a"]
    t3 = threading.Thread(target=other)  # another one: waits for "a" to finish
    t3.start()
    time.sleep(0.2)
    assert events == ["a-in:a", "a2:a"]
    release.set()
    for t in (t1, t3):
        t.join(5)
    assert events == ["a-in:a", "a2:a", "a-out:a", "b:b"]
    gate.reset()
    assert "GATE_TEST" not in os.environ


def test_a_new_emulator_starts_empty(aws_env, tmp_path):
    """moto's resources live in the process: what an earlier server of the process made (here
    the test's own moto server) is not found by a local stack started after it."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="left-behind")
    s3.put_object(Bucket="left-behind", Key="alerts/mirror.csv.gz", Body=b"old")
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    stack = LocalStack(tmp_path / "template.yaml", names={"DataBucket": "left-behind"})
    stack.start(seed=False)
    try:
        listed = stack.client("s3").list_objects_v2(Bucket="left-behind")
        assert listed["KeyCount"] == 0
    finally:
        stack.stop()
