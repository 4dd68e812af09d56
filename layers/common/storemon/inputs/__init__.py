"""The three input files (SPEC §1): bytes in, validated tables out.

- :mod:`~storemon.inputs.limits`: what one file may cost (sizes, line and field lengths);
- :mod:`~storemon.inputs.file_text`: a file's bytes made checked text (gzip, UTF-8, line
  ends) and the line rules; the one table of whitespace bytes;
- :mod:`~storemon.inputs.csv_reader`: the general reader, a file's text as a frame of raw
  strings under the canonical column names;
- :mod:`~storemon.inputs.tables`: the typed tables (``Polls``, ``Hours``, ``Zones``) and the
  row rules that build them, with the skip counts (``FileStats``);
- :mod:`~storemon.inputs.field_parsers`: vectorised parsing of timestamps, statuses and times
  of day from byte matrices;
- :mod:`~storemon.inputs.status_reader`: the status file's fast reader on its raw bytes;
- :mod:`~storemon.inputs.parse`: the three files parsed into tables (``parse_input_files``).

Nothing here knows about reports; a broken file raises :class:`storemon.errors.InputError`.
"""
