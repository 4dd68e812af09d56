"""Fail when a function outside tests/ and bench/ is longer than the limit (default 60 lines),
or a module longer than ``--max-module-lines`` (when given).

Usage: python scripts/check_function_length.py [--max 60] [--max-module-lines 500] [PATH ...]
(default paths: layers/ dev/ functions/). A function counts from the ``def`` line (decorators
excluded) to its last line, docstring included; a module counts every line of its file.
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


def long_modules(paths: list[str], limit: int) -> list[str]:
    found = []
    for root in paths:
        for path in sorted(Path(root).rglob("*.py")):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > limit:
                found.append(f"{path}: module is {lines} lines")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max", type=int, default=60)
    parser.add_argument("--max-module-lines", type=int, default=None)
    parser.add_argument("paths", nargs="*", default=list(DEFAULT_PATHS))
    args = parser.parse_args(argv)
    found = [f"{line} (limit {args.max})" for line in long_functions(args.paths, args.max)]
    if args.max_module_lines is not None:
        limit = args.max_module_lines
        found += [f"{line} (limit {limit})" for line in long_modules(args.paths, limit)]
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
