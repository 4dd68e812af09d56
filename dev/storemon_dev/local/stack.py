"""The local stack: moto's AWS emulation in this process, the template's resources in it, the
template's functions wired to them (HTTP API routes, SQS event source mappings), and the inputs
seeded. ``storemon serve``, ``storemon invoke`` and the demo are thin layers over it.

Order of start-up (:meth:`LocalStack.start`): moto -> bucket, table and queues from the template
(``storemon_dev.local.resources``) -> function environments -> optional seeding of ``input/`` ->
the bucket's notification (``input/`` ObjectCreated -> ReportQueue). Seeding comes before the
notification, like a bucket that already held the inputs when the stack was deployed: start-up
does not compute anything, and the first upload afterwards starts a refresh as in AWS.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from storemon_dev.local.apigw import HttpApiGateway, HttpRequest
from storemon_dev.local.auth import LocalAuth
from storemon_dev.local.esm import SqsEventSource
from storemon_dev.local.lambdas import GATE, LocalFunction
from storemon_dev.local.template import FunctionSpec, Template

log = logging.getLogger("storemon_dev.local")

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account
STACK_NAME = "storemon-local"
API_ID = "local"
INPUT_SUFFIXES = (".csv", ".csv.gz")
DEFAULT_STORES = 2000
MAX_POLLERS = 2  # concurrent worker invocations per SQS event (CPU-bound reports)


def aws_environment(endpoint: str, region: str = REGION) -> dict[str, str]:
    """What points boto3 (and the AWS CLI) at the emulator, with dummy credentials. The config
    and credentials files are switched off so no profile can send a call to real AWS."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


class Emulator:
    """moto's server (all services, one endpoint) on a free port of ``host``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host = host
        self.port = port
        self._server: Any = None
        self.endpoint = ""

    def start(self) -> str:
        import socket

        from moto.server import ThreadedMotoServer

        # ThreadedMotoServer.start() would wait forever if it could not bind: check first
        try:
            with socket.create_server((self.host, self.port)):
                pass
        except OSError as exc:
            raise StackError(f"cannot listen on {self.host}:{self.port}: {exc}") from exc
        # moto logs every request through werkzeug; the stack's own log is enough
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        self.endpoint = f"http://{host}:{port}"
        _forget_moto_state(self.endpoint)
        return self.endpoint

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


def _forget_moto_state(endpoint: str) -> None:
    """A new emulator starts empty. moto keeps its resources in the process, not in the server
    object: without its reset API, a bucket, table item or queue message left by an earlier
    emulator of the same process (the same names: the template's) would be found again."""
    import urllib.request

    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=30):  # noqa: S310 - the emulator on loopback
        pass


def _forget_aws_clients() -> None:
    """storemon.service.aws keeps one boto3 client per service and process: a new emulator (another
    endpoint) needs new ones."""
    try:
        from storemon.service import aws
    except ImportError:
        return
    aws.reset()


class StackError(RuntimeError):
    """The local stack cannot start (template, resources, or inputs)."""


def default_dataset(out_dir: str | Path, stores: int = DEFAULT_STORES) -> Path:
    """A generated week of data (``storemon_dev.generate``) in ``out_dir``."""
    try:
        from storemon_dev.generate.dataset import write_dataset
    except ImportError as exc:
        raise StackError(
            f"cannot generate the default dataset ({exc}); pass --data DIR with the three CSVs"
        ) from exc
    write_dataset(out_dir, stores=stores, days=7, seed=0)
    return Path(out_dir)


def input_files(data_dir: str | Path) -> list[Path]:
    """The input files of ``data_dir``: its ``*.csv`` and ``*.csv.gz`` (not recursive)."""
    folder = Path(data_dir)
    if not folder.is_dir():
        raise StackError(f"--data {folder}: not a directory")
    files = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.name.endswith(INPUT_SUFFIXES)
    )
    if not files:
        raise StackError(f"--data {folder}: no .csv or .csv.gz files in it")
    return files


class LocalStack:
    """The whole service on this machine. Use as a context manager or call start/stop."""

    def __init__(
        self,
        template_path: str | Path | None = None,
        *,
        host: str = "127.0.0.1",
        region: str = REGION,
        names: dict[str, str] | None = None,
        parameters: dict[str, Any] | None = None,
        max_pollers: int = MAX_POLLERS,
        enforce_auth: bool = True,
        containers: tuple[str, ...] = (),
        pollers: dict[str, int] | None = None,
    ):
        self.template = Template.load(template_path)
        self.enforce_auth = enforce_auth
        self.auth: LocalAuth | None = None  # None: the template's HTTP API has no authorizer
        self.host = host
        self.region = region
        self.names = names
        self.parameters = parameters
        self.max_pollers = max_pollers
        # per function (logical id or short name): its own cap instead of max_pollers, e.g.
        # the webhook deliveries (I/O, MaximumConcurrency 10 on AWS) in a pool of containers
        self.poller_caps = {
            self.template.function(name).logical_id: int(cap)
            for name, cap in (pollers or {}).items()
        }
        # functions (logical ids or short names) run in processes of their own, a pool each
        # (storemon_dev.local.container): not held up by other functions' invocations
        self.containers = {self.template.function(name).logical_id for name in containers}
        self.emulator = Emulator("127.0.0.1" if host in ("localhost", "") else host)
        self.resources: dict[str, Any] = {}
        self.functions: dict[str, LocalFunction] = {}
        self.event_sources: list[SqsEventSource] = []
        self._saved_env: dict[str, str | None] = {}
        self._temp_dirs: list[str] = []
        self._session: Any = None

    # ------------------------------------------------------------------ lifecycle
    def start(
        self, data_dir: str | Path | None = None, *, seed: bool = True, stores: int = DEFAULT_STORES
    ) -> LocalStack:
        """Start moto, create the resources, build the functions, seed ``input/`` (from
        ``data_dir``, or a generated dataset of ``stores`` stores) unless ``seed`` is False,
        then turn the bucket's notification on."""
        try:
            endpoint = self.emulator.start()
            self._set_env(aws_environment(endpoint, self.region))
            _forget_aws_clients()
            self.resources = self._create_resources(notifications=False)
            self.auth = LocalAuth.create(
                self.template, self.client("cognito-idp"), endpoint, enforce=self.enforce_auth
            )
            self.functions = {
                lid: self._make_function(spec) for lid, spec in self.template.functions.items()
            }
            if seed:
                self.seed(data_dir, stores=stores)
            self._create_resources(notifications=True)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self, busy_timeout: float = 10.0) -> None:
        """Stop the pollers (an invocation in flight gets ``busy_timeout`` seconds to end: the
        emulator's state goes with the process anyway) and moto, restore the environment; safe
        to call twice."""
        for source in self.event_sources:
            source.stop(timeout=0)
        deadline = time.monotonic() + busy_timeout
        for source in self.event_sources:
            if not source.stop(timeout=max(0.0, deadline - time.monotonic())):
                log.warning("%s is still in an invocation; leaving it behind", source.name)
        self.event_sources = []
        for function in self.functions.values():
            close = getattr(function, "close", None)
            if close is not None:
                close()
        self.emulator.stop()
        _forget_aws_clients()
        GATE.reset()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env = {}
        for folder in self._temp_dirs:
            shutil.rmtree(folder, ignore_errors=True)
        self._temp_dirs = []

    def __enter__(self) -> LocalStack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _set_env(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    # ------------------------------------------------------------------ AWS side
    @property
    def endpoint(self) -> str:
        return self.emulator.endpoint

    @property
    def bucket(self) -> str:
        return str(self.resources["bucket"])

    def client(self, service: str) -> Any:
        import boto3

        if self._session is None:
            self._session = boto3.session.Session(
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                region_name=self.region,
            )
        return self._session.client(service, endpoint_url=self.endpoint)

    def _create_resources(self, *, notifications: bool) -> dict[str, Any]:
        try:
            from storemon_dev.local.resources import create_resources
        except ImportError as exc:  # pragma: no cover - the module ships with the package
            raise StackError(f"storemon_dev.local.resources is not available: {exc}") from exc
        clients = {name: self.client(name) for name in ("s3", "dynamodb", "sqs")}
        return create_resources(
            template_path=self.template.path,
            clients=clients,
            names=self.names,
            parameters=self.parameters,
            notifications=notifications,
        )

    def function_env(self, spec: FunctionSpec) -> dict[str, str]:
        from storemon_dev.local.resources import function_environment

        env = function_environment(self.resources, spec.logical_id)
        env.update(aws_environment(self.endpoint, self.region))
        # webhook receivers on loopback (http:// allowed), as tests and `make demo` run them;
        # the template never sets it, so on AWS receivers are https:// and public
        env["WEBHOOK_LOCAL_RECEIVERS"] = "true"
        return env

    def _make_function(self, spec: FunctionSpec) -> LocalFunction:
        for event in spec.unsupported_events:
            log.warning("%s: event %s is not emulated locally", spec.logical_id, event)
        from storemon_dev.local.container import ContainerFunction

        where: dict[str, Any] = {
            "physical_name": f"{STACK_NAME}-{spec.logical_id}",
            "region": self.region,
            "account_id": ACCOUNT_ID,
            "layer_dirs": self.template.layer_dirs(spec),
        }
        if spec.logical_id in self.containers:  # as many environments as concurrent pollers
            size = self.concurrency(spec.logical_id)
            return ContainerFunction(spec, self.function_env(spec), size=size, **where)
        return LocalFunction(spec, self.function_env(spec), **where)

    def pollers(self, source: Any) -> int:
        """The pollers of an SQS event source: its ``ScalingConfig.MaximumConcurrency``, at
        most ``max_pollers`` (or the function's own cap, ``pollers``)."""
        cap = self.poller_caps.get(source.function, self.max_pollers)
        return max(1, min(source.max_concurrency or cap, cap))

    def concurrency(self, function: str) -> int:
        """How many invocations of `function` the stack can run at once: the pollers of its
        enabled SQS event sources (``max_pollers`` or its own cap for a function without any:
        direct and HTTP invocations)."""
        sources = [s for s in self.template.sqs_sources if s.function == function and s.enabled]
        cap = self.poller_caps.get(function, self.max_pollers)
        return sum(self.pollers(s) for s in sources) or cap

    def function(self, name: str) -> LocalFunction:
        return self.functions[self.template.function(name).logical_id]

    # ------------------------------------------------------------------ inputs
    @property
    def input_prefix(self) -> str:
        return str(self.resources["env"].get("INPUT_PREFIX", "input/"))

    def seed(self, data_dir: str | Path | None, *, stores: int = DEFAULT_STORES) -> list[str]:
        """Upload ``data_dir``'s input files (or a generated dataset) under the input prefix."""
        if data_dir is None:
            folder = tempfile.mkdtemp(prefix="storemon-data-")
            self._temp_dirs.append(folder)
            data_dir = default_dataset(folder, stores=stores)
        s3 = self.client("s3")
        keys = []
        for path in input_files(data_dir):
            key = self.input_prefix + path.name
            s3.upload_file(str(path), self.bucket, key)
            keys.append(key)
        log.info("seeded %s", ", ".join(keys))
        return keys

    # ------------------------------------------------------------------ users
    def authorize(self, request: HttpRequest) -> dict[str, Any] | None:
        """``requestContext.authorizer`` of a request (None when the API has no authorizer);
        AuthorizationFailed when the authorizer refuses it."""
        return self.auth.authorize(request) if self.auth else None

    def token(self, username: str = "admin", *, admin: bool = True, stores: tuple = ()) -> str:
        """A fresh access token of a user of the stack's pool (made with that role)."""
        if self.auth is None:
            raise StackError("the template's HTTP API has no authorizer: no tokens to issue")
        return self.auth.token(username, admin=admin, stores=stores)

    # ------------------------------------------------------------------ wiring
    def invoke(self, function: str, event: Any) -> Any:
        return self.function(function).invoke(event)

    def gateway(self) -> HttpApiGateway:
        def on_error(function: str, exc: BaseException) -> None:
            log.error("%s: %s", function, exc)

        return HttpApiGateway(
            self.template.routes,
            self.invoke,
            account_id=ACCOUNT_ID,
            api_id=API_ID,
            on_error=on_error,
            authorize=self.authorize,
        )

    def start_event_sources(self) -> list[SqsEventSource]:
        """One poller per unit of concurrency (``ScalingConfig.MaximumConcurrency``, at most
        ``max_pollers``) for each enabled SQS event of the template."""
        sqs = self.client("sqs")
        for source in self.template.sqs_sources:
            if not source.enabled:
                continue
            queue_id = source.queue_logical_id
            if queue_id not in self.resources["names"]:
                raise StackError(f"{source.function}: queue {source.queue!r} was not created")
            name = self.resources["names"][queue_id]
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            attrs = sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["QueueArn", "VisibilityTimeout"]
            )["Attributes"]
            function = self.functions[source.function]
            for i in range(self.pollers(source)):
                esm = SqsEventSource(
                    self.client("sqs"),
                    url,
                    attrs["QueueArn"],
                    function.invoke,
                    region=self.region,
                    batch_size=source.batch_size,
                    batching_window=source.batching_window,
                    report_batch_item_failures=source.report_batch_item_failures,
                    visibility_timeout=int(attrs["VisibilityTimeout"]),
                    name=f"{source.function}/{source.event_name}#{i + 1}",
                )
                esm.start()
                self.event_sources.append(esm)
        return self.event_sources
