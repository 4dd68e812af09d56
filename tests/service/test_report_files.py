"""ReportFileCache: a report's JSON files are read from S3 once per warm container."""

import boto3

from storemon.service.report_files import ReportFileCache

BUCKET = "report-files"


def _put(key: str, body: str) -> None:
    boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=body.encode())


def test_a_file_is_read_once_and_the_oldest_is_forgotten(aws_env):
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    _put("reports/a/stores.json", '{"report": "a"}')
    _put("reports/b/stores.json", '{"report": "b"}')
    cache = ReportFileCache(size=1)

    assert cache.get(BUCKET, "reports/a/stores.json") == {"report": "a"}
    _put("reports/a/stores.json", '{"report": "changed"}')  # never happens to a report's files
    assert cache.get(BUCKET, "reports/a/stores.json") == {"report": "a"}  # no second read

    assert cache.get(BUCKET, "reports/b/stores.json") == {"report": "b"}  # a is evicted
    assert cache.get(BUCKET, "reports/a/stores.json") == {"report": "changed"}  # read again
