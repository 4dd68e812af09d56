"""ObjectCache: what was read from S3 is read once per warm container, keyed by bucket and key."""

import json

import boto3
import pytest

from storemon.errors import ObjectMissing
from storemon.service.cache import ObjectCache, clear_caches

BUCKET = "report-files"
OTHER_BUCKET = "report-files-2"


def _put(key: str, body: str, bucket: str = BUCKET) -> None:
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=body.encode())


def test_a_file_is_read_once_and_the_oldest_is_forgotten(aws_env):
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    _put("reports/a/stores.json", '{"report": "a"}')
    _put("reports/b/stores.json", '{"report": "b"}')
    cache = ObjectCache(size=1, parse=json.loads)

    assert cache.get(BUCKET, "reports/a/stores.json") == {"report": "a"}
    _put("reports/a/stores.json", '{"report": "changed"}')  # never happens to a report's files
    assert cache.get(BUCKET, "reports/a/stores.json") == {"report": "a"}  # no second read

    assert cache.get(BUCKET, "reports/b/stores.json") == {"report": "b"}  # a is evicted
    assert cache.get(BUCKET, "reports/a/stores.json") == {"report": "changed"}  # read again


def test_the_same_key_in_two_buckets_is_two_objects(aws_env):
    """(The cache keyed by the object key alone answered the second bucket with the first's.)"""
    for bucket in (BUCKET, OTHER_BUCKET):
        boto3.client("s3").create_bucket(Bucket=bucket)
        _put("reports/a/stores.json", json.dumps({"bucket": bucket}), bucket)
    cache = ObjectCache(size=2, parse=json.loads)
    assert cache.get(BUCKET, "reports/a/stores.json") == {"bucket": BUCKET}
    assert cache.get(OTHER_BUCKET, "reports/a/stores.json") == {"bucket": OTHER_BUCKET}


def test_clear_caches_empties_every_cache_and_failures_are_not_kept(aws_env):
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    first, second = (ObjectCache(size=2, parse=json.loads) for _ in range(2))
    with pytest.raises(ObjectMissing):
        first.get(BUCKET, "reports/a/stores.json")  # not there yet: nothing kept
    _put("reports/a/stores.json", '{"n": 1}')
    assert first.get(BUCKET, "reports/a/stores.json") == second.get(BUCKET, "reports/a/stores.json")
    _put("reports/a/stores.json", '{"n": 2}')
    clear_caches()  # a cold container
    assert first.get(BUCKET, "reports/a/stores.json") == {"n": 2}
    assert second.get(BUCKET, "reports/a/stores.json") == {"n": 2}
