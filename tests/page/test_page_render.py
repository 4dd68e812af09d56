"""The page's HTML and data, without a browser: self-contained, escaped, the right numbers."""

from __future__ import annotations

import json
import re

from storemon.page.data import PAGE_DATA_SCHEMA, page_data
from storemon.page.render import histogram_svg, render_report_page, script_json
from tests.page.cases import HOSTILE_IDS, worked_example


def embedded_data(text: str) -> dict:
    match = re.search(
        r'<script type="application/json" id="report-data">(.*?)</script>', text, re.S
    )
    assert match
    return json.loads(match.group(1))


def test_script_json_cannot_close_the_script_element():
    text = script_json({"id": "</script><script>alert(1)</script>", "amp": "&lt;"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"id": "</script><script>alert(1)</script>", "amp": "&lt;"}


def test_the_page_references_nothing_outside_itself():
    text = render_report_page(worked_example())
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "@import" not in text and "url(" not in text
    assert "innerHTML" not in text and "outerHTML" not in text and "insertAdjacentHTML" not in text
    assert "default-src 'none'" in text  # the Content-Security-Policy forbids any fetch


def test_hostile_ids_only_inside_the_escaped_data():
    result = worked_example()
    rename = dict(zip(["A", "B", "C"], HOSTILE_IDS[:3], strict=True))
    for frame in (
        result.report,
        result.stores,
        result.percentages,
        result.incidents,
        result.business_intervals,
    ):
        frame["store_id"] = frame["store_id"].map(rename)
    text = render_report_page(result)
    for hostile in HOSTILE_IDS[:3]:
        assert hostile not in text
    assert sorted(embedded_data(text)["stores"]["id"]) == sorted(HOSTILE_IDS[:3])


def test_page_data_of_the_worked_example():
    data = page_data(worked_example())
    stores = data["stores"]
    assert stores["id"] == ["A", "B", "C"]
    assert stores["pd"] == [58.3, 100, 100]
    assert stores["dw"] == [1.25, 0, 78]
    assert stores["f"] == [0, 1 | 2, 1]  # B: no hours and no zone; C: no hours
    assert data["fleet"]["uptime_pct_week"] == 76.6
    assert data["fleet"]["stores_down_week"] == 2
    incidents = data["incidents"]
    # A's incident: 2023-01-23 16:45Z, the week starting 2023-01-16 18:00Z
    assert incidents["ptr"] == [0, 1, 1, 2]
    assert incidents["s"][0] == (6 * 24 + 22) * 3600 + 45 * 60
    assert incidents["e"][0] == 168 * 3600
    assert incidents["o"] == [-360, -300] and incidents["g"] == [1, 0]
    assert incidents["b"] == [75, 4680]
    business = data["business"]
    assert business["ptr"] == [0, 1, 2, 3]  # B and C (24/7) open the whole week
    assert business["o"] == [(6 * 24 + 21) * 3600, 0, 0]
    assert business["c"] == [168 * 3600, 168 * 3600, 168 * 3600]
    chicago = data["zones"][0]
    assert chicago["name"] == "America/Chicago"
    # Chicago's midnight of 2023-01-16 is 06:00Z, 12 h before the week starts
    assert chicago["midnights"][1] == -12 * 3600


def test_the_schema_names_every_key_of_the_page_data():
    """PAGE_DATA_SCHEMA documents the page data's keys: exactly the keys page_data writes
    (and page.js reads)."""
    data = page_data(worked_example())
    assert set(data) == set(PAGE_DATA_SCHEMA)
    for part in ("stores", "incidents", "business"):
        with_periods = {"um", "dm", "pm"} if part == "stores" else set()  # test_page_days
        assert set(data[part]) == set(PAGE_DATA_SCHEMA[part]) - with_periods, part


def test_histogram_counts_by_band():
    svg = histogram_svg([58.3, 100, 53.6, None, 0.0, 99.9])
    titles = re.findall(r"<title>([^<]*)</title>", svg)
    assert "0–5%: 1 stores" in titles
    assert "50–55%: 1 stores" in titles
    assert "55–60%: 1 stores" in titles
    assert "95–100%: 1 stores" in titles
    assert "100%: 1 stores" in titles
    assert "5 stores with business time in the week; 1 without." in svg


def test_missing_extras_still_render():
    result = worked_example()
    result.incidents = None
    result.business_intervals = None
    result.percentages = None
    data = page_data(result)
    assert data["incidents"] is None and data["business"] is None
    assert data["stores"]["pw"] == [58.3, 100, 53.6]  # from the report's hours
    assert isinstance(render_report_page(result), str)
