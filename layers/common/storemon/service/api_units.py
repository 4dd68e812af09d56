"""The API's answer models' common parts (the OpenAPI document's units and the day-by-day
answer, SPEC §8): every number says its unit, minutes for the hour window and incidents'
business time, hours otherwise, percentages of the business time."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Answer(BaseModel):
    """An answer's shape, for the OpenAPI document only (the routes' answers are never
    validated against it): its schema is built when the document is, not at each cold start."""

    model_config = ConfigDict(defer_build=True)


MINUTES, HOURS, PERCENT = "minutes", "hours", "percent of the business time, 1 decimal"
_PCT = f"{PERCENT}; null without business time"
ISO = "ISO 8601 UTC (YYYY-MM-DDTHH:MM:SS.ffffffZ)"


def _number(unit: str, what: str) -> Any:
    return Field(description=f"{what} ({unit})")


def _maybe(unit: str, what: str) -> Any:
    return Field(None, description=f"{what} ({unit})")


class StoreDay(_Answer):
    """One local date of a store (its zone), SPEC §8's day by day."""

    date: str = Field(description="YYYY-MM-DD in the store's zone")
    business_hours: float = _number(HOURS, "business time of the date within [from, to)")
    uptime_hours: float = _number(HOURS, "uptime")
    downtime_hours: float = _number(HOURS, "downtime")
    uptime_percent: float | None = _maybe(_PCT, "uptime / business time")


class StoreDays(_Answer):
    """GET /stores/{store_id}/days: one store's uptime per local date overlapping [from, to)
    (default: the 30 local dates ending at the data's now; from is then 30 days before now
    and the date it falls in, only partly inside, is left out), oldest first, from the
    snapshot of the inputs ``latest`` was made of."""

    store_id: str
    start: str = Field(alias="from", description=f"the range's start: {ISO}")
    end: str = Field(alias="to", description=f"the range's end (the days' now): {ISO}")
    days: list[StoreDay]
    now: str = Field(description=f"the range's end: {ISO}")
    report_id: str
    input_set: str
    source: Literal["snapshot"]
