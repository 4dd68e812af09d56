"""Fail when a function outside tests/ and bench/ is longer than the limit (default 60 lines).

Usage: python scripts/check_function_length.py [--max 60] [PATH ...]
(default paths: layers/ dev/ functions/). Counts from the ``def`` line (decorators excluded)
to the function's last line, docstring included.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

DEFAULT_PATHS = ("layers", "dev", "functions")


def long_functions(paths: list[str], limit: int) -> list[str]:
    found = []
    for root in paths:
        for path in sorted(Path(root).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    if length > limit:
                        found.append(f"{path}:{node.lineno}: {node.name} is {length} lines")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max", type=int, default=60)
    parser.add_argument("paths", nargs="*", default=list(DEFAULT_PATHS))
    args = parser.parse_args(argv)
    found = long_functions(args.paths, args.max)
    for line in found:
        print(f"{line} (limit {args.max})")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
