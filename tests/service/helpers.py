"""Shared data of the service tests: the worked-example inputs, uploading them, and what the
engine makes of them (the fixtures and the in-process API/queue are tests/conftest.py's)."""

from __future__ import annotations

import boto3

from tests.harness import REPO, TEMPLATE

EVENTS = REPO / "events"
__all__ = ["EVENTS", "REPO", "TEMPLATE", "engine_csv", "put_inputs", "s3_text"]

# The classic worked example (SPEC section 5) plus stores exercising the defaults.
STATUS_CSV = (
    "store_id,status,timestamp_utc\n"
    "1001,active,2023-01-23 10:00:00 UTC\n"
    "1001,inactive,2023-01-23 11:30:00 UTC\n"
    "0042,active,2023-01-23 11:00:00.5 UTC\n"
    "0042,inactive,2023-01-22 12:00:00 UTC\n"
    "2002,active,2023-01-23 12:00:00 UTC\n"
    "2002,banana,2023-01-23 11:00:00 UTC\n"
)
HOURS_CSV = (
    "store_id,dayOfWeek,start_time_local,end_time_local\n"
    "1001,0,09:00:00,12:00:00\n"
    "0042,0,00:00:00,23:59:59\n"
)
TZ_CSV = "store_id,timezone_str\n1001,UTC\n0042,Not/AZone\n"

FILES = {"status": "store_status", "hours": "menu_hours", "timezones": "timezones"}


def put_inputs(
    bucket: str,
    status: str | bytes = STATUS_CSV,
    hours: str | bytes = HOURS_CSV,
    timezones: str | bytes = TZ_CSV,
    suffix: str = ".csv",
) -> None:
    s3 = boto3.client("s3")
    for kind, data in (("status", status), ("hours", hours), ("timezones", timezones)):
        body = data.encode() if isinstance(data, str) else data
        s3.put_object(Bucket=bucket, Key=f"input/{FILES[kind]}{suffix}", Body=body)


def engine_csv(status: str = STATUS_CSV, hours: str = HOURS_CSV, tz: str = TZ_CSV, **kw) -> str:
    from storemon.report import pipeline
    from storemon.report.result import report_to_csv

    result = pipeline.report_from_csv_bytes(status.encode(), hours.encode(), tz.encode(), **kw)
    return report_to_csv(result.report)


def s3_text(bucket: str, key: str) -> str:
    return boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()
