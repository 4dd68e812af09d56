"""Issue 17, finding 8: an owner's view of their report carries their stores' figures only.
Before, it carried the whole data set's row counts (``summary.files``) and the inputs' S3 keys
and version ids (``inputs``), and a presigned URL of the summary file that holds them."""

from __future__ import annotations

from tests.service.helpers import put_inputs


def _owners_report(stack, api, worker_queue) -> tuple[str, object]:
    put_inputs(stack["bucket"])  # stores 1001 (hours, UTC), 0042 (invalid zone), 2002 (neither)
    owner = api.as_user("olivia", stores=("1001",))
    status, body, _ = owner.post("/trigger_report", json={"store_ids": ["1001"]})
    assert status == 202
    worker_queue.drain()
    return body["report_id"], owner


def test_an_owner_sees_their_stores_figures_only(stack, api, worker_queue):
    report_id, owner = _owners_report(stack, api, worker_queue)
    status, view, _ = owner.get(f"/get_report/{report_id}")
    assert (status, view["status"]) == (200, "Complete")
    assert "inputs" not in view
    assert view["summary_url"] is None
    assert view["report_url"]  # their report's CSV stays theirs to download
    summary = view["summary"]
    assert "files" not in summary  # 6 status rows, 2 hours rows... of every store
    # store 1001 alone: it has hours and a valid zone; its two polls (10:00, 11:30) are used,
    # both within its hours (Mon 09:00-12:00 UTC)
    assert summary["stores_reported"] == 1
    assert summary["store_filter"] == 1
    assert summary["stores_default_24x7"] == 0  # fleet-wide it would be 1 (store 2002)
    assert summary["stores_default_timezone"] == {"missing": 0, "invalid": 0}
    assert summary["polls_used"] == 2
    assert summary["now"] == "2023-01-23T12:00:00.000000Z"
    assert set(summary) <= {
        "now",
        "as_of",
        "store_filter",
        "stores_reported",
        "store_ids_not_found",
        "stores_default_24x7",
        "stores_default_timezone",
        "polls_used",
        "evidence_polls",
        "warnings",
        "duration_seconds",
    }


def test_an_administrator_sees_the_whole_summary_of_the_same_report(stack, api, worker_queue):
    report_id, _ = _owners_report(stack, api, worker_queue)
    view = api.get(f"/get_report/{report_id}")[1]
    assert view["inputs"]["status"]["key"] == "input/store_status.csv"
    assert view["inputs"]["status"]["version_id"]
    assert view["summary"]["files"]["store_status"]["rows_read"] == 6
    assert view["summary_url"]
