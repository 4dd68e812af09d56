"""The report page in a real browser: what a person sees and does (issue 11)."""

from __future__ import annotations

import pytest

from storemon.page.render import render_report_page
from tests.page.cases import HOSTILE_IDS, engine_result, with_extras, worked_example


def row_ids(page) -> list[str]:
    return page.locator("#store-rows tr.store td.id").all_inner_texts()


def column(page, index: int) -> list[str]:
    return page.locator(f"#store-rows tr.store td:nth-child({index})").all_inner_texts()


def test_fleet_numbers_are_the_reports(open_page):
    result = worked_example()
    page = open_page(render_report_page(result)).page
    report = result.report
    # by hand: week up 1.75 + 168 + 90 = 259.75 h of 339 h; day up 1.75 + 24 + 24 of 51 h
    assert report["uptime_last_week"].sum() == pytest.approx(259.75)
    assert page.inner_text("#fleet-stores") == "3"
    assert page.inner_text("#fleet-uptime-week") == "76.6 %"
    assert page.inner_text("#fleet-uptime-day") == "97.5 %"
    assert page.inner_text("#fleet-stores-down") == "2"  # A and C
    assert page.inner_text("#fleet-downtime-week") == "79:15"  # 1.25 h + 78 h
    assert page.inner_text("#now") == "Mon 23 Jan 2023, 18:00 UTC"
    assert "1 stores have no business hours" not in page.inner_text("#quality")
    assert page.inner_text("#default-24x7").startswith("2 stores")  # B and C
    assert page.inner_text("#default-zone").startswith("1 stores use America/Chicago")


def test_ranking_is_by_week_downtime(open_page):
    page = open_page(render_report_page(worked_example())).page
    assert row_ids(page) == ["C", "A", "B"]
    assert column(page, 1) == ["1", "2", "3"]
    assert column(page, 3) == ["53.6 %", "58.3 %", "100.0 %"]
    assert column(page, 4) == ["78:00", "1:15", "0:00"]
    assert column(page, 9) == ["1", "1", "0"]


def test_worked_example_incident_in_local_time(open_page):
    page = open_page(render_report_page(worked_example())).page
    page.click("#store-rows tr.store[data-index='0'] button.open")  # store A
    details = page.locator("tr.details[data-for='0']")
    cells = details.locator("tr.incident td").all_inner_texts()
    assert cells == ["Mon 23 Jan 10:45", "12:00", "1:15", "1:15", "ongoing"]
    assert "America/Chicago" in details.inner_text()
    # the timeline: the window 2023-01-16 12:00 .. 2023-01-23 12:00 Chicago time, one row per
    # local day; business 09:00-12:00 on the last, down from 10:45
    timeline = details.locator("svg.timeline")
    days = timeline.locator("text.day").all_text_contents()
    assert days == [
        "Mon 16 Jan",
        "Tue 17 Jan",
        "Wed 18 Jan",
        "Thu 19 Jan",
        "Fri 20 Jan",
        "Sat 21 Jan",
        "Sun 22 Jan",
        "Mon 23 Jan",
    ]
    up = timeline.locator("rect.up")
    down = timeline.locator("rect.down")
    assert up.count() == 1 and down.count() == 1
    x0, width = 92, 880  # the day row: 00:00 at x0, 24:00 at x0 + width
    assert float(up.get_attribute("x")) == pytest.approx(x0 + width * 9 / 24, abs=0.1)
    assert float(up.get_attribute("width")) == pytest.approx(width * 3 / 24, abs=0.1)
    assert float(down.get_attribute("x")) == pytest.approx(x0 + width * 10.75 / 24, abs=0.1)
    assert float(down.get_attribute("width")) == pytest.approx(width * 1.25 / 24, abs=0.1)
    # closing the row removes its timeline
    page.click("#store-rows tr.store[data-index='0'] button.open")
    assert page.locator("tr.details").count() == 0


def test_a_24x7_store_shows_its_whole_week(open_page):
    page = open_page(render_report_page(worked_example())).page
    page.click("#store-rows tr.store[data-index='2'] button.open")  # store C, New York
    details = page.locator("tr.details[data-for='2']")
    assert details.locator("tr.incident td").all_inner_texts() == [
        "Wed 18 Jan 13:00",
        "Sat 21 Jan 19:00",
        "78:00",
        "78:00",
        "",
    ]
    # the window 2023-01-16 13:00 .. 2023-01-23 13:00 New York time: 8 local days
    days = details.locator("svg.timeline text.day").all_text_contents()
    assert days[0] == "Mon 16 Jan" and days[-1] == "Mon 23 Jan" and len(days) == 8
    assert "No business hours in the data: open 24/7" in details.inner_text()


def test_search_and_sort(open_page):
    page = open_page(render_report_page(worked_example())).page
    page.fill("#search", "b")
    assert row_ids(page) == ["B"]
    assert page.inner_text("#match-count") == "1 of 3 stores match"
    page.fill("#search", "zzz")
    assert row_ids(page) == []
    assert page.inner_text("#page-info") == "no store matches"
    page.fill("#search", "")
    page.click("th[data-key=id] button")
    assert row_ids(page) == ["A", "B", "C"]
    page.click("th[data-key=id] button")
    assert row_ids(page) == ["C", "B", "A"]
    assert page.get_attribute("th[data-key=id]", "aria-sort") == "descending"
    page.click("th[data-key=pd] button")  # day uptime, worst first; ties keep the ranking
    assert row_ids(page) == ["A", "C", "B"]
    page.click("th[data-key=dw] button")  # week downtime, most first
    assert row_ids(page) == ["C", "A", "B"]


def hostile_result():
    status = "".join(
        f'"{sid.replace(chr(34), chr(34) * 2)}",inactive,2023-01-23 1{i}:00:00\n'
        for i, sid in enumerate(HOSTILE_IDS)
    )
    result = engine_result(status, as_of="2023-01-23 18:00:00")
    incidents = [
        (
            sid,
            "2023-01-20T10:00:00Z",
            "2023-01-23T18:00:00Z",
            "2023-01-20T04:00:00-06:00",
            "2023-01-23T12:00:00-06:00",
            4680.0,
            "true",
        )
        for sid in HOSTILE_IDS
    ]
    return with_extras(result, incidents, [])


def test_hostile_store_ids_stay_text(open_page):
    visit = open_page(render_report_page(hostile_result()))
    page = visit.page
    assert sorted(row_ids(page)) == sorted(HOSTILE_IDS)
    for index in range(len(HOSTILE_IDS)):
        page.click(f"#store-rows tr.store[data-index='{index}'] button.open")
    assert page.locator("tr.details").count() == len(HOSTILE_IDS)
    page.fill("#search", "<script>")
    assert sorted(row_ids(page)) == [
        "</script><script>alert(4)</script>",
        "<script>alert(1)</script>",
    ]
    assert page.locator("script").count() == 2  # the data and the page script, nothing else
    assert page.locator("img, iframe, object, embed").count() == 0
    assert page.locator("svg[onload], [onerror]").count() == 0
    page.wait_for_timeout(200)
    assert visit.dialogs == []


def test_phone_width_has_no_sideways_scroll(open_page):
    page = open_page(render_report_page(worked_example()), width=390, height=844).page
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert page.locator("th[data-key=pd]").is_hidden()
    assert page.locator("th[data-key=pw]").is_visible()
    page.click("#store-rows tr.store[data-index='0'] button.open")
    assert page.locator("tr.details svg.timeline").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_paging_through_many_stores(open_page):
    status = "".join(f"S{i:03d},active,2023-01-23 1{i % 8}:00:00\n" for i in range(120))
    result = engine_result(status, as_of="2023-01-23 18:00:00")
    page = open_page(render_report_page(with_extras(result, [], []))).page
    assert len(row_ids(page)) == 50
    assert page.inner_text("#page-info") == "page 1 of 3 (stores 1–50)"
    page.click("#next")
    page.click("#next")
    assert row_ids(page)[-1] == "S119"
    assert page.is_disabled("#next")
    page.select_option("#page-size", "250")
    assert len(row_ids(page)) == 120


def test_stores_down_now_are_listed_at_the_top(open_page):
    """Store A's incident of the worked example is ongoing (10:45 local until now), C's ended
    on the 22nd, B had none: A alone is down now; its button finds it in the table."""
    page = open_page(render_report_page(worked_example())).page
    assert page.inner_text("#down-now-count").startswith("1 store is down now")
    rows = page.locator("#down-now-table tbody tr")
    assert rows.count() == 1
    assert rows.locator("td").all_inner_texts() == ["A", "Mon 23 Jan 10:45", "1:15", "1:15"]
    sections = page.locator("main > section").evaluate_all("nodes => nodes.map(n => n.id)")
    assert sections[0] == "down-now"
    rows.locator("button.find").click()
    assert row_ids(page) == ["A"]


def test_no_store_down_now_says_so(open_page):
    result = engine_result("B,active,2023-01-20 12:00:00 UTC\n", incidents=True)
    page = open_page(render_report_page(result)).page
    assert page.inner_text("#down-now-count") == "No store is down now."
