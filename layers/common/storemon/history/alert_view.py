"""SPEC §10's alert incidents of one version of the history, as the alerts read them.

Evaluated right after a batch lands (before, and whatever becomes of, the report that moves
``latest``): the carry and the partitions from its cut to the newest day, the same polls
``latest``'s report reads (:func:`storemon.history.answer.polls_for` with §5's windows and
the week's incidents), so the view equals the one the report would make
(:func:`storemon.report.alerts.alert_incidents` over that span of evidence).
"""

from __future__ import annotations

import pandas as pd

from storemon.alerting.candidates import view_frame
from storemon.history.answer import polls_for
from storemon.history.ingest import Load
from storemon.report.alerts import alert_incidents
from storemon.report.periods import Period


def alert_view(manifest: dict, load: Load) -> pd.DataFrame:
    """The alert incidents of the history ``manifest`` at its newest poll
    (:func:`storemon.alerting.candidates.view_frame`)."""
    found = polls_for(manifest, load, period=Period(), incidents=True)
    return view_frame(alert_incidents(found.polls, found.hours, found.zones, found.closures))
