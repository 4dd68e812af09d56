"""template.yaml: sam validate --lint, the properties the issue asks for, the resources that
tests create from it, and the events/ files run through the handlers they belong to."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from storemon.service import http
from storemon_dev.local.resources import create_resources, function_environment, load_template
from tests.harness import LambdaContext
from tests.service.helpers import EVENTS, REPO, TEMPLATE, put_inputs

TEMPLATE_DATA = load_template(TEMPLATE)
RESOURCES = TEMPLATE_DATA["Resources"]


def sam_executable() -> str:
    beside = Path(sys.executable).with_name("sam")
    if beside.exists():
        return str(beside)
    found = shutil.which("sam")
    if not found:
        pytest.skip("sam CLI not installed")
    return found


@pytest.mark.slow
def test_sam_validate_lint_passes():
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "us-east-1"}
    run = subprocess.run(
        [sam_executable(), "validate", "--lint"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "is a valid SAM Template" in run.stdout + run.stderr


def api_routes() -> dict[tuple[str, str], str]:
    routes = {}
    for logical, spec in RESOURCES.items():
        if spec["Type"] != "AWS::Serverless::Function":
            continue
        for event in (spec["Properties"].get("Events") or {}).values():
            if event["Type"] == "HttpApi":
                props = event["Properties"]
                assert props["ApiId"] == {"Ref": "HttpApi"}
                key = (props.get("Method", "ANY").upper(), props.get("Path", "$default"))
                routes[key] = logical
    return routes


def test_every_spec_route_is_wired():
    routes = api_routes()
    expected = {
        ("POST", "/trigger_report"): "TriggerFunction",
        ("GET", "/get_report"): "GetReportFunction",
        ("GET", "/get_report/{report_id}"): "GetReportFunction",
        ("POST", "/get_report"): "GetReportFunction",
        ("GET", "/stores/{store_id}/trigger_report"): "TriggerFunction",
        ("POST", "/stores/{store_id}/trigger_report"): "TriggerFunction",
        ("GET", "/store_summary"): "GetReportFunction",
        ("GET", "/reports"): "GetReportFunction",
        ("GET", "/stores/{store_id}/report"): "GetReportFunction",
        ("GET", "/stores/{store_id}/incidents"): "GetReportFunction",
        ("GET", "/stores/{store_id}/days"): "GetReportFunction",
        ("GET", "/stores/{store_id}/status"): "GetReportFunction",
        ("GET", "/stores/{store_id}/page"): "TriggerFunction",
        ("POST", "/subscriptions"): "SubscriptionsFunction",
        ("GET", "/subscriptions"): "SubscriptionsFunction",
        ("DELETE", "/subscriptions/{subscription_id}"): "SubscriptionsFunction",
        ("ANY", "$default"): "GetReportFunction",
    }
    assert routes == expected
    assert set(http.ROUTES) == {k for k in expected if k[1] != "$default"}
    api = RESOURCES["HttpApi"]["Properties"]
    assert "CorsConfiguration" not in api  # CORS off
    assert set(api["DefaultRouteSettings"]) == {"ThrottlingRateLimit", "ThrottlingBurstLimit"}


def test_functions_layer_and_runtime():
    glob = TEMPLATE_DATA["Globals"]["Function"]
    assert glob["Runtime"] == "python3.11" and glob["Handler"] == "app.lambda_handler"
    assert glob["Layers"] == [{"Ref": "CommonLayer"}]
    layer = RESOURCES["CommonLayer"]
    assert layer["Properties"]["ContentUri"] == "layers/common/"
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert "build-CommonLayer:" in (REPO / "layers/common/Makefile").read_text()
    for logical, folder in (
        ("TriggerFunction", "trigger"),
        ("WorkerFunction", "worker"),
        ("GetReportFunction", "get_report"),
        ("SubscriptionsFunction", "subscriptions"),
        ("DeliveryFunction", "delivery"),
    ):
        assert RESOURCES[logical]["Properties"]["CodeUri"] == f"functions/{folder}/"
        assert (REPO / "functions" / folder / "app.py").is_file()
    env = glob["Environment"]["Variables"]
    for name in (
        "TABLE_NAME",
        "BUCKET_NAME",
        "QUEUE_URL",
        "INPUT_PREFIX",
        "REPORT_PREFIX",
        "URL_EXPIRY_SECONDS",
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
        "POWERTOOLS_LOG_LEVEL",
        "MAX_RECEIVE_COUNT",
    ):
        assert name in env
    lines = (REPO / "layers/common/requirements.txt").read_text().splitlines()
    names = [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]
    assert any(n.startswith("numpy") and "<2.3" in n for n in names)
    assert not any(n.startswith(("boto3", "pyarrow")) for n in names)


def test_queue_worker_and_dead_letter_settings():
    worker = RESOURCES["WorkerFunction"]["Properties"]
    queue = RESOURCES["ReportQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * worker["Timeout"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["ReportDeadLetterQueue", "Arn"]
    }
    assert queue["RedrivePolicy"]["maxReceiveCount"] == {"Ref": "MaxReceiveCount"}
    assert TEMPLATE_DATA["Parameters"]["MaxReceiveCount"]["Default"] == 3
    [event] = worker["Events"].values()
    assert event["Type"] == "SQS"
    assert event["Properties"]["BatchSize"] == 1
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert TEMPLATE_DATA["Globals"]["Function"]["Environment"]["Variables"][
        "MAX_RECEIVE_COUNT"
    ] == {"Ref": "MaxReceiveCount"}


def test_the_functions_own_traces_can_be_switched_off():
    """TraceDisabled is POWERTOOLS_TRACE_DISABLED of every function (tracing off: no X-Ray SDK
    at cold start, tests/service/test_cold_starts.py); Lambda's own segments stay Active."""
    parameter = TEMPLATE_DATA["Parameters"]["TraceDisabled"]
    assert parameter["Default"] == "false" and parameter["AllowedValues"] == ["false", "true"]
    glob = TEMPLATE_DATA["Globals"]["Function"]
    assert glob["Environment"]["Variables"]["POWERTOOLS_TRACE_DISABLED"] == {"Ref": "TraceDisabled"}
    assert glob["Tracing"] == "Active"


def test_pydantic_looks_for_no_plugins():
    """Without it, the first model built at a cold start reads every installed package's entry
    points, looking for pydantic plugins (storemon uses none)."""
    variables = TEMPLATE_DATA["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["PYDANTIC_DISABLE_PLUGINS"] == "__all__"


def test_table_and_bucket_settings():
    table = RESOURCES["ReportsTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["KeySchema"] == [{"AttributeName": "report_id", "KeyType": "HASH"}]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    bucket = RESOURCES["DataBucket"]
    props = bucket["Properties"]
    assert bucket["DependsOn"] == "ReportQueuePolicy"
    assert props["VersioningConfiguration"]["Status"] == "Enabled"
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    [notification] = props["NotificationConfiguration"]["QueueConfigurations"]
    assert notification["Queue"] == {"Fn::GetAtt": ["ReportQueue", "Arn"]}
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "input/"}]
    rules = {r["Id"]: r for r in props["LifecycleConfiguration"]["Rules"]}
    assert rules["ExpireReports"]["Prefix"] == "reports/"
    assert rules["ExpireReports"]["ExpirationInDays"] == {"Ref": "RetentionDays"}
    [deny] = RESOURCES["DataBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    [allow] = RESOURCES["ReportQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert allow["Principal"] == {"Service": "s3.amazonaws.com"}
    # the queue policy names the bucket with the same computed name as the bucket itself
    assert (
        allow["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"][1]
        == props["BucketName"]["Fn::Sub"][1]
    )


ROLES = {
    "TriggerFunction": "TriggerRole",
    "WorkerFunction": "WorkerRole",
    "GetReportFunction": "GetReportRole",
    "SubscriptionsFunction": "SubscriptionsRole",
    "DeliveryFunction": "DeliveryRole",
}
LOG_GROUPS = {
    "TriggerFunction": "TriggerLogGroup",
    "WorkerFunction": "WorkerLogGroup",
    "GetReportFunction": "GetReportLogGroup",
    "SubscriptionsFunction": "SubscriptionsLogGroup",
    "DeliveryFunction": "DeliveryLogGroup",
}


def _statements(logical: str) -> list[dict]:
    """The statements of the function's own role."""
    role = RESOURCES[ROLES[logical]]["Properties"]
    return [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]


def _actions(statements: list[dict]) -> set[str]:
    out: set[str] = set()
    for statement in statements:
        actions = statement["Action"]
        out.update(actions if isinstance(actions, list) else [actions])
    return out


def test_least_privilege():
    """Own roles instead of SAM's managed policies (whose log, X-Ray and SQS actions are on
    "*"): every action named, every resource named but X-Ray's (no resource-level permissions)."""
    for logical, role in ROLES.items():
        function = RESOURCES[logical]["Properties"]
        assert function["Role"] == {"Fn::GetAtt": [role, "Arn"]} and "Policies" not in function
        assert function["LoggingConfig"] == {"LogGroup": {"Ref": LOG_GROUPS[logical]}}
        for statement in _statements(logical):
            actions = _actions([statement])
            assert all("*" not in a for a in actions), (logical, actions)
            if statement["Resource"] == "*":
                assert actions == {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
        [logs] = [s for s in _statements(logical) if s["Sid"] == "OwnLogs"]
        assert logs["Resource"] == {"Fn::GetAtt": [LOG_GROUPS[logical], "Arn"]}
    get_report = _statements("GetReportFunction")
    assert _actions(get_report) - {"xray:PutTraceSegments", "xray:PutTelemetryRecords"} == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",  # GET /reports, on the ByCreated index only
        "s3:GetObject",
        "s3:ListBucket",  # only to tell a missing report file or snapshot (404) from a 403
        "sqs:SendMessage",  # a missing snapshot: the worker builds it (never the CSV files here)
    }
    # s3:ListBucket only where a missing key must read as missing (S3 answers 403 otherwise)
    listing = {
        role: [s["Condition"] for s in _statements(role) if "s3:ListBucket" in _actions([s])]
        for role in ROLES
    }
    assert listing == {
        "TriggerFunction": [{"StringLike": {"s3:prefix": "input/*"}}],
        "WorkerFunction": [
            {"StringLike": {"s3:prefix": "input/*"}},
            {"StringLike": {"s3:prefix": "snapshots/*"}},
            {"StringLike": {"s3:prefix": "alerts/*"}},
        ],
        "GetReportFunction": [{"StringLike": {"s3:prefix": ["reports/*", "snapshots/*"]}}],
        "SubscriptionsFunction": [],
        "DeliveryFunction": [],
    }
    # it reads reports and snapshots, never the inputs, and writes none of them
    s3_reads = {s["Resource"]["Fn::Sub"] for s in get_report if "s3:GetObject" in _actions([s])}
    assert s3_reads == {"${DataBucket.Arn}/reports/*", "${DataBucket.Arn}/snapshots/*"}
    [snapshots] = [s for s in _statements("WorkerFunction") if s["Sid"] == "Snapshots"]
    assert _actions([snapshots]) == {"s3:GetObject", "s3:PutObject"}
    assert snapshots["Resource"] == {"Fn::Sub": "${DataBucket.Arn}/snapshots/*"}
    # GetReport may mark a stale report Failed, the trigger write its own records: report
    # records only (uuid-shaped keys), never the "latest" pointer or the "uploads" item
    report_records = {
        "ForAllValues:StringLike": {
            "dynamodb:LeadingKeys": ["????????-????-????-????-????????????"]
        }
    }
    [update] = [s for s in get_report if "dynamodb:UpdateItem" in _actions([s])]
    assert update["Condition"] == report_records
    [writes] = [s for s in _statements("TriggerFunction") if s["Sid"] == "ReportRecords"]
    assert writes["Condition"] == report_records
    worker = _actions(_statements("WorkerFunction"))
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"} <= worker


def test_only_the_worker_publishes_alerts_and_only_the_api_and_delivery_read_secrets():
    publishers = [role for role in ROLES if "sns:Publish" in _actions(_statements(role))]
    assert publishers == ["WorkerFunction"]
    [topic_policy] = RESOURCES["AlertTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert topic_policy["Effect"] == "Deny" and topic_policy["Action"] == "sns:Publish"
    assert topic_policy["Condition"] == {
        "ArnNotEquals": {"aws:PrincipalArn": {"Fn::GetAtt": ["WorkerRole", "Arn"]}}
    }
    # the worker scans subscriptions for three attributes, never their signing keys or URLs
    [scan] = [s for s in _statements("WorkerFunction") if s["Sid"] == "AlertAudiences"]
    assert scan["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"] == [
        "subscription_id",
        "store_ids",
        "min_minutes",
    ]
    # the delivery function reads a subscription and its queue, nothing else
    delivery = _actions(_statements("DeliveryFunction")) - {
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }
    assert delivery == {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",
        "dynamodb:GetItem",
    }
    queue = RESOURCES["DeliveryQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * RESOURCES["DeliveryFunction"]["Properties"]["Timeout"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == {"Ref": "WebhookMaxAttempts"}


def test_api_access_logs_and_reserved_concurrency():
    api = RESOURCES["HttpApi"]["Properties"]
    settings = api["AccessLogSettings"]
    assert settings["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    fields = json.loads(settings["Format"])
    assert {"requestId", "ip", "routeKey", "status", "latencyMs"} <= set(fields)
    assert RESOURCES["ApiAccessLogGroup"]["Properties"]["RetentionInDays"] == {
        "Ref": "LogRetentionDays"
    }
    for logical in ("TriggerFunction", "GetReportFunction"):
        reserved = RESOURCES[logical]["Properties"]["ReservedConcurrentExecutions"]
        assert reserved == {
            "Fn::If": [
                "ReserveApiConcurrency",
                {"Ref": "ApiReservedConcurrency"},
                {"Ref": "AWS::NoValue"},
            ]
        }
    assert TEMPLATE_DATA["Parameters"]["ApiReservedConcurrency"]["Default"] == 20


def test_resources_are_created_from_the_template(stack):
    ddb = boto3.client("dynamodb")
    table = ddb.describe_table(TableName=stack["table"])["Table"]
    assert table["KeySchema"] == [{"AttributeName": "report_id", "KeyType": "HASH"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = ddb.describe_time_to_live(TableName=stack["table"])["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    backups = ddb.describe_continuous_backups(TableName=stack["table"])
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"
    attrs = boto3.client("sqs").get_queue_attributes(
        QueueUrl=stack["queue_url"], AttributeNames=["All"]
    )["Attributes"]
    assert attrs["VisibilityTimeout"] == "1800"
    assert json.loads(attrs["RedrivePolicy"]) == {
        "deadLetterTargetArn": stack["dlq_arn"],
        "maxReceiveCount": 3,
    }
    s3 = boto3.client("s3")
    assert s3.get_bucket_versioning(Bucket=stack["bucket"])["Status"] == "Enabled"
    block = s3.get_public_access_block(Bucket=stack["bucket"])["PublicAccessBlockConfiguration"]
    assert all(block.values())
    rules = s3.get_bucket_lifecycle_configuration(Bucket=stack["bucket"])["Rules"]
    assert {r["ID"] for r in rules} >= {"ExpireReports", "ExpireSupersededInputs"}
    assert stack["env"]["INPUT_PREFIX"] == "input/"
    assert stack["env"]["BUCKET_NAME"] == stack["bucket"]
    limits = {  # the worker alone gets the input limits (template parameters' defaults)
        "STOREMON_MAX_INPUT_BYTES": "268435456",
        "STOREMON_MAX_TEXT_BYTES": "268435456",
        "STOREMON_MAX_ROW_BYTES": "4096",
        "STOREMON_MAX_FIELD_CHARS": "128",
        "STOREMON_MAX_COLUMNS": "16",
    }
    alerts = {  # and the alerts' resources
        "ALERTS_TABLE": stack["alerts_table"],
        "SUBSCRIPTIONS_TABLE": stack["subscriptions_table"],
        "ALERT_TOPIC_ARN": stack["topic_arn"],
        "DELIVERY_QUEUE_URL": stack["delivery_queue_url"],
        "ALERT_MIN_MINUTES": "0",
    }
    shards = {"STOREMON_SHARD_POLLS": "5000000"}  # polls per store shard (docs/shards.md)
    assert function_environment(stack, "WorkerFunction") == {
        **stack["env"],
        **limits,
        **alerts,
        **shards,
    }


def test_create_resources_is_idempotent_and_takes_names(aws_env):
    names = {"DataBucket": "my-bucket", "ReportsTable": "my-table"}
    first = create_resources(TEMPLATE, names=names, parameters={"MaxReceiveCount": 5})
    again = create_resources(TEMPLATE, names=names, parameters={"MaxReceiveCount": 5})
    assert first["bucket"] == again["bucket"] == "my-bucket"
    assert first["queue_url"] == again["queue_url"]
    assert again["env"]["MAX_RECEIVE_COUNT"] == "5"
    attrs = boto3.client("sqs").get_queue_attributes(
        QueueUrl=again["queue_url"], AttributeNames=["RedrivePolicy"]
    )["Attributes"]
    assert json.loads(attrs["RedrivePolicy"])["maxReceiveCount"] == 5


# ----------------------------------------------------------------------------- events/
API_EVENTS = {
    "trigger_report.json": 202,
    "store_trigger_get.json": 202,
    "store_trigger_post.json": 202,
    "get_report_query.json": 404,
    "get_report_path.json": 404,
    "get_report_post.json": 404,
    "store_summary.json": 404,
    "list_reports.json": 200,
    "store_report.json": 404,
    "store_incidents.json": 404,
    "store_days.json": 404,
    "store_status.json": 404,
    "store_page.json": 303,
    "unknown_route.json": 405,
    "create_subscription.json": 422,  # https://10.0.0.1: a private receiver, refused
    "list_subscriptions.json": 200,
    "delete_subscription.json": 404,
}
FUNCTION_DIRS = {
    "TriggerFunction": "trigger",
    "WorkerFunction": "worker",
    "GetReportFunction": "get_report",
    "SubscriptionsFunction": "subscriptions",
    "DeliveryFunction": "delivery",
}


def test_there_is_an_event_for_every_route():
    keys = set()
    for name in API_EVENTS:
        event = json.loads((EVENTS / name).read_text())
        key = event["routeKey"]
        keys.add(("ANY", "$default") if key == "$default" else tuple(key.split(" ", 1)))
    assert keys == set(api_routes())


@pytest.mark.parametrize(("name", "status"), sorted(API_EVENTS.items()))
def test_api_events_run_through_their_function(stack, api, name, status):
    put_inputs(stack["bucket"])
    event = json.loads((EVENTS / name).read_text())
    code, body, headers = api.send_event(event)
    assert code == status, body
    assert headers["content-type"] == "application/json"


def test_delivery_event_of_a_deleted_subscription_is_dropped(stack, apps):
    event = json.loads((EVENTS / "delivery_message.json").read_text())
    answer = apps["delivery"].lambda_handler(event, LambdaContext("delivery"))
    assert answer == {"batchItemFailures": []}


def test_worker_events_run(stack, apps):
    put_inputs(stack["bucket"])
    worker = apps["worker"]
    job = json.loads((EVENTS / "worker_report_message.json").read_text())
    assert worker.lambda_handler(job, LambdaContext("worker")) == {"batchItemFailures": []}
    upload = json.loads((EVENTS / "worker_s3_put.json").read_text())
    inner = json.loads(upload["Records"][0]["body"])
    assert inner["Records"][0]["s3"]["object"]["key"] == "input%2Fstore_status.csv.gz"
    assert worker.lambda_handler(upload, LambdaContext("worker")) == {"batchItemFailures": []}
    # the upload's refresh is computed by the same invocation (no job queued): latest names it
    assert "Messages" not in boto3.client("sqs").receive_message(QueueUrl=stack["queue_url"])
    from storemon.service import records
    from storemon.service.settings import Settings

    settings = Settings.from_env()
    refreshed = records.get(settings, records.latest_pointer(settings)["target_id"])
    assert (refreshed["kind"], refreshed["status"]) == ("refresh", "Complete")


def test_sam_transform_wires_routes_default_route_and_roles(monkeypatch):
    """What CloudFormation will get: the SAM transform of the template (offline)."""
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    template = yaml_parse(TEMPLATE.read_text())
    for logical in FUNCTION_DIRS:
        template["Resources"][logical]["Properties"]["CodeUri"] = "s3://bucket/code.zip"
    template["Resources"]["CommonLayer"]["Properties"]["ContentUri"] = "s3://bucket/layer.zip"

    class Policies:
        @staticmethod
        def load():
            names = ("AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess")
            return {name: f"arn:aws:iam::aws:policy/{name}" for name in names} | {
                "AWSLambdaSQSQueueExecutionRole": "arn:aws:iam::aws:policy/service-role/"
                "AWSLambdaSQSQueueExecutionRole"
            }

    resources = transform(template, {}, Policies())["Resources"]
    paths = resources["HttpApi"]["Properties"]["Body"]["paths"]
    assert {(m, p) for p, ops in paths.items() for m in ops} == {
        ("post", "/trigger_report"),
        ("get", "/stores/{store_id}/trigger_report"),
        ("post", "/stores/{store_id}/trigger_report"),
        ("get", "/get_report"),
        ("post", "/get_report"),
        ("get", "/get_report/{report_id}"),
        ("get", "/store_summary"),
        ("get", "/reports"),
        ("get", "/stores/{store_id}/report"),
        ("get", "/stores/{store_id}/incidents"),
        ("get", "/stores/{store_id}/days"),
        ("get", "/stores/{store_id}/status"),
        ("get", "/stores/{store_id}/page"),
        ("post", "/subscriptions"),
        ("get", "/subscriptions"),
        ("delete", "/subscriptions/{subscription_id}"),
        ("x-amazon-apigateway-any-method", "$default"),
    }
    mapping = resources["WorkerFunctionReportQueueEvent"]["Properties"]
    assert mapping["BatchSize"] == 1
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    for logical in FUNCTION_DIRS:
        function = resources[logical]["Properties"]
        assert function["Runtime"] == "python3.11"
        assert function["TracingConfig"] == {"Mode": "Active"}
        assert len(function["Layers"]) == 1
        assert function["Role"] == {"Fn::GetAtt": [ROLES[logical], "Arn"]}
    # no role made by SAM, so none of its managed policies ("*" resources)
    assert not any(
        spec["Type"] == "AWS::IAM::Role" and logical not in ROLES.values()
        for logical, spec in resources.items()
    )
