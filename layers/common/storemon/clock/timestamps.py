"""The one timestamp grammar (SPEC §1), for single values: no pandas or NumPy here, so the
trigger's cold start stays light.

Accepted, after trimming surrounding whitespace (ASCII only)::

    YYYY-MM-DD HH:MM:SS          ("T" or "t" instead of the space too)
    ...[.f]                      1 to 6 fraction digits after a dot
    ...[ ]UTC | [ ]Z             any case, optionally after one space: UTC
    ...[ ]+HH | +HHMM | +HH:MM   a numeric offset (or "-"), hours <= 23, minutes <= 59

Years 0001-9999, real calendar dates, hours <= 23, minutes and seconds <= 59. No suffix means
UTC. The vectorised parser :func:`storemon.inputs.field_parsers.parse_timestamps` implements
the same grammar for whole columns (a property test checks they agree).
"""

from __future__ import annotations

import re
from datetime import date

from storemon.clock.iso import request_text

US_PER_SECOND = 1_000_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

_GRAMMAR = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})[Tt ]"
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})"
    r"(?:\.(?P<fraction>[0-9]{1,6}))?"
    r"(?: ?(?:(?P<utc>[Uu][Tt][Cc]|[Zz])"
    r"|(?P<sign>[+-])(?P<off_hours>[0-9]{2})(?::?(?P<off_minutes>[0-9]{2}))?))?"
)


def parse_micros(text: str) -> int:
    """`text` as microseconds since 1970-01-01 UTC; ValueError when it is not an accepted
    timestamp."""
    stripped = text.strip()
    match = _GRAMMAR.fullmatch(stripped) if stripped.isascii() else None
    if match is None:
        raise ValueError(f"not a valid timestamp: {text!r}")
    part = {
        name: int(value or 0)
        for name, value in match.groupdict().items()
        if name not in ("utc", "sign")
    }
    part["sign"] = -1 if match["sign"] == "-" else 1
    try:
        days = date(part["year"], part["month"], part["day"]).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        raise ValueError(f"not a valid timestamp (no such date): {text!r}") from None
    if part["hour"] > 23 or part["minute"] > 59 or part["second"] > 59:
        raise ValueError(f"not a valid timestamp (no such time): {text!r}")
    if part["off_hours"] > 23 or part["off_minutes"] > 59:
        raise ValueError(f"not a valid timestamp (no such offset): {text!r}")
    offset = part["sign"] * (part["off_hours"] * 3600 + part["off_minutes"] * 60)
    seconds = days * 86_400 + part["hour"] * 3600 + part["minute"] * 60 + part["second"] - offset
    fraction = int((match["fraction"] or "").ljust(6, "0"))
    return seconds * US_PER_SECOND + fraction


def normalize(text: str) -> str:
    """`text` as UTC ``YYYY-MM-DD HH:MM:SS.ffffff``; ValueError when it is not an accepted
    timestamp (or its offset takes it outside the years 0001-9999)."""
    return request_text(parse_micros(text))
