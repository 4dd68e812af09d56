"""Fixtures of the local-stack tests (the moto server itself is tests/conftest.py's)."""

from __future__ import annotations

import pytest


@pytest.fixture
def sqs(moto_endpoint: str):
    import boto3

    return boto3.client("sqs", endpoint_url=moto_endpoint, region_name="us-east-1")
