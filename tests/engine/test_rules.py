"""One test per rule of SPEC §1–§5, with expectations worked out by hand.

Dates: 2023-01-23 is a Monday. Chicago is UTC-6 in January (CST); on 2023-03-12 it springs
forward at 02:00 (to UTC-5) and on 2023-11-05 it falls back at 02:00 (to UTC-6).
"""

from __future__ import annotations

import numpy as np
import pytest

from storemon.errors import InputError
from storemon.inputs.csv_reader import read_input
from storemon.report.result import PERCENTAGE_COLUMNS, REPORT_COLUMNS, report_to_csv

from .paths import PATHS, compute

STATUS = "store_id,status,timestamp_utc\n"
HOURS = "store_id,day,start_time_local,end_time_local\n"
ZONES = "store_id,timezone_str\n"


# Every rule holds on both paths: the engine on the CSVs, and a snapshot of them.
VIA = {"path": "csv"}


@pytest.fixture(autouse=True, params=PATHS)
def path(request):
    VIA["path"] = request.param
    yield request.param
    VIA["path"] = "csv"


def report(status, hours="", zones="", **options):
    result = compute(
        VIA["path"],
        read_input((STATUS + status).encode(), "status"),
        read_input((HOURS + hours).encode(), "hours"),
        read_input((ZONES + zones).encode(), "timezones"),
        **options,
    )
    return result


def rows(result):
    return {row.pop("store_id"): row for row in result.report.to_dict("records")}


def values(*durations):
    """The six report values in column order: uptime hour/day/week, downtime hour/day/week."""
    return dict(zip(REPORT_COLUMNS[1:], durations, strict=True))


def test_worked_example():
    # Open Monday 09:00-12:00 (15:00-18:00 UTC); 10:00 active, 11:30 inactive; now 12:00.
    result = report(
        "A,active,2023-01-23 16:00:00 UTC\nA,inactive,2023-01-23 17:30:00 UTC\n",
        "A,0,09:00:00,12:00:00\n",
        "A,America/Chicago\n",
        as_of="2023-01-23 18:00:00",
    )
    assert rows(result)["A"] == values(0.0, 1.75, 1.75, 60.0, 1.25, 1.25)


def test_overnight_span_closes_the_next_day():
    # Monday 22:00 -> Tuesday 02:00 CST = Tue 04:00-08:00 UTC. Inactive at Mon 23:00 (05:00
    # UTC), active at Tue 01:00 (07:00 UTC): the change is at 06:00 UTC.
    result = report(
        "A,inactive,2023-01-24 05:00:00\nA,active,2023-01-24 07:00:00\n",
        "A,0,22:00:00,02:00:00\n",
        "A,America/Chicago\n",
        as_of="2023-01-24 08:00:00",
    )
    assert rows(result)["A"] == values(60.0, 2.0, 2.0, 0.0, 2.0, 2.0)


def test_spring_forward_night_is_an_hour_shorter():
    # Sunday 2023-03-12 00:00-05:00 Chicago: 06:00 UTC (CST) to 10:00 UTC (CDT) = 4 h. The
    # previous Sunday's 00:00-05:00 CST (06:00-11:00 UTC on 03-05) overlaps the week window
    # [03-05 10:00, 03-12 10:00) by 1 h.
    result = report(
        "S,active,2023-03-12 07:00:00\n",
        "S,6,00:00:00,05:00:00\n",
        "S,America/Chicago\n",
        as_of="2023-03-12 10:00:00",
    )
    assert rows(result)["S"] == values(60.0, 4.0, 5.0, 0.0, 0.0, 0.0)


def test_wall_time_in_the_gap_takes_the_offset_before_it():
    # 02:30 does not exist on 2023-03-12: read with CST it is 08:30 UTC (03:30 CDT); 04:00 CDT
    # is 09:00 UTC, so the opening lasts 30 minutes.
    result = report(
        "G,active,2023-03-12 08:45:00\n",
        "G,6,02:30:00,04:00:00\n",
        "G,America/Chicago\n",
        as_of="2023-03-12 10:00:00",
    )
    assert rows(result)["G"] == values(0.0, 0.5, 0.5, 0.0, 0.0, 0.0)


def test_fall_back_night_is_an_hour_longer():
    # Sunday 2023-11-05 00:00 CDT (05:00 UTC) to 05:00 CST (11:00 UTC) = 6 h.
    result = report(
        "F,active,2023-11-05 07:00:00\n",
        "F,6,00:00:00,05:00:00\n",
        "F,America/Chicago\n",
        as_of="2023-11-05 11:00:00",
    )
    assert rows(result)["F"] == values(60.0, 6.0, 6.0, 0.0, 0.0, 0.0)


def test_ambiguous_wall_time_takes_its_first_occurrence():
    # 01:30 happens twice on 2023-11-05: the first (CDT) is 06:30 UTC; 02:00 CST is 08:00 UTC.
    result = report(
        "F,inactive,2023-11-05 07:00:00\n",
        "F,6,01:30:00,02:00:00\n",
        "F,America/Chicago\n",
        as_of="2023-11-05 11:00:00",
    )
    assert rows(result)["F"] == values(0.0, 0.0, 0.0, 0.0, 1.5, 1.5)


def test_store_without_hours_is_open_all_week():
    result = report("N,active,2023-01-23 12:00:00\n", as_of="2023-01-23 18:00:00")
    assert rows(result)["N"] == values(60.0, 24.0, 168.0, 0.0, 0.0, 0.0)
    assert result.summary["stores_default_24x7"] == 1


def test_missing_or_invalid_zone_means_chicago():
    polls = "".join(f"{s},active,2023-01-23 16:00:00\n" for s in "CMIN")
    hours = "".join(f"{s},0,09:00:00,12:00:00\n" for s in "CMIN")
    zones = "C,America/Chicago\nI,Mars/Olympus_Mons\nN,America/New_York\n"
    result = report(polls, hours, zones, as_of="2023-01-23 18:00:00")
    by_store = rows(result)
    chicago = values(60.0, 3.0, 3.0, 0.0, 0.0, 0.0)
    assert by_store["C"] == by_store["M"] == by_store["I"] == chicago
    # New York's 09:00-12:00 is 14:00-17:00 UTC: nothing of it in the last hour.
    assert by_store["N"] == values(0.0, 3.0, 3.0, 0.0, 0.0, 0.0)
    assert result.summary["stores_default_timezone"] == {"missing": 1, "invalid": 1}
    assert list(result.stores.set_index("store_id")["timezone_source"]) == [
        "file",
        "invalid",
        "missing",
        "file",
    ]


def test_last_timezone_row_wins():
    result = report(
        "A,active,2023-01-23 16:00:00\n",
        "A,0,09:00:00,12:00:00\n",
        "A,America/New_York\nA,America/Chicago\n",
        as_of="2023-01-23 18:00:00",
    )
    assert rows(result)["A"]["uptime_last_hour"] == 60.0


def test_days_without_rows_are_closed():
    # Only Monday 09:00-12:00 (15:00-18:00 UTC). Tuesday's poll is outside business hours and
    # ignored; the day window (from Monday 18:00 UTC) holds no business time.
    result = report(
        "A,active,2023-01-23 16:00:00\nA,inactive,2023-01-24 16:00:00\n",
        "A,0,09:00:00,12:00:00\n",
        "A,America/Chicago\n",
        as_of="2023-01-24 18:00:00",
    )
    assert rows(result)["A"] == values(0.0, 0.0, 3.0, 0.0, 0.0, 0.0)


def test_overlapping_rows_count_once():
    result = report(
        "A,active,2023-01-23 16:00:00\n",
        "A,0,09:00:00,12:00:00\nA,0,10:00:00,13:00:00\n",
        "A,America/Chicago\n",
        as_of="2023-01-23 19:00:00",
    )
    assert rows(result)["A"] == values(60.0, 4.0, 4.0, 0.0, 0.0, 0.0)


def test_polls_outside_business_hours_are_ignored():
    result = report(
        "A,active,2023-01-23 16:00:00\nA,inactive,2023-01-23 19:00:00\n",
        "A,0,09:00:00,12:00:00\n",
        "A,America/Chicago\n",
        as_of="2023-01-23 19:00:00",
    )
    assert rows(result)["A"] == values(0.0, 3.0, 3.0, 0.0, 0.0, 0.0)


def test_all_polls_used_when_none_is_inside_business_hours():
    # 08:00 inactive and 13:00 active, both outside 09:00-12:00: the change is at 10:30.
    result = report(
        "A,inactive,2023-01-23 14:00:00\nA,active,2023-01-23 19:00:00\n",
        "A,0,09:00:00,12:00:00\n",
        "A,America/Chicago\n",
        as_of="2023-01-23 19:00:00",
    )
    assert rows(result)["A"] == values(0.0, 1.5, 1.5, 0.0, 1.5, 1.5)


def test_two_polls_at_one_instant_count_once_and_inactive_wins():
    # 10:00 active+inactive (-> inactive), 11:00 active: the change is at 10:30.
    result = report(
        "A,active,2023-01-23 16:00:00\nA,inactive,2023-01-23 16:00:00\n"
        "A,active,2023-01-23 17:00:00\n",
        "A,0,09:00:00,12:00:00\n",
        "A,America/Chicago\n",
        as_of="2023-01-23 18:00:00",
    )
    assert rows(result)["A"] == values(60.0, 1.5, 1.5, 0.0, 1.5, 1.5)


def test_change_at_the_midpoint_belongs_to_the_later_poll():
    # Open 24/7; 10:00 active, 12:00 inactive, now 12:00: from 11:00 on it is inactive, so
    # the last hour [11:00, 12:00) is all downtime.
    result = report(
        "A,active,2023-01-23 10:00:00\nA,inactive,2023-01-23 12:00:00\n",
        as_of="2023-01-23 12:00:00",
    )
    assert rows(result)["A"] == values(0.0, 23.0, 167.0, 60.0, 1.0, 1.0)


@pytest.mark.parametrize("end", ["23:59:59", "24:00:00", "24:00"])
def test_end_of_day_means_midnight(end):
    # Monday 18:00 to midnight Chicago = Tue 00:00-06:00 UTC: exactly 6 h.
    result = report(
        "A,active,2023-01-24 01:00:00\n",
        f"A,0,18:00:00,{end}\n",
        "A,America/Chicago\n",
        as_of="2023-01-24 06:00:00",
    )
    assert rows(result)["A"] == values(60.0, 6.0, 6.0, 0.0, 0.0, 0.0)


def test_equal_start_and_end_is_open_24_hours():
    # Monday 00:00 -> Tuesday 00:00 CST (Mon 06:00 -> Tue 06:00 UTC).
    result = report(
        "A,active,2023-01-23 12:00:00\n",
        "A,0,00:00:00,00:00:00\n",
        "A,America/Chicago\n",
        as_of="2023-01-24 12:00:00",
    )
    assert rows(result)["A"] == values(0.0, 18.0, 24.0, 0.0, 0.0, 0.0)


def test_as_of_ignores_later_polls_and_stores_without_a_poll_by_then():
    status = (
        "A,active,2023-01-23 16:00:00\nA,inactive,2023-01-23 17:30:00\n"
        "A,active,2023-01-23 17:50:00.5\nB,active,2023-01-23 19:00:00\n"
    )
    hours = "A,0,09:00:00,12:00:00\n"
    result = report(status, hours, "A,America/Chicago\n", as_of="2023-01-23T17:45:00Z")
    assert list(result.report["store_id"]) == ["A"]
    # now 11:45 local: 10:00 active, 11:30 inactive (change 10:45); day = 2.75 h of business,
    # and the last hour [10:45, 11:45) is all after the change. The week window starts on
    # Monday 01-16 at 11:45 local and catches the last 15 minutes of that day's opening.
    assert rows(result)["A"] == values(0.0, 1.75, 2.0, 60.0, 1.0, 1.0)
    assert result.summary["now"] == "2023-01-23T17:45:00.000000Z"
    default = report(status, hours, "A,America/Chicago\n")
    assert default.summary["now"] == "2023-01-23T19:00:00.000000Z"
    assert list(default.report["store_id"]) == ["A", "B"]


def test_store_filter_keeps_now_of_the_whole_file():
    # B's own newest poll is 16:00 UTC, but now is A's 20:00 UTC: B's whole opening
    # (15:00-18:00 UTC) is in the day window.
    result = report(
        "A,active,2023-01-23 20:00:00\nB,active,2023-01-23 16:00:00\n",
        "B,0,09:00:00,12:00:00\n",
        "B,America/Chicago\n",
        store_ids=["B"],
    )
    assert list(result.report["store_id"]) == ["B"]
    assert rows(result)["B"] == values(0.0, 3.0, 3.0, 0.0, 0.0, 0.0)
    assert result.summary["now"] == "2023-01-23T20:00:00.000000Z"


def test_rows_sorted_by_store_id_as_text_and_ids_never_floats():
    status = (
        "9223372036854775807,active,2023-01-23 16:00:00\n"
        "10,active,2023-01-23 16:00:00\n"
        "9,active,2023-01-23 16:00:00\n"
        " 8419537941919820732 ,active,2023-01-23 16:00:00\n"
    )
    result = report(status)
    assert list(result.report["store_id"]) == [
        "10",
        "8419537941919820732",
        "9",
        "9223372036854775807",
    ]


def test_malformed_rows_are_skipped_and_counted():
    status = (
        "A,active,2023-01-23 16:00:00\n"
        ",active,2023-01-23 16:00:00\n"  # missing store_id
        "A,up,2023-01-23 16:00:00\n"  # invalid status
        "A,active,yesterday\n"  # invalid timestamp
        "A,active,2023-02-30 16:00:00\n"  # no such date
        "A,active,2023-01-23 16:00:00.1234567\n"  # 7 fraction digits
        "A,active,2023-01-23 16:00:00,extra\n"  # too many fields
        "A,active\n"  # too few fields: no timestamp
        "A, INACTIVE ,2023-01-23 17:30:00 UTC\n"  # valid: case and spaces
    )
    hours = (
        "A,0,09:00:00,12:00:00\n"
        ",0,09:00:00,12:00:00\n"  # missing store_id
        "A,7,09:00:00,12:00:00\n"  # invalid day
        "A,Mon,09:00:00,12:00:00\n"  # invalid day
        "A,1,25:00:00,12:00:00\n"  # invalid start
        "A,1,24:00:00,12:00:00\n"  # 24:00 only as an end
        "A,1,09:00:00,12:60:00\n"  # invalid end
        "A,1,9:00,12:00:00.5\n"  # valid: H:MM and a fraction
    )
    zones = ",America/Chicago\nA,America/Chicago\n"
    result = report(status, hours, zones, as_of="2023-01-23 18:00:00")
    files = result.summary["files"]
    assert files["store_status"]["rows_read"] == 9
    assert files["store_status"]["skipped_reasons"] == {
        "missing store_id": 1,
        "invalid status": 1,
        "invalid timestamp": 4,
        "wrong number of fields": 1,
    }
    assert files["menu_hours"]["rows_read"] == 8
    assert files["menu_hours"]["skipped_reasons"] == {
        "missing store_id": 1,
        "invalid day": 2,
        "invalid start_time_local": 2,
        "invalid end_time_local": 1,
    }
    assert files["timezones"]["skipped_reasons"] == {"missing store_id": 1}
    # the valid Tuesday row adds Tuesday 01-17 09:00-12:00 (active: before the first poll)
    assert rows(result)["A"] == values(0.0, 1.75, 4.75, 60.0, 1.25, 1.25)
    assert result.stores.set_index("store_id").loc["A", "hours_days"] == 2


def test_timestamp_forms_are_equivalent():
    forms = [
        "2023-01-23 16:00:00",
        "2023-01-23 16:00:00 UTC",
        "2023-01-23T16:00:00Z",
        "2023-01-23T10:00:00-06:00",
        "2023-01-23 21:30:00+0530",
        "2023-01-23 16:00:00.000000 UTC",
    ]
    for form in forms:
        status = f"A,inactive,{form}\nB,active,2023-01-23 18:00:00\n"
        result = report(status, "A,0,09:00:00,12:00:00\n")
        assert rows(result)["A"]["downtime_last_day"] == 3.0, form


def test_a_file_without_any_valid_poll_fails_naming_it():
    with pytest.raises(InputError, match=r"store_status.csv: no valid poll"):
        report("A,active,not a time\n")


def test_csv_numbers_are_plain_decimals():
    result = report("A,active,2023-01-23 16:00:00\n", as_of="2023-01-23 18:00:00")
    text = report_to_csv(result.report)
    assert text.splitlines() == [",".join(REPORT_COLUMNS), "A,60.00,24.00,168.00,0.00,0.00,0.00"]


def test_extreme_but_valid_timestamps_do_not_break_the_report():
    # A poll in year 1 and one at the very end of year 9999: open every day of the week.
    hours = "".join(f"A,{day},09:00:00,17:00:00\n" for day in range(7))
    result = report("A,active,0001-01-01 00:00:00\nA,inactive,9999-12-31 23:59:59.999999\n", hours)
    assert result.summary["now"] == "9999-12-31T23:59:59.999999Z"
    # the last 168 h hold 7 openings of 8 h, all after the last (inactive) poll's midpoint
    assert rows(result)["A"]["downtime_last_week"] == 56.0


def test_summary_lists_requested_ids_without_a_poll():
    result = report(
        "A,active,2023-01-23 16:00:00\nB,active,2023-01-23 18:00:00\n",
        store_ids=[" B ", "X", "X", "A", "Z "],
        as_of="2023-01-23 17:00:00",
    )
    # B's only poll is after now: it is not reported, like X and Z that never poll
    assert list(result.report["store_id"]) == ["A"]
    assert result.summary["store_ids_not_found"] == ["B", "X", "Z"]
    assert result.summary["warnings"] == [
        "3 of the 4 requested store ids have no poll at or before now and are not in the report"
    ]


def test_summary_without_filter_or_surprise_has_empty_lists():
    result = report("A,active,2023-01-23 16:00:00\n")
    assert result.summary["store_ids_not_found"] == []
    assert result.summary["warnings"] == []


def test_as_of_after_the_newest_poll_is_a_warning():
    result = report("A,active,2023-01-23 16:00:00\n", as_of="2023-01-24 16:00:00")
    assert result.summary["warnings"] == [
        "as_of 2023-01-24T16:00:00.000000Z is after the newest valid poll "
        "(2023-01-23T16:00:00.000000Z): each store keeps the status of its last poll until then"
    ]
    assert rows(result)["A"] == values(60.0, 24.0, 168.0, 0.0, 0.0, 0.0)


def test_as_of_before_the_first_poll_gives_an_empty_report_and_a_warning():
    result = report(
        "A,active,2023-01-23 16:00:00\n", "A,0,09:00,12:00\n", as_of="2023-01-20 00:00:00"
    )
    assert result.report.empty
    assert list(result.report.columns) == REPORT_COLUMNS
    assert result.summary["stores_reported"] == 0
    assert result.summary["warnings"] == [
        "as_of 2023-01-20T00:00:00.000000Z is before the first valid poll "
        "(2023-01-23T16:00:00.000000Z): no store has a poll by then, so the report is empty"
    ]


def test_percentages_of_the_worked_example():
    result = report(
        "A,active,2023-01-23 16:00:00 UTC\nA,inactive,2023-01-23 17:30:00 UTC\n",
        "A,0,09:00:00,12:00:00\n",
        "A,America/Chicago\n",
        as_of="2023-01-23 18:00:00",
    )
    assert list(result.percentages.columns) == PERCENTAGE_COLUMNS
    # 0 of 60 minutes; 1.75 of 3 hours = 58.33 %, for the day and the week
    assert result.percentages.to_dict("records") == [
        {
            "store_id": "A",
            "uptime_pct_last_hour": 0.0,
            "uptime_pct_last_day": 58.3,
            "uptime_pct_last_week": 58.3,
        }
    ]


def test_percentage_is_nan_without_business_time_and_exact_otherwise():
    # Open Monday 09:00-12:00 only; now Tuesday 18:00 UTC: no business time in the hour or
    # the day. The week: 16:00 active, 17:30:00.001 inactive (change at 16:45:00.0005 UTC):
    # up 1 h 45 min 0.0005 s of 3 h = 58.33338 %, which rounds to 58.3.
    result = report(
        "A,active,2023-01-23 16:00:00\nA,inactive,2023-01-23 17:30:00.001\n",
        "A,0,09:00:00,12:00:00\n",
        "A,America/Chicago\n",
        as_of="2023-01-24 18:00:00",
    )
    row = result.percentages.iloc[0]
    assert np.isnan(row["uptime_pct_last_hour"]) and np.isnan(row["uptime_pct_last_day"])
    assert row["uptime_pct_last_week"] == 58.3
    assert result.percentages.dtypes.iloc[1:].tolist() == [np.float64] * 3


def test_percentages_round_exact_durations_not_the_rounded_report():
    # 24/7; active until the change at 11:59:42 (polls 11:59:24 active, 12:00:00 inactive),
    # now 12:00: the hour is 59.7 minutes up = 99.5 %; the report rounds to 59.7 minutes too,
    # but the day (23 h 59 min 42 s of 24 h = 99.979 %) rounds to 100.0 from exact durations.
    result = report(
        "A,active,2023-01-23 11:59:24\nA,inactive,2023-01-23 12:00:00\n",
        as_of="2023-01-23 12:00:00",
    )
    row = result.percentages.iloc[0]
    assert row["uptime_pct_last_hour"] == 99.5
    assert row["uptime_pct_last_day"] == 100.0
    assert rows(result)["A"]["uptime_last_hour"] == 59.7


def test_polls_decades_away_decide_which_polls_count():
    # Open Monday 09:00-12:00 Chicago (15:00-18:00 UTC in January); now Monday 2023-01-23
    # 12:00: the week holds one opening (2023-01-16's ended at the week's start), 3 h.
    # A: its only poll inside business hours is from 1990 (Monday 09:30, inactive), so the
    #    week's polls (all outside) are not evidence: down all week.
    # B: inside polls in 1985 (inactive) and in the week (active); the 1970 poll is outside
    #    and ignored; the change is at their midpoint, in 2004: up all week. Its 2090 poll is
    #    after now.
    # C: open Tuesday 09:00-12:00 (2023-01-17's opening is in the week, none in the day);
    #    its 1960-01-05 poll (Tuesday 10:00, inactive) is its only one inside: down 3 h.
    # D: as C without that poll: no poll inside, so all count; the 1960 and 2023 polls
    #    change status in 1991: up 3 h.
    result = report(
        "A,inactive,1990-01-01 15:30:00\n"
        "A,active,2023-01-22 18:00:00\nA,active,2023-01-23 18:00:00\n"
        "B,inactive,1970-01-01 12:00:00\nB,inactive,1985-01-07 16:00:00\n"
        "B,active,2023-01-23 16:30:00\nB,inactive,2090-01-02 16:00:00\n"
        "C,inactive,1960-01-01 12:00:00\nC,inactive,1960-01-05 16:00:00\n"
        "C,active,2023-01-20 12:00:00\n"
        "D,inactive,1960-01-01 12:00:00\nD,active,2023-01-20 12:00:00\n",
        "A,0,09:00:00,12:00:00\nB,0,09:00:00,12:00:00\n"
        "C,1,09:00:00,12:00:00\nD,1,09:00:00,12:00:00\n",
        "A,America/Chicago\nB,America/Chicago\nC,America/Chicago\nD,America/Chicago\n",
        as_of="2023-01-23 18:00:00",
    )
    assert rows(result) == {
        "A": values(0.0, 0.0, 0.0, 60.0, 3.0, 3.0),
        "B": values(60.0, 3.0, 3.0, 0.0, 0.0, 0.0),
        "C": values(0.0, 0.0, 0.0, 0.0, 0.0, 3.0),
        "D": values(0.0, 0.0, 3.0, 0.0, 0.0, 0.0),
    }
    assert result.summary["polls_used"] == 3 + 3 + 3 + 2
    assert result.summary["evidence_polls"] == 1 + 2 + 1 + 2
