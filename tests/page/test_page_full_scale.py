"""The page at full scale (14,092 generated stores, a week of polls) in a real browser: it
loads, and searching, sorting and opening a store's week work. Timings are in
``bench/page_bench.py`` (``make bench``), not here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from storemon.page.periods import page_periods
from storemon.page.render import render_report_page
from storemon.report.pipeline import report_from_csv_bytes

pytestmark = pytest.mark.slow
FULL_SCALE = 14_092


@pytest.fixture(scope="module")
def full_scale(tmp_path_factory):
    from storemon_dev.generate.dataset import write_dataset

    paths = write_dataset(tmp_path_factory.mktemp("full"), stores=FULL_SCALE, days=7, seed=0)
    files = [Path(paths[kind]).read_bytes() for kind in ("status", "hours", "timezones")]
    result = report_from_csv_bytes(*files, incidents=True)
    periods = page_periods(
        lambda period, as_of: report_from_csv_bytes(*files, period=period, as_of=as_of),
        result.summary["now"],
    )
    return result, render_report_page(result, periods=periods), periods


def test_full_scale_page(full_scale, open_page):
    result, html, periods = full_scale
    report = result.report
    page = open_page(html).page
    assert page.inner_text("#fleet-stores") == f"{FULL_SCALE:,}"
    assert page.inner_text("#match-count") == f"{FULL_SCALE:,} stores"
    # the ranking: most week downtime first, ties by store id
    ranked = report.sort_values(["downtime_last_week", "store_id"], ascending=[False, True])
    shown = page.locator("#store-rows tr.store td.id").all_inner_texts()
    assert shown == ranked["store_id"].head(50).tolist()

    # search for one store by a unique part of its id
    ids = report["store_id"].tolist()
    target = ids[len(ids) // 3]
    part = next(
        target[i : i + 10]
        for i in range(len(target) - 9)
        if sum(target[i : i + 10] in s for s in ids) == 1
    )
    page.fill("#search", part)
    assert page.locator("#store-rows tr.store td.id").all_inner_texts() == [target]
    page.fill("#search", "")

    # sort by store id (string order), then back to the worst week uptime first
    page.click("th[data-key=id] button")
    assert page.locator("#store-rows tr.store td.id").first.inner_text() == min(ids)
    page.click("th[data-key=pw] button")
    worst = result.percentages["uptime_pct_last_week"].min()
    assert (
        page.locator("#store-rows tr.store td:nth-child(3)").first.inner_text() == f"{worst:.1f} %"
    )

    # open the first store's week: its timeline and as many incidents as the engine found
    first = page.locator("#store-rows tr.store").first
    store = first.locator("td.id").inner_text()
    first.locator("button.open").click()
    details = page.locator("tr.details")
    assert details.locator("svg.timeline text.day").count() in (8, 9)
    expected = int(np.sum(result.incidents["store_id"] == store))
    assert details.locator("tr.incident").count() == expected

    # its last 30 days: one bar per local date, the engine's numbers on each
    days = periods.days[periods.days["store_id"].astype(str) == store]
    bars = details.locator(".day-bar")
    assert bars.count() == len(days) == 30
    last = days.iloc[-1]
    label = bars.nth(29).get_attribute("aria-label")
    if last["business_hours"] > 0:
        assert f"{last['uptime_percent']:.1f} % up" in label
    else:
        assert label.endswith(": no business hours")
    month = periods.month.percentages.set_index("store_id")["uptime_pct_last_month"]
    shown = first.locator("td:last-child").inner_text()
    assert shown == ("—" if np.isnan(month[store]) else f"{month[store]:.1f} %")
