"""`make demo` (python -m storemon_dev.local.demo) on a small dataset."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import CHECKOUT_PATH, ROOT

pytestmark = pytest.mark.slow


def test_demo_runs_end_to_end(tmp_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (CHECKOUT_PATH, env.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "storemon_dev.local.demo",
            "--stores",
            "40",
            "--out",
            str(tmp_path),
            "--timeout",
            "120",
        ],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "stores reported: 40" in done.stdout
    assert "five stores with the most downtime last week:" in done.stdout
    (report,) = tmp_path.glob("report-*.csv")
    assert len(report.read_text().splitlines()) == 41
    (page,) = tmp_path.glob("report-*.html")
    assert page.stem == report.stem and page.read_text().startswith("<!DOCTYPE html>")
    assert "report page (" in done.stdout and "its link (valid 3600 s" in done.stdout
    assert (tmp_path / "serve.log").is_file()
    # the alerts: a receiver subscribed to three stores, two hourly batches taking them down
    # and up again, every delivery verified with standardwebhooks
    assert "uploaded input/polls/hour-1.csv (40 polls)" in done.stdout  # batches, SPEC §10
    assert "uploaded input/polls/hour-2.csv (40 polls)" in done.stdout
    assert done.stdout.count("  store.down ") == 3
    assert done.stdout.count("  store.recovered ") == 3
    assert "6 alerts received, every signature verified (standardwebhooks), 0 rejected" in (
        done.stdout
    )
