"""``storemon serve``: the whole service on this machine, over HTTP.

The template's HTTP API routes are served on ``HOST:PORT`` (payload 2.0 events to the
handlers, in this process), the worker is fed from ReportQueue as Lambda's event source mapping
would, S3 uploads under ``input/`` reach ReportQueue through the bucket's notification, and the
emulated AWS endpoint is open for boto3 or the AWS CLI (``--endpoint-url``).

Every request passes the template's JWT authorizer first (``storemon_dev.local.auth``), as on
AWS; ``auth=False`` (``--no-auth``) lets everything through as an administrator, and says so.

At start-up it prints, one per line: ``API: http://HOST:PORT``, ``AWS: http://HOST:PORT2``,
``BUCKET: NAME`` and ``TOKEN: <an administrator's access token>``; Ctrl-C or SIGTERM stops it
(exit 0).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from storemon_dev.local.apigw import HttpApiGateway, HttpRequest, HttpResponse
from storemon_dev.local.stack import LocalStack

log = logging.getLogger("storemon_dev.local")

# hop-by-hop headers, and the ones the server computes itself
_SKIP_RESPONSE_HEADERS = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "date",
    "server",
}
_MAX_CHUNK_LINE = 1024
LISTEN_BACKLOG = 1024  # the kernel caps it at net.core.somaxconn


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "storemon-local"
    gateway: HttpApiGateway  # set on the subclass made per server

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                line = self.rfile.readline(_MAX_CHUNK_LINE)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(_MAX_CHUNK_LINE) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(_MAX_CHUNK_LINE)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        try:
            body = self._read_body()
        except ValueError:
            self._send(HttpResponse.json(400, {"message": "Bad Request"}))
            return
        request = HttpRequest.from_target(
            self.command,
            self.path,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            protocol=self.request_version,
            port=self.server.server_port,  # type: ignore[attr-defined]
        )
        self._send(self.gateway.handle(request))

    def _send(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in _SKIP_RESPONSE_HEADERS:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def __getattr__(self, name: str) -> Any:
        """Any other method (TRACE, QUERY, ...) too: API Gateway routes it to ``$default``."""
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.info("%s %s", self.address_string(), format % args)


class _ThreadingServer(ThreadingHTTPServer):
    """One thread per connection; a listen backlog for bursts of clients (socketserver's
    default of 5 reset connections when 50 clients connected at once)."""

    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True
    allow_reuse_address = True


class ApiServer:
    """The HTTP API on ``host:port`` (port 0: a free one), served from a thread."""

    def __init__(self, gateway: HttpApiGateway, host: str = "127.0.0.1", port: int = 3000):
        handler = type("Handler", (_Handler,), {"gateway": gateway})
        self.httpd = _ThreadingServer((host, port), handler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = str(self.httpd.server_address[0])
        if host in ("0.0.0.0", "::"):
            host = "127.0.0.1"
        return f"http://{host}:{self.httpd.server_port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": 0.2},
            daemon=True,
            name="http-api",
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(10)
            self._thread = None
        self.httpd.server_close()


def _configure_logging() -> None:
    root = logging.getLogger("storemon_dev.local")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s local %(levelname)s %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        root.propagate = False


OPEN_WARNING = (
    "WARNING: --no-auth: the API is OPEN. No token is checked; every request runs as an "
    "administrator (all stores, full reports). For tinkering on this machine only."
)


def _announce(stack: LocalStack, api: ApiServer) -> None:
    """The start-up lines: API, AWS, BUCKET and TOKEN (an administrator's access token)."""
    print(f"API: {api.url}", flush=True)
    print(f"AWS: {stack.endpoint}", flush=True)
    print(f"BUCKET: {stack.bucket}", flush=True)
    if stack.auth is not None:
        print(f"TOKEN: {stack.token()}", flush=True)
        if not stack.auth.enforced:
            print(OPEN_WARNING, file=sys.stderr, flush=True)
            log.warning(OPEN_WARNING)


def _on_signals(stop: threading.Event) -> dict[int, Any]:
    """SIGINT/SIGTERM set ``stop``; a second one quits at once. Returns the previous handlers
    (none when not on the main thread, where signals cannot be handled)."""

    def on_signal(signum: int, frame: Any) -> None:
        if stop.is_set():  # a second Ctrl-C: do not wait for anything
            print("storemon serve: stopped hard", file=sys.stderr, flush=True)
            os._exit(1)
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}


def _load_functions(stack: LocalStack) -> None:
    """Cold starts now, not on the first call."""
    for spec in stack.template.functions.values():
        try:
            stack.functions[spec.logical_id].load()
        except Exception as exc:
            log.error("%s does not load: %s", spec.logical_id, exc)


def _run(stack: LocalStack, api: ApiServer, stop: threading.Event) -> None:
    """Serve until ``stop`` is set: HTTP API, the start-up lines, the pollers."""
    _load_functions(stack)
    api.start()
    _announce(stack, api)
    stack.start_event_sources()  # after the start-up lines: handler logs go to stdout too
    log.info("routes: %s", ", ".join(r.route_key for r in stack.template.routes))
    log.info("press Ctrl-C to stop")
    while not stop.wait(0.2):  # a timed wait: the signal handler runs between the waits
        pass
    log.info("stopping")


# functions run in processes of their own (a pool each, as Lambda scales them): the worker's
# reports and alert evaluations then never make the API's functions wait for them
CONTAINERS = ("WorkerFunction",)


def serve(
    host: str = "127.0.0.1", port: int = 3000, data_dir: str | None = None, auth: bool = True
) -> int:
    """Run the local stack until Ctrl-C / SIGTERM; returns the exit code. The worker runs in
    containers of its own (:data:`CONTAINERS`): in one process, an invocation of it (a full
    report and the first evaluation of the week's alerts: minutes at full scale) held every
    request of the API until it ended (the environment gate, docs/local.md)."""
    from storemon_dev.local.stack import StackError
    from storemon_dev.local.template import TemplateError

    _configure_logging()
    stop = threading.Event()
    previous = _on_signals(stop)
    stack: LocalStack | None = None
    api: ApiServer | None = None
    try:
        try:
            stack = LocalStack(host=host, enforce_auth=auth, containers=CONTAINERS)
            api = ApiServer(stack.gateway(), host, port)  # bind first: fail fast if taken
            stack.start(data_dir)
        except (StackError, TemplateError, OSError) as exc:
            print(f"storemon serve: {exc}", file=sys.stderr, flush=True)
            return 2
        if not stop.is_set():
            _run(stack, api, stop)
        return 0
    finally:
        if api is not None:
            api.stop()
        if stack is not None:
            stack.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
