"""``storemon invoke FUNCTION --event FILE``: one handler, once, on the embedded stack; the
Docker-free counterpart of ``sam local invoke``.

It starts moto, creates the template's resources, seeds ``input/`` with a generated dataset,
runs the handler in this process with its template environment, prints the handler's response
as JSON on stdout (the handler's own logs go to stderr), and stops everything. Exit code 0 when
the handler returned, 1 when it raised (Lambda's ``{"errorType", "errorMessage"}`` is printed
instead, as ``sam local invoke`` does), 2 when the function or event cannot be found.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

from storemon_dev.local.lambdas import FunctionError

INVOKE_STORES = 200  # the seeded dataset: small, a worker invocation stays quick


def invoke(function: str, event_path: str) -> int:
    from storemon_dev.local.stack import LocalStack, StackError
    from storemon_dev.local.template import TemplateError

    try:
        event = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except OSError as exc:
        print(f"storemon invoke: cannot read the event: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"storemon invoke: {event_path} is not JSON: {exc}", file=sys.stderr)
        return 2
    try:
        stack = LocalStack()
        logical_id = stack.template.function(function).logical_id
    except TemplateError as exc:
        print(f"storemon invoke: {exc}", file=sys.stderr)
        return 2

    out = sys.stdout
    try:
        # everything but the response goes to stderr, as with sam local invoke
        with contextlib.redirect_stdout(sys.stderr):
            stack.start(stores=INVOKE_STORES)
            result = stack.invoke(logical_id, event)
    except FunctionError as exc:
        print(json.dumps(exc.payload()), file=out, flush=True)
        return 1
    except (StackError, TemplateError) as exc:
        print(f"storemon invoke: {exc}", file=sys.stderr)
        return 2
    finally:
        stack.stop()
    print(json.dumps(result), file=out, flush=True)
    return 0
