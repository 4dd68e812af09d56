"""Time: instants as integer ticks, time zones, and instants as text.

- :mod:`~storemon.clock.timestamps`: the one timestamp grammar, for single values (no NumPy:
  the trigger's cold start imports it);
- :mod:`~storemon.clock.ticks`: half-microsecond ticks, the engine's unit of time;
- :mod:`~storemon.clock.tz`: wall time to UTC and UTC offsets from the tz database's
  per-zone transition tables.

Package ``__init__`` modules of storemon hold only their docstring: importing one module never
loads its siblings.
"""
