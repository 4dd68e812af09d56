"""Fail when a Lambda handler imports storemon beyond storemon.service (docs/ARCHITECTURE.md).

Usage: python scripts/check_handler_imports.py [functions]
Each ``functions/*/app.py`` parses the event and calls the service: of storemon it may import
``storemon.service`` and its modules only, never the engine, the snapshot, the page or the
development tools (import-linter cannot see these files: they are not a package).
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ALLOWED = "storemon.service"


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every import in the tree, functions' own included."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            found += [
                (node.lineno, name)
                for name in (names if node.module == "storemon" else [node.module])
            ]
    return found


def violations(root: Path) -> list[str]:
    found = []
    for path in sorted(root.glob("*/app.py")):
        for line, module in imported_modules(ast.parse(path.read_text(encoding="utf-8"))):
            ours = module == "storemon" or module.startswith(("storemon.", "storemon_dev"))
            if ours and not (module == ALLOWED or module.startswith(ALLOWED + ".")):
                found.append(f"{path}:{line}: imports {module} (handlers import {ALLOWED} only)")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("functions", nargs="?", default="functions")
    args = parser.parse_args(argv)
    found = violations(Path(args.functions))
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
