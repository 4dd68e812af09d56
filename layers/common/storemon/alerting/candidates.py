"""Which incidents of an ingest may owe a notification, vectorised.

The service keeps the notification state of every identity in DynamoDB (the truth, written
with conditional writes) and, after each evaluation, a *mirror* of it: one row per incident of
that evaluation whose state it knows (``store_id``, ``start_tick``, ``down_ticks``,
``has_open``). :func:`select` compares an ingest's incidents with the mirror and keeps those
that may owe something (:mod:`storemon.alerting.rule`):

- a §7 incident of the week whose business time reached the threshold of an audience of its
  store above what that audience was told (``down_ticks``): a ``store.down``;
- an incident that is no longer ongoing while some audience waits for its end (``has_open``):
  a ``store.recovered``.

An incident the mirror does not know is taken as possibly owing both (its state is read), so
a missing or old mirror costs reads, never a lost notification: the mirror only ever under-
states the truth (states only move forward), and the service decides from the state it reads.
An hourly ingest of a full-scale history (some 16,000 incidents) reads the state of the few
hundred that changed.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from storemon.alerting.rule import NO_DOWN, Audience, State

if TYPE_CHECKING:
    from storemon.report.alerts import AlertIncidents

VIEW_COLUMNS = [
    "store_id",
    "start_tick",
    "end_tick",
    "business_ticks",
    "ongoing",
    "in_week",
    "start_utc",
    "end_utc",
]
MIRROR_COLUMNS = ["store_id", "start_tick", "down_ticks", "has_open"]


def view_frame(incidents: AlertIncidents) -> pd.DataFrame:
    """The engine's alert incidents (:func:`storemon.report.alerts.alert_incidents`) as the
    frame :func:`select` and the service read: :data:`VIEW_COLUMNS`, ticks as int64."""
    texts = incidents.frame()
    return pd.DataFrame(
        {
            "store_id": np.asarray(incidents.store_id, dtype=object),
            "start_tick": np.asarray(incidents.start_tick, dtype=np.int64),
            "end_tick": np.asarray(incidents.end_tick, dtype=np.int64),
            "business_ticks": np.asarray(incidents.business_ticks, dtype=np.int64),
            "ongoing": np.asarray(incidents.ongoing, dtype=bool),
            "in_week": np.asarray(incidents.in_week, dtype=bool),
            "start_utc": texts["start_utc"].to_numpy(dtype=object),
            "end_utc": texts["end_utc"].to_numpy(dtype=object),
        }
    )


def empty_mirror() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "store_id": np.zeros(0, dtype=object),
            "start_tick": np.zeros(0, dtype=np.int64),
            "down_ticks": np.zeros(0, dtype=np.int64),
            "has_open": np.zeros(0, dtype=bool),
        }
    )


def _with_mirror(view: pd.DataFrame, mirror: pd.DataFrame) -> pd.DataFrame:
    """`view` with the mirror's ``down_ticks``, ``has_open`` and ``known`` per row."""
    known = mirror[MIRROR_COLUMNS].assign(known=True)
    merged = view.merge(known, on=["store_id", "start_tick"], how="left", sort=False)
    merged["known"] = merged["known"].fillna(False).astype(bool)
    merged["down_ticks"] = merged["down_ticks"].fillna(NO_DOWN).astype(np.int64)
    # an unknown state may wait for a recovered
    merged["has_open"] = merged["has_open"].where(merged["known"], True).astype(bool)
    return merged


def select(view: pd.DataFrame, mirror: pd.DataFrame, audiences: Iterable[Audience]) -> pd.DataFrame:
    """The rows of `view` that may owe a notification (see the module doc), with the mirror's
    ``down_ticks``, ``has_open`` and ``known``; one pass per audience, none per store."""
    merged = _with_mirror(view, mirror)
    store = merged["store_id"]
    business = merged["business_ticks"].to_numpy(dtype=np.int64)
    down = merged["down_ticks"].to_numpy(dtype=np.int64)
    owed = ~merged["ongoing"].to_numpy(dtype=bool) & merged["has_open"].to_numpy(dtype=bool)
    reached = merged["in_week"].to_numpy(dtype=bool)
    for audience in audiences:
        crossing = reached & (down < audience.threshold) & (audience.threshold <= business)
        if audience.stores is not None:
            crossing &= store.isin(audience.stores).to_numpy(dtype=bool)
        owed |= crossing
    return merged[owed].reset_index(drop=True)


def states_frame(states: list[tuple[str, int, State]]) -> pd.DataFrame:
    """(store, start, state) of incidents whose state was just read or written, as mirror
    rows."""
    return pd.DataFrame(
        {
            "store_id": pd.Series([s for s, _, _ in states], dtype=object),
            "start_tick": pd.Series([t for _, t, _ in states], dtype="int64"),
            "down_ticks": pd.Series([st.down_ticks for *_, st in states], dtype="int64"),
            "has_open": pd.Series([st.has_open() for *_, st in states], dtype=bool),
        }
    )


def next_mirror(
    view: pd.DataFrame,
    mirror: pd.DataFrame,
    states: pd.DataFrame | None,
    kept_before: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The mirror after an evaluation: for each incident of `view`, the state just read or
    written (`states`: :data:`MIRROR_COLUMNS`), else the old mirror's; incidents no longer
    seen are dropped, incidents never read stay unknown (absent). `kept_before` (``store_id``,
    ``from_tick``; a narrow view, which holds only each store's incidents ending after
    ``from_tick``): the old mirror's rows of incidents starting before it stay too (they are
    the same incidents as before, unseen by this view)."""
    keys = view[["store_id", "start_tick"]]
    fresh = states if states is not None and len(states) else empty_mirror()
    old = mirror[MIRROR_COLUMNS]
    stale = old.merge(fresh[["store_id", "start_tick"]], how="left", indicator=True)
    kept = old[(stale["_merge"] == "left_only").to_numpy()]
    both = pd.concat([fresh[MIRROR_COLUMNS], kept], ignore_index=True)
    out = keys.merge(both, on=["store_id", "start_tick"], how="inner", sort=False)
    if kept_before is not None:
        bounds = old.merge(kept_before, on="store_id", how="left", sort=False)
        before = bounds["start_tick"].to_numpy() < bounds["from_tick"].fillna(np.inf).to_numpy()
        out = pd.concat([out, old[before]], ignore_index=True)
    return out.drop_duplicates(["store_id", "start_tick"]).reset_index(drop=True)


def mirror_to_bytes(mirror: pd.DataFrame) -> bytes:
    """The mirror as gzip CSV (store ids as text)."""
    buffer = io.BytesIO()
    frame = mirror[MIRROR_COLUMNS].assign(has_open=mirror["has_open"].astype(int))
    frame.to_csv(
        buffer, index=False, compression={"method": "gzip", "mtime": 0, "compresslevel": 1}
    )
    return buffer.getvalue()


def mirror_from_bytes(data: bytes) -> pd.DataFrame:
    """A mirror written by :func:`mirror_to_bytes`; ValueError when it is not one."""
    frame = pd.read_csv(
        io.BytesIO(data),
        compression="gzip",
        dtype={"store_id": str, "start_tick": np.int64, "down_ticks": np.int64, "has_open": int},
        keep_default_na=False,
    )
    if list(frame.columns) != MIRROR_COLUMNS:
        raise ValueError(f"not an alerts mirror: columns {list(frame.columns)}")
    frame["store_id"] = frame["store_id"].astype(object)
    frame["has_open"] = frame["has_open"].astype(bool)
    return frame
