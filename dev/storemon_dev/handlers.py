"""The three handlers (``functions/<name>/app.py``) imported as modules of their own.

They are all called ``app``, so each is loaded from its file under a name of its own, once per
process: the OpenAPI generator and the tests' API client share the same modules.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def load_app(name: str) -> ModuleType:
    """functions/<name>/app.py as module ``storemon_function_<name>``, imported once."""
    module_name = f"storemon_function_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, ROOT / "functions" / name / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
