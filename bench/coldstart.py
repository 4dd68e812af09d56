"""Cold starts as Lambda has them: each handler imported in a fresh process from the built
layer, against the floor every such handler pays.

    python bench/coldstart.py [--repeat N]        (also a part of `make bench`)

What runs, like Lambda's python3.11 runtime:

- the layer as ``sam build`` makes it (``layers/common/Makefile``, compiled bytecode and all)
  in ``.bench/lambda/layer/python``, built once and reused while ``requirements.txt`` and the
  Makefile are unchanged; the storemon package in it is refreshed from this tree each run;
- boto3 and botocore as the runtime provides them (``/var/runtime``): ``pip install
  --target .bench/lambda/runtime boto3==<the version in .venv>``, compiled, without the
  development extras (awscrt, which botocore would load when present);
- a fresh interpreter with no site-packages (``python -S -E -B``): ``sys.path`` is the
  function's code (its ``app.py``, as source, as sam packages it), then the layer, then the
  runtime's boto3, in Lambda's order; nothing is written back (Lambda's ``/opt`` is
  read-only); the template's environment (``POWERTOOLS_*``, ``LAMBDA_TASK_ROOT``).

Measured inside each process: the seconds of its imports only (interpreter start excluded).
The floor is ``import boto3, aws_lambda_powertools.event_handler``; a handler is
``import app, boto3`` (the handler module, and boto3, which its first AWS call imports).
Best of ``--repeat`` runs, all alternating; tracing off (``POWERTOOLS_TRACE_DISABLED``)
and on (X-Ray, the template's default). Targets (tracing off): trigger and get_report at most
0.1 s over the floor, the worker at most 0.3 s (subscriptions and delivery are measured, with
no target). Also listed: which heavy modules each loaded. The CPU seconds are printed beside
the wall's: on a busy machine they show what the imports cost better than the wall does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parent.parent
LAYER_SOURCE = REPO / "layers" / "common"
LAMBDA_DIR = REPO / ".bench" / "lambda"
LAYER_DIR = LAMBDA_DIR / "layer"
RUNTIME_DIR = LAMBDA_DIR / "runtime"
STAMP = "stamp.json"

FLOOR = "import boto3, aws_lambda_powertools.event_handler"
HANDLERS = ("trigger", "get_report", "worker", "subscriptions", "delivery")
GAP_TARGETS = {"trigger": 0.1, "get_report": 0.1, "worker": 0.3}  # issue 18's (the others: none)
HEAVY = ("pandas", "numpy", "aws_xray_sdk.core", "pydantic", "botocore")

CHILD = """\
import sys, time
sys.path[:0] = {paths!r}
started, cpu = time.perf_counter(), time.process_time()
{imports}
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
print(seconds, cpu, ",".join(m for m in {heavy!r} if m in sys.modules) or "-")
"""


class ColdStartError(Exception):
    """Building the layer or the runtime, or a measured import, failed."""


# ------------------------------------------------------------------ the layer and the runtime
def _digest(*paths: pathlib.Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _run(command: list[str], what: str, **options) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False, **options)
    if done.returncode != 0:
        raise ColdStartError(f"{what} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")


def _stamp_matches(directory: pathlib.Path, expected: dict) -> bool:
    try:
        return json.loads((directory / STAMP).read_text()) == expected
    except (OSError, ValueError):
        return False


def build_layer(python: str) -> pathlib.Path:
    """The layer as sam builds it; the dependencies rebuilt only when their recipe changed,
    the storemon package every time. Its ``python`` directory."""
    stamp = {
        "recipe": _digest(LAYER_SOURCE / "requirements.txt", LAYER_SOURCE / "Makefile"),
        "python": python,
    }
    make = ["make", "-s", "-C", str(LAYER_SOURCE), f"ARTIFACTS_DIR={LAYER_DIR}", f"PYTHON={python}"]
    if not _stamp_matches(LAYER_DIR, stamp):
        print("coldstart: building the layer (layers/common/Makefile) ...", flush=True)
        shutil.rmtree(LAYER_DIR, ignore_errors=True)
        LAYER_DIR.mkdir(parents=True)
        _run([*make, "build-CommonLayer"], "the layer's build")
        (LAYER_DIR / STAMP).write_text(json.dumps(stamp))
    else:
        _run([*make, "storemon-package"], "the layer's storemon package")
    return LAYER_DIR / "python"


def build_runtime(python: str) -> pathlib.Path:
    """boto3 and its dependencies alone, compiled: what Lambda's runtime has on its path."""
    from importlib.metadata import version

    wanted = f"boto3=={version('boto3')}"
    stamp = {"boto3": wanted, "python": python}
    if not _stamp_matches(RUNTIME_DIR, stamp):
        print(f"coldstart: installing {wanted} for the runtime ...", flush=True)
        shutil.rmtree(RUNTIME_DIR, ignore_errors=True)
        RUNTIME_DIR.mkdir(parents=True)
        pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        _run([*pip, "--target", str(RUNTIME_DIR), wanted], "pip install boto3")
        (RUNTIME_DIR / STAMP).write_text(json.dumps(stamp))
    return RUNTIME_DIR


# ------------------------------------------------------------------------- the measurement
def lambda_environment(task: pathlib.Path, tracing: bool) -> dict[str, str]:
    """What Lambda sets, and the template's own variables that are plain text (the Powertools
    and pydantic ones; ``POWERTOOLS_TRACE_DISABLED`` as ``tracing`` says)."""
    env = template_variables()
    env |= {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "LAMBDA_TASK_ROOT": str(task),
        "AWS_LAMBDA_FUNCTION_NAME": "coldstart",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_TRACE_DISABLED": "false" if tracing else "true",
    }
    return env


def template_variables() -> dict[str, str]:
    """The plain-text variables of template.yaml's Globals (none that is an intrinsic)."""
    if str(REPO / "dev") not in sys.path:
        sys.path.insert(0, str(REPO / "dev"))
    from storemon_dev.local.template import Template

    environment = Template.load(REPO / "template.yaml").data["Globals"]["Function"]["Environment"]
    return {name: v for name, v in environment["Variables"].items() if isinstance(v, str)}


def import_seconds(
    python: str, paths: list[pathlib.Path], imports: str, env: dict[str, str]
) -> tuple[float, float, str]:
    """One fresh interpreter: the wall and CPU seconds its ``imports`` took, and the heavy
    modules they loaded."""
    code = CHILD.format(paths=[str(p) for p in paths], imports=imports, heavy=HEAVY)
    done = subprocess.run(
        [python, "-S", "-E", "-B", "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=paths[0],
        check=False,
    )
    if done.returncode != 0:
        raise ColdStartError(f"{imports!r} failed:\n{done.stderr[-3000:]}")
    seconds, cpu, loaded = done.stdout.split()
    return float(seconds), float(cpu), loaded


def measure(repeat: int, tracing_runs: int = 2) -> dict:
    """Best import time (wall and CPU) of the floor and of each handler, tracing off and on;
    every run's times, and the heavy modules each loaded."""
    python = sys.executable
    layer, runtime = build_layer(python), build_runtime(python)
    results: dict = {"loaded": {}}
    with tempfile.TemporaryDirectory(prefix="storemon-coldstart-") as scratch:
        cases = {}
        for name in ("floor", *HANDLERS):  # the function's code as sam packages it: app.py
            task = pathlib.Path(scratch) / name
            task.mkdir()
            if name == "floor":
                cases[name] = (task, FLOOR)
            else:
                shutil.copy(REPO / "functions" / name / "app.py", task / "app.py")
                cases[name] = (task, "import app, boto3")
        for mode, runs in (("off", repeat), ("on", max(1, min(repeat, tracing_runs)))):
            times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
            for _ in range(runs):
                for name, (task, imports) in cases.items():
                    env = lambda_environment(task, tracing=mode == "on")
                    wall, cpu, loaded = import_seconds(python, [task, layer, runtime], imports, env)
                    times[name].append((wall, cpu))
                    results["loaded"][(mode, name)] = loaded
            results[mode] = {name: min(w for w, _ in values) for name, values in times.items()}
            results[f"{mode}_cpu"] = {
                name: min(c for _, c in values) for name, values in times.items()
            }
            results[f"{mode}_runs"] = times
    return results


def print_cold_starts(results: dict) -> None:
    print()
    print(
        "cold imports: a fresh `python -S` with the built layer and boto3 alone on its path,"
        " best of the runs (s)"
    )
    print(f"  {'':<11}|{'tracing off: wall':>18} {'gap':>7} {'target':>7} {'':<4}|", end="")
    print(f"{'cpu':>6} {'gap':>7} |{'X-Ray on: wall':>15} {'gap':>7}")
    off, on, cpu = results["off"], results["on"], results["off_cpu"]
    for name in ("floor", *HANDLERS):
        gap = off[name] - off["floor"]
        target, verdict = "", ""
        if name in GAP_TARGETS:
            target = f"<= {GAP_TARGETS[name]:.1f}"
            verdict = "PASS" if gap <= GAP_TARGETS[name] else "MISS"
        print(
            f"  {name:<11}|{off[name]:>18.3f} {gap:>+7.3f} {target:>7} {verdict:<4}|"
            f"{cpu[name]:>6.3f} {cpu[name] - cpu['floor']:>+7.3f} |"
            f"{on[name]:>15.3f} {on[name] - on['floor']:>+7.3f}"
        )
    print("  (floor: import boto3, aws_lambda_powertools.event_handler; a handler: import app,")
    print("  boto3; gap: over the floor; targets: tracing off, wall)")
    print("  heavy modules loaded, tracing off / on:")
    for name in ("floor", *HANDLERS):
        loaded_off = results["loaded"].get(("off", name), "-")
        loaded_on = results["loaded"].get(("on", name), "-")
        print(f"    {name:<11} {loaded_off} / {loaded_on}")
    for mode in ("off", "on"):
        for name, values in results[f"{mode}_runs"].items():
            runs = " ".join(f"{wall:.3f}" for wall, _ in values)
            print(f"  runs (wall), tracing {mode:<3} {name:<11}: {runs}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each (best of)")
    args = parser.parse_args(argv)
    print(f"coldstart: {load_average()}")
    try:
        results = measure(args.repeat)
    except ColdStartError as exc:
        print(f"coldstart: error: {exc}", file=sys.stderr)
        return 1
    print_cold_starts(results)
    print(f"coldstart: end, {load_average()}")
    return 0


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


if __name__ == "__main__":
    sys.exit(main())
