"""Which polls of a history's partitions are inside business hours, kept per partition.

Whether a poll is inside its store's business hours (SPEC §4's evidence) depends on the poll
and on the store's hours and zone only: :meth:`StoreCalendar.is_open` answers each (store,
instant) on its own. A report of a poll history reads the carry and 8-9 days, of which a
batch changes one, so the answers for the partitions it did not change are kept (per
process, the last :data:`KEPT` (partition, calendar) pairs) and only the changed ones are
asked: for the same stores' calendar made from the same hours and zones over the same dates
(:attr:`StoreCalendar.hours_made`), without closures (the closed spans depend on the
report's span: then every poll is asked, as without a history).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storemon.clock.ticks import TICKS_PER_US
from storemon.history.partition import Partition
from storemon.report.business_hours import StoreCalendar
from storemon.report.last_made import Newest
from storemon.report.timeline import SelectedPolls

KEPT = 96  # a week's report's partitions, and its page's month's and 30 days'


@dataclass(frozen=True)
class PartsOrder:
    """How a history's polls were taken from its partitions: ``parts`` in their order,
    their polls joined one after the other, then taken at ``take`` (the polls' ``i``-th is
    the joined ``take[i]``-th); ``time_us`` is the polls' own array."""

    parts: tuple[Partition, ...]
    take: np.ndarray
    time_us: np.ndarray

    def inside(self, selected: SelectedPolls, calendar: StoreCalendar) -> np.ndarray | None:
        """Whether each selected poll is inside business hours (``calendar.is_open``),
        the kept answers of unchanged partitions reused; None when the selection is not
        these polls in this order (then the engine asks the calendar itself)."""
        made = calendar.hours_made
        if made is None or calendar.closed is not None or selected.time_us is not self.time_us:
            return None
        lengths = [len(part) for part in self.parts]
        ends = np.cumsum(lengths)
        answers: list[np.ndarray | None] = [_kept(part, made) for part in self.parts]
        if any(answer is None for answer in answers):
            rank = np.empty(len(self.take), dtype=np.int64)
            rank[self.take] = selected.rank  # the selected polls' ranks, partition by partition
            for at, part in enumerate(self.parts):
                if answers[at] is None:
                    ranks = rank[ends[at] - lengths[at] : ends[at]]
                    answer = calendar.is_open(ranks, part.time_us * TICKS_PER_US)
                    answers[at] = _keep(part, made, answer)
        known = [answer for answer in answers if answer is not None]  # every one, by now
        joined = np.concatenate(known) if known else np.zeros(0, dtype=bool)
        return joined[self.take]


# (partition, calendar) -> the answers: a report's, and its page's month and 30 days' (other
# calendars over the same partitions: each keeps its own)
_KEPT: Newest[tuple[int, int], tuple[Partition, object, np.ndarray]] = Newest(KEPT)


def _kept(part: Partition, made: object) -> np.ndarray | None:
    entry = _KEPT.get((id(part), id(made)))
    if entry is None or entry[0] is not part or entry[1] is not made:
        return None
    return entry[2]


def _keep(part: Partition, made: object, answer: np.ndarray) -> np.ndarray:
    _KEPT.keep((id(part), id(made)), (part, made, answer))
    return answer


def forget() -> None:
    _KEPT.clear()
