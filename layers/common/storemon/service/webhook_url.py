"""Webhook receivers' URLs: no request forgery into private networks (SSRF), and the POST.

A receiver URL is checked when it is subscribed AND at every delivery, against the address
actually connected to (a name that resolved to a public address at subscription time may
resolve to the metadata service later: DNS rebinding):

- on AWS, ``https://`` only, and every address the host name resolves to must be public:
  never private, loopback, link-local (169.254.0.0/16, the metadata service), multicast,
  reserved, unspecified, shared (100.64.0.0/10) or otherwise not globally routable, for
  IPv4 and IPv6 alike, IPv4 inside IPv6 (``::ffff:a.b.c.d``, 6to4, Teredo, NAT64) checked
  as IPv4;
- numeric host forms other than a dotted quad (``2130706433``, ``0x7f.1``, ``0177.0.0.1``)
  are refused outright: they are other spellings of an address;
- no user name or password in the URL;
- the local stack (``WEBHOOK_LOCAL_RECEIVERS=true``, set by ``storemon serve``, the demo and
  the tests, never by the template) takes ``http://`` or ``https://`` receivers on loopback
  addresses only (an address or ``localhost``: no name is looked up), so tests and
  ``make demo`` can watch alerts arrive and nothing else is reached.

:func:`post` connects to one checked address itself (the name is not resolved a second time),
checks the peer address of the connected socket again, sends one POST with bounded timeouts,
reads at most a little of the answer and follows no redirect (a 3xx is a failed attempt).
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from storemon.errors import Unprocessable

MAX_URL_CHARS = 2048
CONNECT_SECONDS = 3.0
ANSWER_SECONDS = 5.0  # each read of the answer; the whole attempt is bounded by DEADLINE
DEADLINE_SECONDS = 10.0
_DOTTED_QUAD = re.compile(
    r"^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$"
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UrlRefused(Unprocessable):
    """The URL may not receive webhooks (422 at subscription time: the request's schema holds,
    its URL pattern included; a failed delivery later)."""


@dataclass(frozen=True)
class Target:
    """A checked receiver: where to connect (``address``) and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (tests replace this to play DNS)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_problem(address: str, *, local: bool) -> str | None:
    """Why a receiver at `address` is refused (None: allowed)."""
    try:
        ip: IPAddress = ipaddress.ip_address(address.split("%", maxsplit=1)[0])
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            problem = address_problem(str(inner), local=local)
            return f"{address} carries {inner}: {problem}" if problem else None
    if local:
        return None if ip.is_loopback else f"{address} is not a loopback address (local stack)"
    for flag in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(ip, f"is_{flag}"):
            return f"{address} is a {flag.replace('_', '-')} address"
    if not ip.is_global:
        return f"{address} is not a public address"
    return None


def _host_problem(host: str) -> str | None:
    if not host:
        return "the URL has no host"
    if ":" in host or _DOTTED_QUAD.match(host):
        return None
    try:
        socket.inet_aton(host)  # what the C library would read as an IPv4 address
    except OSError:
        return None
    return f"host {host!r} is a numeric address not written as a dotted quad"


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check(url: str, *, local: bool) -> Target:
    """The receiver `url` checked as the module doc says (its host resolved now);
    :class:`UrlRefused` saying why not."""
    if not isinstance(url, str) or len(url) > MAX_URL_CHARS:
        raise UrlRefused(f"url must be text of at most {MAX_URL_CHARS} characters")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UrlRefused(f"url is malformed: {exc}") from None
    allowed = ("http", "https") if local else ("https",)
    if parts.scheme.lower() not in allowed:
        raise UrlRefused(f"url must start with {' or '.join(s + '://' for s in allowed)}")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("url may not hold a user name or password")
    host = (parts.hostname or "").rstrip(".")
    problem = _host_problem(host)
    if problem:
        raise UrlRefused(f"url refused: {problem}")
    if local and host.lower() != "localhost" and not _is_address(host):
        raise UrlRefused("url refused: the local stack delivers to 127.0.0.1, [::1] or localhost")
    scheme = parts.scheme.lower()
    port = port or (443 if scheme == "https" else 80)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError):
        raise UrlRefused(f"url refused: host {host!r} does not resolve") from None
    problems = [p for p in (address_problem(a, local=local) for a in addresses) if p]
    if problems or not addresses:
        raise UrlRefused(f"url refused: {host}: {'; '.join(problems) or 'no address'}")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, host, port, path, addresses[0])


class _PinnedConnection(http.client.HTTPSConnection):
    """A connection to one checked address (never the name resolved again), TLS verified
    against the host name for https, the peer address checked once connected."""

    def __init__(self, target: Target, timeout: float, local: bool):
        self._tls = ssl.create_default_context() if target.scheme == "https" else None
        super().__init__(target.host, target.port, timeout=timeout, context=self._tls)
        self._target, self._local = target, local

    def connect(self) -> None:
        sock = socket.create_connection(
            (self._target.address, self._target.port), timeout=CONNECT_SECONDS
        )
        peer = str(sock.getpeername()[0])
        problem = address_problem(peer, local=self._local)
        if problem:
            sock.close()
            raise UrlRefused(f"connected to a refused address: {problem}")
        sock.settimeout(self.timeout)
        if self._tls is not None:
            sock = self._tls.wrap_socket(sock, server_hostname=self._target.host)
        self.sock = sock


def post(target: Target, body: bytes, headers: dict[str, str], *, local: bool) -> int:
    """POST `body` to the checked `target`; the answer's status code (a redirect is not
    followed). Raises OSError (timeouts included) or :class:`UrlRefused`."""
    started = time.monotonic()
    connection = _PinnedConnection(target, ANSWER_SECONDS, local)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        answer = connection.getresponse()
        left = DEADLINE_SECONDS - (time.monotonic() - started)
        if left > 0:
            answer.read(4096)
        return int(answer.status)
    finally:
        connection.close()
