"""The page's last 30 days (issue 19): one bar per local date coloured by its uptime, the
numbers on hover and on keyboard focus, the month column and the fleet's month, closures on
the timeline with their reason, and the data's time for people.

By hand: store 1001 (UTC) is open Mondays 09:00-12:00; polls Monday 2023-01-23 10:00 active
and 11:30 inactive (the change at the midpoint 10:45; before the first poll, its status:
active); store 2002 (no hours: 24/7; no zone: America/Chicago) has one active poll at
2023-01-23 12:00, which is now. Closures of 1001: all of Monday 16 Jan (renovation) and
Wednesday 18 Jan (stocktake, no business hours anyway). 1001's last 30 local dates are Sun 25
Dec 2022 .. Mon 23 Jan 2023: Mondays 26 Dec, 2 and 9 Jan 3 h all up (100 %); 16 Jan closed (no
business time); 23 Jan 1.75 h up and 1.25 h down of 3 h (58.3 %); the other 25 dates have no
business hours. Its month [24 Dec 12:00, 23 Jan 12:00): 10.75 h up of 12 h = 89.6 %. 2002 is
up all its 720 h: the fleet's month is (10.75 + 720) / (12 + 720) = 99.8 %.
"""

from __future__ import annotations

import pytest

from storemon.page.periods import page_periods
from storemon.page.render import render_report_page
from storemon.report.pipeline import report_from_csv_bytes

STATUS = b"""store_id,status,timestamp_utc
1001,active,2023-01-23 10:00:00 UTC
1001,inactive,2023-01-23 11:30:00 UTC
2002,active,2023-01-23 12:00:00 UTC
"""
HOURS = b"store_id,dayOfWeek,start_time_local,end_time_local\n1001,0,09:00:00,12:00:00\n"
ZONES = b"store_id,timezone_str\n1001,UTC\n"
CLOSURES = b"""store_id,start_local,end_local,reason
1001,2023-01-16 00:00,2023-01-17 00:00,renovation
1001,2023-01-18 00:00,2023-01-19 00:00,stocktake <b>
"""
UP, DOWN = "rgb(46, 157, 91)", "rgb(214, 69, 69)"


def report(**options):
    return report_from_csv_bytes(STATUS, HOURS, ZONES, closures=CLOSURES, **options)


@pytest.fixture(scope="module")
def html() -> str:
    result = report(incidents=True)
    periods = page_periods(
        lambda period, as_of: report(period=period, as_of=as_of), result.summary["now"]
    )
    return render_report_page(result, periods=periods)


def open_store(page, store_id: str):
    page.fill("#search", store_id)
    page.click("#store-rows tr.store button.open")
    return page.locator("tr.details")


def test_thirty_bars_coloured_by_the_days_uptime(open_page, html):
    page = open_page(html).page
    bars = open_store(page, "1001").locator(".day-bar")
    assert bars.count() == 30
    labels = [bars.nth(k).get_attribute("aria-label") for k in range(30)]
    assert labels[0] == "Sun 25 Dec 2022: no business hours"
    assert labels[1] == (
        "Mon 26 Dec 2022: 100.0 % up, 3:00 up and 0:00 down of 3:00 business hours (h:mm)"
    )
    assert labels[22] == "Mon 16 Jan 2023: no business hours"  # closed all day
    assert labels[29] == (
        "Mon 23 Jan 2023: 58.3 % up, 1:45 up and 1:15 down of 3:00 business hours (h:mm)"
    )
    classes = [bars.nth(k).get_attribute("class").split()[1] for k in range(30)]
    full = {1, 8, 15}  # 26 Dec, 2 Jan, 9 Jan
    assert classes == ["full" if k in full else "bad" if k == 29 else "none" for k in range(30)]

    def colour(k: int) -> str:
        return bars.nth(k).evaluate("b => getComputedStyle(b).backgroundColor")

    assert (colour(1), colour(29)) == (UP, DOWN)
    assert bars.nth(0).bounding_box()["height"] < bars.nth(1).bounding_box()["height"]


def test_a_bars_numbers_on_hover_and_on_keyboard_focus(open_page, html):
    page = open_page(html).page
    details = open_store(page, "1001")
    tip = details.locator(".day-tip")
    assert tip.is_hidden()
    details.locator(".day-bar").nth(29).hover()
    assert tip.is_visible() and tip.inner_text().startswith("Mon 23 Jan 2023: 58.3 % up")
    # below the bars: the store's facts and the bars' title above them stay readable
    bars, facts = details.locator(".day-bars").bounding_box(), details.locator(".facts")
    assert tip.bounding_box()["y"] >= bars["y"] + bars["height"]
    assert facts.first.bounding_box()["y"] + facts.first.bounding_box()["height"] <= bars["y"]
    page.mouse.move(0, 0)
    assert tip.is_hidden()
    # the keyboard: from the store's button, Tab reaches the first bar, then the next
    page.focus("#store-rows tr.store button.open")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == "Sun 25 Dec 2022: no business hours"
    assert tip.is_visible() and tip.inner_text() == focused
    page.keyboard.press("Tab")
    assert tip.inner_text().startswith("Mon 26 Dec 2022: 100.0 % up")
    assert page.evaluate("document.activeElement.getAttribute('role')") == "listitem"


def test_the_month_column_and_the_fleets_month(open_page, html):
    page = open_page(html).page
    assert page.inner_text("#fleet-uptime-month") == "99.8 %"
    head = page.locator("#store-table thead th").all_inner_texts()
    assert head[-1] == "Month uptime"
    rows = dict(
        zip(
            page.locator("#store-rows tr.store td.id").all_inner_texts(),
            page.locator("#store-rows tr.store td:last-child").all_inner_texts(),
            strict=True,
        )
    )
    assert rows == {"1001": "89.6 %", "2002": "100.0 %"}
    bars = open_store(page, "2002").locator(".day-bar")  # Chicago's dates, all up
    assert bars.count() == 30
    assert bars.nth(29).get_attribute("aria-label").startswith("Mon 23 Jan 2023: 100.0 % up")


def test_a_closure_on_the_timeline_with_its_reason(open_page, html):
    page = open_page(html).page
    details = open_store(page, "1001")
    planned = details.locator("svg.timeline rect.planned")
    # the week window starts Mon 16 Jan 12:00: the renovation's last 12 hours, and Wed 18 Jan
    assert planned.locator("title").all_text_contents() == [
        "closed: renovation",
        "closed: stocktake <b>",
    ]
    x0, width = 92, 880  # the day row: 00:00 at x0, 24:00 at x0 + width (as the week's test)
    assert float(planned.nth(0).get_attribute("x")) == pytest.approx(x0 + width / 2, abs=0.1)
    assert float(planned.nth(1).get_attribute("width")) == pytest.approx(width, abs=0.1)
    assert details.locator("li.closure").all_inner_texts() == [
        "Mon 16 Jan 00:00 – Tue 17 Jan 00:00: renovation",
        "Wed 18 Jan 00:00 – Thu 19 Jan 00:00: stocktake <b>",
    ]


def test_the_schema_names_the_periods_keys():
    from storemon.page.data import PAGE_DATA_SCHEMA, page_data

    result = report(incidents=True)
    periods = page_periods(
        lambda period, as_of: report(period=period, as_of=as_of), result.summary["now"]
    )
    data = page_data(result, periods)
    assert set(data["stores"]) == set(PAGE_DATA_SCHEMA["stores"])
    assert set(data["days"]) == {"ptr", "t0", "u", "d", "p"}
    assert data["days"]["t0"] == [19351, 19351]  # 2022-12-25 in UTC and in Chicago
    assert data["days"]["u"][29] == 105 and data["days"]["d"][29] == 75  # 1:45, 1:15
    assert set(data["closures"]) == {"ptr", "s", "e", "o", "eo", "r"}
    assert data["days"]["ptr"] == [0, 30, 60]  # 1001, then 2002 (store id order)


def test_the_datas_time_for_people(open_page, html):
    page = open_page(html).page
    assert page.inner_text("#now") == "Mon 23 Jan 2023, 12:00 UTC"
    assert page.get_attribute("#now", "datetime") == "2023-01-23T12:00:00.000000Z"
    assert page.title() == "Store uptime report · Mon 23 Jan 2023, 12:00 UTC"
