"""The service's configuration, from the environment the template gives every function.

Each handler builds :class:`Settings` with :meth:`Settings.from_env` at the start of every
invocation (cheap; the local stack and the tests change the environment between invocations)
and passes it to the service functions as their ``settings`` parameter. A missing or malformed
variable fails the invocation before any work, with a :class:`~storemon.errors.ConfigurationError`
naming the variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from storemon.errors import ConfigurationError

REQUIRED = {"table": "TABLE_NAME", "bucket": "BUCKET_NAME", "queue_url": "QUEUE_URL"}
NUMBERS = {
    "url_expiry_seconds": "URL_EXPIRY_SECONDS",
    "max_receive_count": "MAX_RECEIVE_COUNT",
    "retention_days": "RETENTION_DAYS",
    "stale_after_seconds": "STALE_AFTER_SECONDS",
    "refresh_quiet_seconds": "REFRESH_QUIET_SECONDS",
    "max_running_per_caller": "MAX_RUNNING_PER_CALLER",
    "alert_min_minutes": "ALERT_MIN_MINUTES",
    "webhook_backoff_seconds": "WEBHOOK_BACKOFF_SECONDS",
    "shard_polls": "STOREMON_SHARD_POLLS",
}
# the alerts' resources (SPEC §10), given to the functions that use them only
OPTIONAL = {
    "alerts_table": "ALERTS_TABLE",
    "subscriptions_table": "SUBSCRIPTIONS_TABLE",
    "alert_topic_arn": "ALERT_TOPIC_ARN",
    "delivery_queue_url": "DELIVERY_QUEUE_URL",
}
# Set by the local stack and the tests only (never by template.yaml): webhook receivers may be
# http:// and must be on loopback (127.0.0.0/8, ::1); without it: https:// and public addresses.
LOCAL_RECEIVERS = "WEBHOOK_LOCAL_RECEIVERS"
MAX_DELAY_SECONDS = 900  # SQS DelaySeconds
URL_EXPIRY_BOUND = 3600  # presigned URLs: an hour, unless URL_EXPIRY_OVERRIDE_SECONDS says more
MAX_URL_EXPIRY = 43200  # the role session that signs a URL lasts at most 12 hours
# (lowest, highest) of each number; the others: at least 1
BOUNDS: dict[str, tuple[int, int | None]] = {
    "URL_EXPIRY_SECONDS": (60, URL_EXPIRY_BOUND),
    "URL_EXPIRY_OVERRIDE_SECONDS": (0, MAX_URL_EXPIRY),
    "REFRESH_QUIET_SECONDS": (0, MAX_DELAY_SECONDS),
    "MAX_RUNNING_PER_CALLER": (0, None),
    "ALERT_MIN_MINUTES": (0, 525_600),
    "WEBHOOK_BACKOFF_SECONDS": (1, MAX_DELAY_SECONDS),
}


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
    refresh_quiet_seconds: int = 0
    max_running_per_caller: int = 10  # 0: no limit
    alert_min_minutes: int = 0  # SPEC §10's M for the SNS topic (and new subscriptions)
    alerts_table: str = ""
    subscriptions_table: str = ""
    alert_topic_arn: str = ""
    delivery_queue_url: str = ""
    webhook_backoff_seconds: int = 30  # the first retry's wait; doubled each time, at most 900
    local_receivers: bool = False
    # a report of more polls is computed by store shards of about this many (issue 18)
    shard_polls: int = 5_000_000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings in `env` (default: ``os.environ``); ConfigurationError naming the first
        missing or malformed variable."""
        env = os.environ if env is None else env
        values: dict = {field: _required(env, name) for field, name in REQUIRED.items()}
        values["input_prefix"] = env.get("INPUT_PREFIX") or "input/"
        values["report_prefix"] = env.get("REPORT_PREFIX") or "reports/"
        for field, name in NUMBERS.items():
            number = _number(env, name)
            if number is not None:
                values[field] = number
        for field, name in OPTIONAL.items():
            values[field] = env.get(name, "").strip()
        values["local_receivers"] = env.get(LOCAL_RECEIVERS, "").strip().lower() == "true"
        override = _number(env, "URL_EXPIRY_OVERRIDE_SECONDS") or 0
        if override:  # the operator's knowing choice (template UrlExpiryOverrideSeconds)
            if override < 60:
                raise ConfigurationError(
                    f"URL_EXPIRY_OVERRIDE_SECONDS must be 0 or from 60 to {MAX_URL_EXPIRY}"
                )
            values["url_expiry_seconds"] = override
        return cls(**values)


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"the environment variable {name} is not set")
    return value


def _number(env: Mapping[str, str], name: str) -> int | None:
    text = env.get(name, "").strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {text!r}") from None
    low, high = BOUNDS.get(name, (1, None))
    if value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise ConfigurationError(f"{name} must be {bounds}, not {value}")
    return value


def require(settings: Settings, field: str) -> str:
    """The value of an optional setting a function needs; ConfigurationError naming its
    variable when the function's environment lacks it."""
    value = str(getattr(settings, field))
    if not value:
        raise ConfigurationError(f"the environment variable {OPTIONAL[field]} is not set")
    return value
