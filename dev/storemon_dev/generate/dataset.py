"""The generator's entry points, and the stores (ids, zones, which have hours)."""

from __future__ import annotations

import gzip
import io
import pathlib

import numpy as np
import pandas as pd

from storemon_dev.generate.calibration import (
    DEFAULT_DAYS,
    DEFAULT_END,
    DEFAULT_SEED,
    DEFAULT_STORES,
    FALLBACK_ZONE,
    FILE_NAMES,
    LARGEST_STORE_ID,
    SHARE_WITH_HOURS_AMONG_ZONELESS,
    SHARE_WITHOUT_HOURS,
    SHARE_WITHOUT_ZONE,
    SMALLEST_STORE_ID,
    ZONE_COUNTS,
    ZONE_NAMES,
)
from storemon_dev.generate.csv_text import hours_csv, status_csv, timezones_csv
from storemon_dev.generate.hours import business_hours_rows
from storemon_dev.generate.polls import closed_inactive, generate_polls


# ---------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------
def generate_frames(
    stores: int = DEFAULT_STORES,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    end: str = DEFAULT_END,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return (status, hours, timezones) frames of strings, exactly as the files hold them."""
    csv_bytes = generate_csv_bytes(stores=stores, days=days, seed=seed, end=end)

    def frame(kind: str) -> pd.DataFrame:
        return pd.read_csv(io.BytesIO(csv_bytes[kind]), dtype=str, keep_default_na=False)

    return frame("status"), frame("hours"), frame("timezones")


def write_dataset(
    out_dir: str | pathlib.Path,
    stores: int = DEFAULT_STORES,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    compress: bool = False,
    *,
    end: str = DEFAULT_END,
) -> dict[str, pathlib.Path]:
    """Write store_status.csv, menu_hours.csv and timezones.csv (``.csv.gz`` if compress).

    Returns the paths keyed "status", "hours" and "timezones".
    """
    out_path = pathlib.Path(out_dir)
    out_path.mkdir(parents=True, exist_ok=True)
    csv_bytes = generate_csv_bytes(stores=stores, days=days, seed=seed, end=end)
    paths: dict[str, pathlib.Path] = {}
    for kind, text in csv_bytes.items():
        path = out_path / (FILE_NAMES[kind] + (".gz" if compress else ""))
        path.write_bytes(gzip.compress(text, compresslevel=6, mtime=0) if compress else text)
        paths[kind] = path
    return paths


def generate_csv_bytes(
    stores: int = DEFAULT_STORES,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    end: str = DEFAULT_END,
) -> dict[str, bytes]:
    """The three files' contents, keyed "status", "hours" and "timezones"."""
    if stores < 1:
        raise ValueError("stores must be at least 1")
    if days < 1:
        raise ValueError("days must be at least 1")
    rng = np.random.default_rng(seed)
    end_us = _parse_end(end)

    store_ids = _unique_store_ids(rng, stores)
    has_zone, zone_index, has_hours = _store_attributes(rng, stores)
    schedule = business_hours_rows(rng, np.flatnonzero(has_hours))

    polls = generate_polls(rng, stores, days, end_us)
    inactive = polls["in_outage"]
    store_zone = np.where(has_zone, ZONE_NAMES[zone_index], FALLBACK_ZONE)
    inactive |= closed_inactive(rng, schedule, polls, stores, store_zone)
    return _files(
        rng,
        store_ids.astype("S19"),
        schedule=schedule,
        polls=polls,
        inactive=inactive,
        has_zone=has_zone,
        zone_index=zone_index,
    )


def _store_attributes(
    rng: np.random.Generator, stores: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per store: whether it has a zone row, its zone (index into ``ZONE_NAMES``) and
    whether it has hours rows."""
    has_zone = rng.random(stores) >= SHARE_WITHOUT_ZONE
    zone_weights = np.array([count for _, count in ZONE_COUNTS], dtype=float)
    zone_index = rng.choice(len(ZONE_NAMES), size=stores, p=zone_weights / zone_weights.sum())

    hours_share_with_zone = (
        SHARE_WITHOUT_HOURS - SHARE_WITHOUT_ZONE * (1 - SHARE_WITH_HOURS_AMONG_ZONELESS)
    ) / (1 - SHARE_WITHOUT_ZONE)
    has_hours = rng.random(stores) < np.where(
        has_zone, 1 - hours_share_with_zone, SHARE_WITH_HOURS_AMONG_ZONELESS
    )
    return has_zone, zone_index, has_hours


def _files(
    rng: np.random.Generator,
    id_bytes: np.ndarray,
    *,
    schedule: dict[str, np.ndarray],
    polls: dict[str, np.ndarray],
    inactive: np.ndarray,
    has_zone: np.ndarray,
    zone_index: np.ndarray,
) -> dict[str, bytes]:
    """The three CSV texts, each file's rows in a random order."""
    status_order = rng.permutation(polls["store"].size)
    hours_order = rng.permutation(schedule["store"].size)
    zone_stores = np.flatnonzero(has_zone)
    zone_stores = zone_stores[rng.permutation(zone_stores.size)]
    return {
        "status": status_csv(
            id_bytes[polls["store"][status_order]],
            inactive[status_order],
            polls["time_us"][status_order],
        ),
        "hours": hours_csv(
            id_bytes[schedule["store"][hours_order]],
            schedule["day"][hours_order],
            schedule["start"][hours_order],
            schedule["end"][hours_order],
        ),
        "timezones": timezones_csv(
            id_bytes[zone_stores], ZONE_NAMES.astype("S")[zone_index[zone_stores]]
        ),
    }


# ---------------------------------------------------------------------------------------
# Stores
# ---------------------------------------------------------------------------------------
def _parse_end(end: str) -> int:
    text = end.strip()
    if text.endswith(" UTC"):
        text = text[: -len(" UTC")]
    stamp = pd.Timestamp(text)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return int(stamp.to_datetime64().astype("datetime64[us]").astype(np.int64))


def _unique_store_ids(rng: np.random.Generator, count: int) -> np.ndarray:
    """Distinct int64 ids, uniform over [1e14, 2**63): 89 % have 19 digits, like the real."""
    ids = rng.integers(SMALLEST_STORE_ID, LARGEST_STORE_ID, size=count, dtype=np.int64)
    while True:
        _, first_index = np.unique(ids, return_index=True)
        if first_index.size == count:
            return ids
        repeated = np.ones(count, dtype=bool)
        repeated[first_index] = False
        ids[repeated] = rng.integers(
            SMALLEST_STORE_ID, LARGEST_STORE_ID, size=int(repeated.sum()), dtype=np.int64
        )
