"""Create template.yaml's stateful resources on an S3/DynamoDB/SQS endpoint (moto, AWS...).

The bucket, table and queues are created FROM THEIR DEFINITIONS IN template.yaml (key schema,
attributes, TTL, point-in-time recovery, versioning, encryption, lifecycle, notification, visibility
timeout, redrive policy...), so the tests, the local stack and the deployed stack cannot drift.

Stable API (used by tests/service and by the local stack, ``storemon serve``)::

    from storemon_dev.local.resources import create_resources, function_environment, load_template

    res = create_resources(
        template_path=None,   # default: template.yaml at the repository root (found upwards)
        clients=None,         # None: boto3 clients from the environment (AWS_ENDPOINT_URL is
                              #   honoured by boto3); or a boto3.Session; or a dict with the
                              #   keys "s3", "dynamodb" and "sqs" holding ready clients
        names=None,           # {logical id: physical name} overrides, see DEFAULT_NAMES
        parameters=None,      # {template parameter: value} overrides of the defaults
        notifications=True,   # configure the bucket's input/ -> ReportQueue notification
    )
    res["bucket"], res["table"], res["queue_url"], res["queue_arn"], res["dlq_url"], res["dlq_arn"]
    res["names"]        # {logical id: physical name} of what was created
    res["parameters"]   # the template parameters in force (defaults + overrides), as strings
    res["env"]          # Globals.Function.Environment.Variables resolved against the created
                        #   resources: TABLE_NAME, BUCKET_NAME, QUEUE_URL, INPUT_PREFIX, ... ready
                        #   for os.environ.update(res["env"]) before calling a handler
    function_environment(res, "WorkerFunction")  # Globals + that function's own variables
    load_template(path=None) -> dict              # the template with !Ref/!Sub/... as Fn:: dicts

Creating a resource that already exists is not an error (the existing one is reconfigured), so a
restarted local stack can call it again. Only resources of the types below are created; the rest
of the template (functions, API, alarms, policies) is ignored here.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_NAMES",
    "create_resources",
    "find_template",
    "function_environment",
    "load_template",
]

DEFAULT_NAMES: dict[str, str] = {
    "DataBucket": "storemon-data",
    "ReportsTable": "storemon-reports",
    "ReportQueue": "storemon-reports",
    "ReportDeadLetterQueue": "storemon-reports-dlq",
    "AlertsTable": "storemon-alerts",
    "SubscriptionsTable": "storemon-subscriptions",
    "DeliveryQueue": "storemon-deliveries",
    "DeliveryDeadLetterQueue": "storemon-deliveries-dlq",
    "AlertTopic": "storemon-alerts",
}

_PSEUDO_DEFAULTS = {
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::StackName": "storemon-local",
    "AWS::URLSuffix": "amazonaws.com",
}


# ----------------------------------------------------------------------------- template loading
def find_template(start: str | os.PathLike | None = None) -> Path:
    """template.yaml of the repository: searched upwards from `start` (default: this file)."""
    here = Path(start or __file__).resolve()
    for folder in [here, *here.parents]:
        candidate = folder / "template.yaml"
        if candidate.is_file():
            return candidate
    cwd = Path.cwd() / "template.yaml"
    if cwd.is_file():
        return cwd
    raise FileNotFoundError(f"template.yaml not found above {here} or in the working directory")


def load_template(path: str | os.PathLike | None = None) -> dict:
    """The template as plain data; short-form tags become their long form ({"Fn::Sub": ...})."""
    import yaml

    # libyaml's parser when PyYAML has it (six times faster on template.yaml, same data)
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class _Loader(base):  # type: ignore[valid-type,misc]
        pass

    def _construct(loader: yaml.Loader, suffix: str, node: yaml.Node) -> dict:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        if suffix == "Ref":
            return {"Ref": value}
        if suffix == "Condition":
            return {"Condition": value}
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {"Fn::" + suffix: value}

    _Loader.add_multi_constructor("!", _construct)
    with open(path or find_template(), encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_Loader)  # noqa: S506 - SafeLoader subclass


# ----------------------------------------------------------------------------- intrinsics
class _Context:
    def __init__(self, template: dict, parameters: dict, region: str, account: str):
        self.template = template
        self.parameters = parameters
        self.pseudo = dict(_PSEUDO_DEFAULTS)
        self.pseudo["AWS::Region"] = region
        self.pseudo["AWS::AccountId"] = account
        self.pseudo["AWS::StackId"] = (
            f"arn:aws:cloudformation:{region}:{account}:stack/"
            f"{self.pseudo['AWS::StackName']}/00000000-0000-4000-8000-000000000000"
        )
        self.refs: dict[str, str] = {}  # logical id -> Ref value
        self.attrs: dict[tuple[str, str], str] = {}  # (logical id, attribute) -> value

    def ref(self, name: str) -> Any:
        if name in self.parameters:
            return self.parameters[name]
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.refs:
            return self.refs[name]
        raise KeyError(f"cannot resolve Ref {name!r} (resource not created here)")

    def get_att(self, name: str, attribute: str) -> Any:
        try:
            return self.attrs[(name, attribute)]
        except KeyError:
            raise KeyError(f"cannot resolve GetAtt {name}.{attribute}") from None

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key.startswith("Fn::"):
                return self._intrinsic(key, arg)
        return {k: self.resolve(v) for k, v in value.items()}

    def _intrinsic(self, key: str, arg: Any) -> Any:
        if key == "Fn::GetAtt":
            name, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
            return self.get_att(name, attribute)
        if key == "Fn::Sub":
            return self._sub(arg)
        if key == "Fn::Join":
            sep, items = arg
            return str(sep).join(str(x) for x in self.resolve(items))
        if key == "Fn::Select":
            index, items = arg
            return self.resolve(items)[int(self.resolve(index))]
        if key == "Fn::Split":
            sep, text = arg
            return str(self.resolve(text)).split(sep)
        raise ValueError(f"intrinsic {key} is not supported by the local stack")

    def _sub(self, arg: Any) -> str:
        if isinstance(arg, list):
            text, mapping = arg[0], {k: self.resolve(v) for k, v in arg[1].items()}
        else:
            text, mapping = arg, {}
        out, i = [], 0
        while i < len(text):
            start = text.find("${", i)
            if start < 0:
                out.append(text[i:])
                break
            out.append(text[i:start])
            end = text.index("}", start)
            name = text[start + 2 : end]
            if name.startswith("!"):
                out.append("${" + name[1:] + "}")
            elif name in mapping:
                out.append(str(mapping[name]))
            elif "." in name and not name.startswith("AWS::"):
                out.append(str(self.get_att(*name.split(".", 1))))
            else:
                out.append(str(self.ref(name)))
            i = end + 1
        return "".join(out)


# ----------------------------------------------------------------------------- creation
def _clients(clients: Any) -> dict:
    if isinstance(clients, dict):
        if "sns" not in clients:  # the SNS topic, on the same endpoint as the queues
            import boto3

            sqs = clients["sqs"]
            clients = dict(clients) | {
                "sns": boto3.session.Session().client(
                    "sns",
                    endpoint_url=sqs.meta.endpoint_url,
                    region_name=sqs.meta.region_name,
                )
            }
        return clients
    if clients is None:
        import boto3

        clients = boto3.session.Session()
    return {name: clients.client(name) for name in ("s3", "dynamodb", "sqs", "sns")}


def _create_topic(sns: Any, ctx: _Context, logical: str, name: str) -> None:
    arn = sns.create_topic(Name=name)["TopicArn"]
    ctx.refs[logical] = arn
    ctx.attrs[(logical, "TopicName")] = name


def _parameters(template: dict, overrides: dict | None) -> dict[str, str]:
    params = {
        name: str(spec.get("Default", ""))
        for name, spec in (template.get("Parameters") or {}).items()
    }
    for name, value in (overrides or {}).items():
        if name not in params:
            raise KeyError(f"template has no parameter {name!r}")
        params[name] = str(value)
    return params


def _create_queue(sqs: Any, ctx: _Context, logical: str, props: dict, name: str) -> None:
    props = ctx.resolve(props)
    attributes: dict[str, str] = {}
    for key in (
        "VisibilityTimeout",
        "MessageRetentionPeriod",
        "DelaySeconds",
        "MaximumMessageSize",
        "ReceiveMessageWaitTimeSeconds",
        "SqsManagedSseEnabled",
    ):
        if key in props:
            value = props[key]
            attributes[key] = str(value).lower() if isinstance(value, bool) else str(value)
    if "RedrivePolicy" in props:
        policy = dict(props["RedrivePolicy"])
        policy["maxReceiveCount"] = int(policy["maxReceiveCount"])
        attributes["RedrivePolicy"] = json.dumps(policy)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    if attributes:
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    ctx.refs[logical] = url
    ctx.attrs[(logical, "Arn")] = arn
    ctx.attrs[(logical, "QueueName")] = name
    ctx.attrs[(logical, "QueueUrl")] = url


def _create_table(ddb: Any, ctx: _Context, logical: str, props: dict, name: str) -> None:
    props = ctx.resolve(props)
    args: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
    }
    if args["BillingMode"] == "PROVISIONED":
        args["ProvisionedThroughput"] = props["ProvisionedThroughput"]
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if key in props:
            args[key] = props[key]
    with contextlib.suppress(ddb.exceptions.ResourceInUseException):
        ddb.create_table(**args)
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        try:
            ddb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )
        except ddb.exceptions.ClientError as exc:  # already enabled on a re-run
            if "already enabled" not in str(exc).lower():
                raise
    pitr = props.get("PointInTimeRecoverySpecification")
    if pitr and pitr.get("PointInTimeRecoveryEnabled"):
        ddb.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
    arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
    ctx.refs[logical] = name
    ctx.attrs[(logical, "Arn")] = arn


def _lifecycle_rule(rule: dict) -> dict:
    out: dict[str, Any] = {"ID": rule.get("Id", "rule"), "Status": rule.get("Status", "Enabled")}
    out["Filter"] = {"Prefix": rule.get("Prefix", "")}
    if "ExpirationInDays" in rule:
        out["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    if "NoncurrentVersionExpiration" in rule:
        out["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": int(rule["NoncurrentVersionExpiration"]["NoncurrentDays"])
        }
    if "AbortIncompleteMultipartUpload" in rule:
        out["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": int(
                rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
            )
        }
    return out


def _encryption_rules(encryption: dict) -> list[dict[str, Any]]:
    rules = []
    for rule in encryption["ServerSideEncryptionConfiguration"]:
        item: dict[str, Any] = {
            "ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]
        }
        if "BucketKeyEnabled" in rule:
            item["BucketKeyEnabled"] = bool(rule["BucketKeyEnabled"])
        rules.append(item)
    return rules


def _configure_bucket(s3: Any, name: str, props: dict) -> None:
    """Versioning, encryption, public access block and lifecycle, as the template says."""
    versioning = props.get("VersioningConfiguration")
    if versioning:
        s3.put_bucket_versioning(
            Bucket=name, VersioningConfiguration={"Status": versioning["Status"]}
        )
    encryption = props.get("BucketEncryption")
    if encryption:
        s3.put_bucket_encryption(
            Bucket=name, ServerSideEncryptionConfiguration={"Rules": _encryption_rules(encryption)}
        )
    block = props.get("PublicAccessBlockConfiguration")
    if block:
        s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={k: bool(v) for k, v in block.items()},
        )
    lifecycle = props.get("LifecycleConfiguration")
    if lifecycle:
        s3.put_bucket_lifecycle_configuration(
            Bucket=name,
            LifecycleConfiguration={"Rules": [_lifecycle_rule(r) for r in lifecycle["Rules"]]},
        )


def _queue_notifications(notification: dict) -> list[dict[str, Any]]:
    queues = []
    for conf in notification.get("QueueConfigurations", []):
        item: dict[str, Any] = {"QueueArn": conf["Queue"], "Events": [conf["Event"]]}
        rules = ((conf.get("Filter") or {}).get("S3Key") or {}).get("Rules")
        if rules:
            item["Filter"] = {"Key": {"FilterRules": rules}}
        queues.append(item)
    return queues


def _create_bucket(
    s3: Any, ctx: _Context, logical: str, props: dict, name: str, *, notifications: bool
) -> None:
    props = {k: v for k, v in props.items() if k != "BucketName"}  # the name is ours
    props = ctx.resolve(props)
    region = ctx.pseudo["AWS::Region"]
    args: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        args["CreateBucketConfiguration"] = {"LocationConstraint": region}
    with contextlib.suppress(
        s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists
    ):
        s3.create_bucket(**args)
    _configure_bucket(s3, name, props)
    ctx.refs[logical] = name
    ctx.attrs[(logical, "Arn")] = f"arn:{ctx.pseudo['AWS::Partition']}:s3:::{name}"
    ctx.attrs[(logical, "DomainName")] = f"{name}.s3.amazonaws.com"
    notification = props.get("NotificationConfiguration")
    if notifications and notification:
        s3.put_bucket_notification_configuration(
            Bucket=name,
            NotificationConfiguration={"QueueConfigurations": _queue_notifications(notification)},
        )


def _order(resources: dict) -> list[str]:
    """Logical ids of the creatable resources, dependencies first (queues, table, bucket)."""
    rank = {
        "AWS::SNS::Topic": 0,
        "AWS::SQS::Queue": 0,
        "AWS::DynamoDB::Table": 1,
        "AWS::S3::Bucket": 2,
    }
    ids = [k for k, v in resources.items() if v.get("Type") in rank]

    # a queue named in another queue's RedrivePolicy goes first
    def key(logical: str) -> tuple[int, int]:
        spec = resources[logical]
        has_redrive = int("RedrivePolicy" in (spec.get("Properties") or {}))
        return rank[spec["Type"]], has_redrive

    return sorted(ids, key=key)


def create_resources(
    template_path: str | os.PathLike | None = None,
    clients: Any = None,
    names: dict[str, str] | None = None,
    parameters: dict[str, Any] | None = None,
    notifications: bool = True,
) -> dict:
    """Create the template's S3 buckets, DynamoDB tables and SQS queues; see the module doc."""
    path = Path(template_path) if template_path else find_template()
    template = load_template(path)
    cl = _clients(clients)
    region = cl["sqs"].meta.region_name or "us-east-1"
    params = _parameters(template, parameters)
    ctx = _Context(template, params, region, account=_account_id(cl["sqs"]))
    chosen = dict(DEFAULT_NAMES)
    chosen.update(names or {})
    resources = template.get("Resources") or {}
    created: dict[str, str] = {}
    for logical in _order(resources):
        spec = resources[logical]
        props = spec.get("Properties") or {}
        name = chosen.get(logical) or f"storemon-{logical.lower()}"
        kind = spec["Type"]
        if kind == "AWS::SNS::Topic":
            _create_topic(cl["sns"], ctx, logical, name)
        elif kind == "AWS::SQS::Queue":
            _create_queue(cl["sqs"], ctx, logical, props, name)
        elif kind == "AWS::DynamoDB::Table":
            _create_table(cl["dynamodb"], ctx, logical, props, name)
        else:
            _create_bucket(cl["s3"], ctx, logical, props, name, notifications=notifications)
        created[logical] = name
    env = _environment(template, ctx, None)
    return {
        "template_path": str(path),
        "bucket": ctx.refs.get("DataBucket"),
        "table": ctx.refs.get("ReportsTable"),
        "queue_url": ctx.refs.get("ReportQueue"),
        "queue_arn": ctx.attrs.get(("ReportQueue", "Arn")),
        "dlq_url": ctx.refs.get("ReportDeadLetterQueue"),
        "dlq_arn": ctx.attrs.get(("ReportDeadLetterQueue", "Arn")),
        "alerts_table": ctx.refs.get("AlertsTable"),
        "subscriptions_table": ctx.refs.get("SubscriptionsTable"),
        "topic_arn": ctx.refs.get("AlertTopic"),
        "delivery_queue_url": ctx.refs.get("DeliveryQueue"),
        "delivery_queue_arn": ctx.attrs.get(("DeliveryQueue", "Arn")),
        "delivery_dlq_url": ctx.refs.get("DeliveryDeadLetterQueue"),
        "names": created,
        "parameters": params,
        "env": env,
        "_context": ctx,
    }


def _account_id(sqs: Any) -> str:
    # The account id is only needed for pseudo parameters; avoid an STS call.
    return os.environ.get("MOTO_ACCOUNT_ID") or _PSEUDO_DEFAULTS["AWS::AccountId"]


def _environment(template: dict, ctx: _Context, function: str | None) -> dict[str, str]:
    variables: dict[str, Any] = {}
    glob = ((template.get("Globals") or {}).get("Function") or {}).get("Environment") or {}
    variables.update(glob.get("Variables") or {})
    if function:
        spec = (template.get("Resources") or {}).get(function)
        if spec is None:
            raise KeyError(f"template has no resource {function!r}")
        own = ((spec.get("Properties") or {}).get("Environment") or {}).get("Variables") or {}
        variables.update(own)
    return {k: str(ctx.resolve(v)) for k, v in variables.items()}


def function_environment(resources: dict, function: str = "WorkerFunction") -> dict[str, str]:
    """The environment `function` gets in the template, resolved against `resources`."""
    ctx: _Context = resources["_context"]
    return _environment(ctx.template, ctx, function)
