"""`make bench` (the page part): the report page at full scale, in a real browser.

1. Generates the synthetic data set (14,092 stores, a week) into a temporary directory, or uses
   ``--data DIR`` (the three files of ``storemon generate``).
2. Computes the report with incidents (``report_from_csv_bytes(..., incidents=True)``), the
   month and each store's last 30 days (``storemon.page.periods.page_periods``: two more
   reports from the files) and renders the page with its 30-day bars (best of ``--repeat``);
   prints its size, plain and gzipped.
3. Loads it in headless Chromium (Debian's package, through Playwright) as if from a presigned
   URL, and times in the page (``performance.now()``, forced layout included): the load until
   the page script is done, a search, a sort, opening a store's timeline.
4. With ``--screenshot PATH``, saves a screenshot of the page with the worst store opened.

Exits non-zero only when something fails, never for a slow figure.
"""

from __future__ import annotations

import argparse
import gzip
import pathlib
import shutil
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
for _root in (REPO / "dev", REPO / "layers" / "common"):
    if str(_root) not in sys.path:
        sys.path.insert(0, str(_root))

PAGE_URL = "https://storemon.test/reports/bench/report.html"
# each snippet returns the milliseconds it took, layout included
TIMED = {
    "search (type 3 digits)": """() => { const box = document.getElementById('search');
        const t = performance.now(); box.value = '123';
        box.dispatchEvent(new Event('input')); document.body.offsetHeight;
        return performance.now() - t; }""",
    "clear the search": """() => { const box = document.getElementById('search');
        const t = performance.now(); box.value = '';
        box.dispatchEvent(new Event('input')); document.body.offsetHeight;
        return performance.now() - t; }""",
    "sort by store id": """() => { const t = performance.now();
        document.querySelector('th[data-key=id] button').click(); document.body.offsetHeight;
        return performance.now() - t; }""",
    "sort by week downtime": """() => { const t = performance.now();
        document.querySelector('th[data-key=dw] button').click(); document.body.offsetHeight;
        return performance.now() - t; }""",
    "open the first store's week": """() => { const t = performance.now();
        document.querySelector('#store-rows tr.store button.open').click();
        document.body.offsetHeight; return performance.now() - t; }""",
    "focus its last day's bar": """() => { const t = performance.now();
        const bars = document.querySelectorAll('tr.details .day-bar');
        bars[bars.length - 1].focus(); document.body.offsetHeight;
        return performance.now() - t; }""",
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stores", type=int, default=14_092)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="renders to time (best of)")
    parser.add_argument("--data", help="directory with the three input files (default: generate)")
    parser.add_argument("--screenshot", help="save a screenshot of the page here (PNG)")
    parser.add_argument("--html", help="also save the page here")
    return parser.parse_args(argv)


def dataset(args: argparse.Namespace, scratch: pathlib.Path) -> dict[str, pathlib.Path]:
    if args.data:
        folder = pathlib.Path(args.data)
        return {
            "status": folder / "store_status.csv",
            "hours": folder / "menu_hours.csv",
            "timezones": folder / "timezones.csv",
        }
    from storemon_dev.generate.dataset import write_dataset

    started = time.perf_counter()
    paths = write_dataset(scratch, stores=args.stores, days=args.days, seed=args.seed)
    print(f"data: generated {args.stores:,} stores in {time.perf_counter() - started:.1f} s")
    return {kind: pathlib.Path(path) for kind, path in paths.items()}


def build_page(paths: dict[str, pathlib.Path], repeat: int) -> tuple[str, object]:
    from storemon.page.periods import page_periods
    from storemon.page.render import render_report_page
    from storemon.report.pipeline import report_from_csv_bytes

    files = [paths[kind].read_bytes() for kind in ("status", "hours", "timezones")]
    started = time.perf_counter()
    result = report_from_csv_bytes(*files, incidents=True)
    report_seconds = time.perf_counter() - started
    started = time.perf_counter()
    periods = page_periods(
        lambda period, as_of: report_from_csv_bytes(*files, period=period, as_of=as_of),
        result.summary["now"],
    )
    periods_seconds = time.perf_counter() - started
    renders = []
    html = ""
    for _ in range(repeat):
        started = time.perf_counter()
        html = render_report_page(result, periods=periods)
        renders.append(time.perf_counter() - started)
    size = len(html.encode())
    packed = len(gzip.compress(html.encode(), 6))
    print(
        f"report with incidents:   {report_seconds:8.2f} s  ({len(result.report):,} stores, "
        f"{len(result.incidents):,} incidents)"
    )
    print(
        f"the month and 30 days:   {periods_seconds:8.2f} s  (two more reports from the files, "
        f"{len(periods.days):,} store-days)"
    )
    print(f"render the page:         {min(renders):8.2f} s  (best of {repeat}, with the bars)")
    print(f"page size:               {size / 1e6:8.2f} MB  ({packed / 1e6:.2f} MB gzipped)")
    return html, result


def in_browser(html: str, screenshot: str | None) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("page bench: no chromium on the PATH (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.route(
            "**/*",
            lambda route: (
                route.fulfill(body=html, content_type="text/html")
                if route.request.url == PAGE_URL
                else route.abort()
            ),
        )
        page.goto(PAGE_URL)
        page.wait_for_selector("body[data-ready=true]", timeout=120_000)
        load = page.evaluate("() => performance.getEntriesByName('storemon-ready')[0].startTime")
        print(f"browser: page ready      {load:8.0f} ms after navigation start")
        for name, code in TIMED.items():
            print(f"browser: {name:<26} {page.evaluate(code):6.0f} ms")
        if screenshot:
            page.select_option("#page-size", "25")
            bars = page.locator("tr.details .day-bar")
            if bars.count():  # the opened store's last day, its numbers shown as on focus
                bars.last.focus()
            page.screenshot(path=screenshot, full_page=True)
            print(f"screenshot: {screenshot}")
        browser.close()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"storemon page bench: {args.stores:,} stores, {args.days} days, seed {args.seed}")
    with tempfile.TemporaryDirectory(prefix="storemon-page-bench-") as scratch:
        html, _ = build_page(dataset(args, pathlib.Path(scratch)), args.repeat)
    if args.html:
        pathlib.Path(args.html).write_text(html)
    in_browser(html, args.screenshot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
