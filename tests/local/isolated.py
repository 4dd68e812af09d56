"""Run a test in a fresh Python process: an in-process local stack shares moto's in-memory
state (and resource names, the user pool's among them) with every other moto server and mock
of the process, so tests that start a whole ``LocalStack`` run alone in their own process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FLAG = "STOREMON_TEST_ISOLATED"


def inside() -> bool:
    """Whether this is the isolated process (run the test's body)."""
    return os.environ.get(FLAG) == "1"


def run(nodeid: str, timeout: float = 1500) -> None:
    """Run one test (``path::name``) in a new pytest process; fail with its output if it fails."""
    env = {**os.environ, FLAG: "1"}
    env.pop("PYTEST_XDIST_WORKER", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", nodeid],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-2000:]
