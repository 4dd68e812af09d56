"""``storemon report ... --html FILE``: the page beside the CSV, from the same result."""

from __future__ import annotations

import json
import re

from storemon_dev.cli import main

STATUS = (
    "store_id,status,timestamp_utc\n"
    "A,active,2023-01-23 16:00:00 UTC\n"
    "A,inactive,2023-01-23 17:30:00 UTC\n"
    "B,active,2023-01-23 18:00:00 UTC\n"
)
HOURS = "store_id,day,start_time_local,end_time_local\nA,0,09:00:00,12:00:00\n"
ZONES = "store_id,timezone_str\nA,America/Chicago\n"


def write_inputs(folder):
    paths = []
    for name, text in (("status", STATUS), ("hours", HOURS), ("zones", ZONES)):
        path = folder / f"{name}.csv"
        path.write_text(text)
        paths.append(str(path))
    return paths


def report_with_page(tmp_path):
    status, hours, zones = write_inputs(tmp_path)
    page = tmp_path / "report.html"
    out = tmp_path / "report.csv"
    argv = ["report", "--status", status, "--hours", hours, "--timezones", zones]
    assert main([*argv, "--out", str(out), "--html", str(page)]) == 0
    return out, page


def test_html_option_writes_the_page(tmp_path):
    out, page = report_with_page(tmp_path)
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    data = json.loads(
        re.search(r'<script type="application/json" id="report-data">(.*?)</script>', text).group(1)
    )
    assert data["stores"]["id"] == ["A", "B"]
    assert data["stores"]["dw"] == [1.25, 0]  # as in the CSV: A,...,1.25
    assert out.read_text().splitlines()[1] == "A,0.00,1.75,1.75,60.00,1.25,1.25"


def test_cli_page_in_the_browser(tmp_path, open_page):
    _, page = report_with_page(tmp_path)
    view = open_page(page.read_text(encoding="utf-8")).page
    assert view.inner_text("#fleet-stores") == "2"
    # A: 1.75 h up of 3; B: 24 h up of 24 (24/7, one active poll at now)
    assert view.inner_text("#fleet-uptime-day") == f"{(1.75 + 24) / 27 * 100:.1f} %"
    assert view.locator("#store-rows tr.store td.id").all_inner_texts() == ["A", "B"]


def test_unwritable_html_path_is_an_error_line(tmp_path, capsys):
    status, hours, zones = write_inputs(tmp_path)
    argv = ["report", "--status", status, "--hours", hours, "--timezones", zones]
    code = main(
        [*argv, "--out", str(tmp_path / "r.csv"), "--html", str(tmp_path / "no" / "p.html")]
    )
    assert code == 2
    assert "cannot write output" in capsys.readouterr().err


def test_a_range_reports_page_draws_the_windows_at_its_to(tmp_path):
    """The page of a period's report (here day by day over a range) draws §5's windows at the
    report's now (the range's to) with the month and the last 30 days; the CSV is the range's."""
    status, hours, zones = write_inputs(tmp_path)
    page, out = tmp_path / "range.html", tmp_path / "range.csv"
    argv = ["report", "--status", status, "--hours", hours, "--timezones", zones, "--daily"]
    argv += ["--from", "2023-01-22T00:00:00Z", "--to", "2023-01-23T18:00:00Z"]
    assert main([*argv, "--out", str(out), "--html", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    data = json.loads(
        re.search(r'<script type="application/json" id="report-data">(.*?)</script>', text).group(1)
    )
    assert data["now"] == "2023-01-23T18:00:00.000000Z"
    assert data["stores"]["dw"] == [1.25, 0]  # the week window at to, as the default report
    assert data["days"]["ptr"] == [0, 30, 60]  # 30 local dates per store
    assert out.read_text().splitlines()[0].startswith("store_id,date,business_hours")
