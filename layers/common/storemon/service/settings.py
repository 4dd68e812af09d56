"""The service's configuration, read from the environment the template gives every function."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    table: str
    bucket: str
    queue_url: str
    input_prefix: str = "input/"
    report_prefix: str = "reports/"
    url_expiry_seconds: int = 3600
    max_receive_count: int = 3
    retention_days: int = 30
    stale_after_seconds: int = 7200

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ

        def number(name: str, default: int) -> int:
            value = env.get(name, "").strip()
            return int(value) if value else default

        return cls(
            table=env.get("TABLE_NAME", ""),
            bucket=env.get("BUCKET_NAME", ""),
            queue_url=env.get("QUEUE_URL", ""),
            input_prefix=env.get("INPUT_PREFIX", "input/"),
            report_prefix=env.get("REPORT_PREFIX", "reports/"),
            url_expiry_seconds=number("URL_EXPIRY_SECONDS", 3600),
            max_receive_count=number("MAX_RECEIVE_COUNT", 3),
            retention_days=number("RETENTION_DAYS", 30),
            stale_after_seconds=number("STALE_AFTER_SECONDS", 7200),
        )


def settings() -> Settings:
    """The settings in force now (read on every call: cheap, and tests change the env)."""
    return Settings.from_env()
