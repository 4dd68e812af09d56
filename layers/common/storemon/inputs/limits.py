"""Bounds on what one input file may cost (memory and time), whatever its content.

A file over a size limit fails the report with a message naming the file and the limit; a
row over a row or field limit is skipped and counted like any other malformed row. The
defaults fit the worker's memory (2048 MB, template parameter ``WorkerMemorySize``) with the
three files read at once: see the README's "Limits" section for the measurements behind them.

Every limit can be changed: :meth:`Limits.from_env` reads ``STOREMON_MAX_*`` variables (the
worker gets them from template parameters), and ``storemon report`` has a flag for each.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

MIB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """The limits applied to each input file."""

    max_input_bytes: int = 256 * MIB  # the file as stored (compressed or not)
    max_text_bytes: int = 256 * MIB  # after decompression
    max_row_bytes: int = 4096  # one line; a longer line is skipped ("row too long")
    max_field_chars: int = 128  # one value, trimmed; a longer one skips its row
    max_columns: int = 16  # columns of a header; a wider header fails the file

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{item.name} must be a positive integer, not {value!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """The defaults, overridden by ``STOREMON_MAX_INPUT_BYTES`` and the like (a variable
        that is unset or empty keeps the default; a value that is not a positive integer
        raises ValueError naming the variable)."""
        environ = os.environ if environ is None else environ
        values = {}
        for item in fields(cls):
            variable = env_name(item.name)
            text = (environ.get(variable) or "").strip()
            if not text:
                continue
            try:
                values[item.name] = int(text)
            except ValueError:
                raise ValueError(f"{variable} must be a positive integer, not {text!r}") from None
        try:
            return cls(**values)
        except ValueError as exc:
            raise ValueError(f"{env_name(str(exc).split()[0])}: {exc}") from None


def env_name(field_name: str) -> str:
    """The environment variable of a limit: ``max_row_bytes`` -> ``STOREMON_MAX_ROW_BYTES``."""
    return "STOREMON_" + field_name.upper()


DEFAULT = Limits()
