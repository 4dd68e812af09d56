"""Headless Chromium (Debian's ``chromium`` package) driven by Playwright for Python.

Playwright's own browser download cannot work here, so the browser is the system's, found on
the PATH. Without one the browser tests skip with a message, except in CI (``CI=true``), where
a missing browser is a failure: ``.ci/run`` installs the package before ``make test``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field

import pytest

BROWSERS = ("chromium", "chromium-browser")
PAGE_URL = "https://storemon.test/reports/example/report.html"


def chromium_path() -> str | None:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: .ci/run must install Debian's chromium package)")
    pytest.skip(f"browser tests skipped: {reason} (apt-get install -y chromium)")


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        _unavailable("no chromium on the PATH")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True)
        yield browser
        browser.close()


@dataclass
class Visit:
    """One page load and everything the page did: requests past the document, dialogs,
    console errors and uncaught exceptions."""

    page: object
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.requests == [], f"the page made requests: {self.requests}"
        assert self.dialogs == [], f"the page opened dialogs: {self.dialogs}"
        assert self.errors == [], f"script or console errors: {self.errors}"


@pytest.fixture
def open_page(browser):
    """``open_page(html, width=1280, height=900)`` loads the page as if from a presigned URL
    (every other request is counted and aborted) and waits until its script has run."""
    contexts = []
    visits = []

    def load(html: str, width: int = 1280, height: int = 900) -> Visit:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        visit = Visit(page)
        visits.append(visit)

        def route(request_route):
            if request_route.request.url == PAGE_URL:
                request_route.fulfill(status=200, content_type="text/html", body=html)
            else:
                visit.requests.append(request_route.request.url)
                request_route.abort()

        context.route("**/*", route)
        page.on("dialog", lambda dialog: (visit.dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda exc: visit.errors.append(f"pageerror: {exc}"))
        page.on(
            "console",
            lambda msg: (
                visit.errors.append(f"console: {msg.text}") if msg.type == "error" else None
            ),
        )
        page.goto(PAGE_URL)
        page.wait_for_selector("body[data-ready=true]", timeout=60_000)
        return visit

    yield load
    for visit in visits:
        visit.assert_clean()
    for context in contexts:
        context.close()
