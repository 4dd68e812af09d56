"""SSRF refusals: receiver URLs checked at subscription time and again at delivery time, on
the address actually connected to; the local stack's loopback-only receivers."""

from __future__ import annotations

import ipaddress
import re
import socket

import pytest

from storemon.service import request_rules, webhook_url
from storemon.service.webhook_url import UrlRefused, check

PUBLIC = "93.184.215.14"  # a public address (never connected to: these tests only resolve)


@pytest.fixture
def dns(monkeypatch) -> dict[str, list[str]]:
    """A resolver the test controls (no network): name -> addresses."""
    names: dict[str, list[str]] = {}

    def resolve(host: str, port: int) -> list[str]:
        if host in names:
            return names[host]
        try:
            return [str(ipaddress.ip_address(host))]  # a literal address resolves to itself
        except ValueError:
            raise socket.gaierror(f"{host} does not resolve here") from None

    monkeypatch.setattr(webhook_url, "resolve", resolve)
    return names


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://169.254.169.254/latest/meta-data", "https://"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://10.0.0.1/hook", "private"),
        ("https://192.168.1.10/hook", "private"),
        ("https://100.64.0.1/hook", "not a public address"),
        ("https://127.0.0.1/hook", "loopback"),
        ("https://[::1]/hook", "loopback"),
        ("https://[fe80::1]/hook", "link-local"),
        ("https://[fd00::1]/hook", "private"),
        ("https://[::ffff:10.0.0.1]/hook", "carries 10.0.0.1"),
        ("https://[::ffff:169.254.169.254]/hook", "link-local"),
        ("https://[64:ff9b::a9fe:a9fe]/hook", "carries 169.254.169.254"),
        ("https://[2002:a00:1::]/hook", "carries 10.0.0.1"),
        ("https://0.0.0.0/hook", "unspecified"),
        ("https://224.0.0.1/hook", "multicast"),
        ("https://240.0.0.1/hook", "reserved"),
        ("http://2130706433/", "https://"),
        ("https://2130706433/", "numeric address"),
        ("https://0x7f.1/", "numeric address"),
        ("https://0177.0.0.1/", "numeric address"),
        ("https://127.1/", "numeric address"),
        ("https://user:secret@hooks.example.com/", "user name"),
        ("ftp://hooks.example.com/", "https://"),
        ("https://nowhere.invalid/", "does not resolve"),
    ],
)
def test_refused_on_aws(url, why, dns):
    with pytest.raises(UrlRefused, match=why):
        check(url, local=False)


def test_a_name_resolving_to_loopback_or_a_private_address_is_refused_on_aws(dns):
    dns["hooks.example.com"] = ["127.0.0.1"]
    with pytest.raises(UrlRefused, match="loopback"):
        check("https://hooks.example.com/storemon", local=False)
    dns["hooks.example.com"] = [PUBLIC, "10.1.2.3"]  # every address must be public
    with pytest.raises(UrlRefused, match="private"):
        check("https://hooks.example.com/storemon", local=False)


def test_a_public_https_receiver_is_accepted(dns):
    dns["hooks.example.com"] = [PUBLIC]
    target = check("https://hooks.example.com:8443/storemon?x=1", local=False)
    assert (target.scheme, target.host, target.port) == ("https", "hooks.example.com", 8443)
    assert (target.path, target.address) == ("/storemon?x=1", PUBLIC)


def test_the_local_stack_takes_loopback_receivers_only():
    assert check("http://127.0.0.1:8080/hook", local=True).address == "127.0.0.1"
    assert check("http://[::1]:8080/hook", local=True).address == "::1"
    for url in ("http://10.0.0.1/hook", "http://169.254.169.254/", f"https://{PUBLIC}/"):
        with pytest.raises(UrlRefused, match="not a loopback address"):
            check(url, local=True)
    for url in ("http://2130706433/", "http://0x7f.1/", "http://127.1/"):
        with pytest.raises(UrlRefused, match="numeric address"):
            check(url, local=True)
    with pytest.raises(UrlRefused, match="delivers to 127.0.0.1"):
        check("http://hooks.example.com/", local=True)  # no name is looked up locally


def test_the_connected_peer_is_checked_again(monkeypatch):
    """DNS rebinding between check and connect, or a proxy in between: the socket's peer
    address is checked before anything is sent."""
    closed = []

    class Peer:
        def getpeername(self):
            return ("10.0.0.7", 443)

        def close(self):
            closed.append(True)

    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: Peer())
    target = webhook_url.Target("https", "hooks.example.com", 443, "/", PUBLIC)
    with pytest.raises(UrlRefused, match="private"):
        webhook_url.post(target, b"{}", {}, local=False)
    assert closed == [True]


def test_a_subscription_to_a_private_address_is_refused(stack, api):
    """Well formed (the document's pattern holds): 422, saying why the destination is refused."""
    status, body, _ = api.post("/subscriptions", json={"url": "https://10.0.0.1/hook"})
    assert (status, body["status"]) == (422, 422) and "private" in body["error"]
    status, body, _ = api.post("/subscriptions", json={"url": "http://169.254.169.254/"})
    assert status == 422 and "https://" in body["error"]
    status, body, _ = api.post("/subscriptions", json={"url": "https://2130706433/"})
    assert status == 422 and "numeric address" in body["error"]
    assert api.get("/subscriptions")[1] == {"subscriptions": []}


@pytest.mark.shared_stack
@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/",
        "https://user:secret@hooks.example.com/",
        " https://hooks.example.com/",
        "https://hooks.example.com/a b",
        "https:///hook",
        "https://hôte.example/",
        "not a url",
    ],
)
def test_a_url_outside_the_documented_pattern_is_malformed(stack, api, url):
    """400, as the document's pattern says (request_rules.WEBHOOK_URL_PATTERN), before any DNS."""
    status, body, _ = api.post("/subscriptions", json={"url": url})
    assert status == 400 and body["error"].startswith("url: is not an http(s) URL"), body
    assert not re.fullmatch(request_rules.WEBHOOK_URL_PATTERN.strip("^$"), url)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/storemon",
        "HTTPS://hooks.example.com:8443/storemon?x=1#f",
        "http://127.0.0.1:8080/hook",
        "http://[::1]:8080/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "http://2130706433/",
    ],
)
def test_the_documented_pattern_takes_every_url_the_destination_check_judges(url):
    assert re.fullmatch(request_rules.WEBHOOK_URL_PATTERN.strip("^$"), url)


def test_a_receiver_rebound_to_a_private_address_is_refused_at_delivery(flow, dns, monkeypatch):
    """Subscribed while its name resolved to a public address; at delivery it resolves to the
    metadata service: refused before any connection is made, the delivery retried later."""
    monkeypatch.setenv("WEBHOOK_LOCAL_RECEIVERS", "false")  # AWS's rules for this test
    dns["hooks.example.com"] = [PUBLIC]
    status, body, _ = flow.api.post("/subscriptions", json={"url": "https://hooks.example.com/x"})
    assert status == 201, body
    dns["hooks.example.com"] = ["169.254.169.254"]

    def no_connection(*args, **kwargs):
        raise AssertionError("a refused receiver must never be connected to")

    monkeypatch.setattr(socket, "create_connection", no_connection)
    from tests.service.helpers import put_inputs

    put_inputs(flow.stack["bucket"])
    flow.worker_queue.drain()
    outcome = flow.delivery_queue.poll_once()
    assert outcome is not None and len(outcome.kept) == 1
