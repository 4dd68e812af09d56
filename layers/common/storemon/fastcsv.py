"""Reading the status file on the fastest available path."""

from __future__ import annotations

from storemon import inputs


def read_status(data: bytes, name: str) -> inputs.Polls:
    return inputs.parse_status(inputs.read_input(data, "status", name))
