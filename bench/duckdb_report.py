"""SPEC §2-§5's report as one DuckDB SQL query: the independent engine `make bench` times
``storemon report`` against (and checks it against, cell by cell).

    python bench/duckdb_report.py --status S --hours H --timezones T --out report.csv [--threads 2]

Same contract, same CSV: one row per store with a valid poll at or before ``now`` (the newest
valid poll), sorted by store id as text, §5's header, hours and minutes rounded half to even
on the binary value (as NumPy's ``round``) and written with two places.

How the query reads the contract:

- Times are int64 ticks of half a microsecond, so the midpoint of two polls is exact.
- Time zones: DuckDB's ICU extension (statically linked in the ``duckdb`` wheel, so it works
  offline). ICU reads an ambiguous wall time (a fall-back night) as its *second* occurrence;
  SPEC §3 wants Python's ``fold=0``, the first. So each distinct (zone, wall time) is
  converted by ICU and then moved to the earliest instant that shows the same wall time
  (30, 60 or 120 minutes earlier, the widths of the tz database's folds). A wall time in a
  spring-forward gap is read with the offset from before the gap by ICU already, as
  ``fold=0`` does. Zone names are checked against ICU's list (``pg_timezone_names()``);
  storemon checks against ``zoneinfo``'s, the same IANA names.
- Business hours become UTC intervals for every local date from two days before the oldest
  poll to a day after ``now``, merged per store (gaps and islands); a store without a valid
  hours row is open all week.
- Evidence: the polls inside business hours (an ASOF join finds the last opening at or
  before each poll), or all of a store's polls when none is inside.
- ``B(t)``, each store's business time from the week's start to ``t``, is a running sum
  over its merged intervals; each evidence poll owns ``[previous midpoint, next midpoint)``,
  and since the segments are contiguous and ``B`` is monotone, a window's uptime is the sum
  over active segments of ``min(B(end), B(now)) - max(B(start), B(window start))``.
- Row rules of SPEC §1 that the generated data exercises are applied (trimming, any case
  of status, ``UTC`` suffix, ``day``/``dayOfWeek``, times ``H:MM[:SS]``, ``24:00:00`` and
  ``23:59:59`` as midnight, the last zone row of a store wins, inactive wins at one
  instant); malformed lines are skipped (``ignore_errors``), not counted: this query makes
  the report CSV, not the summary.
"""

from __future__ import annotations

import argparse
import sys
import time

TICKS_PER_SECOND = 2_000_000  # ticks of half a microsecond
CONSTANTS = {
    "TICKS_PER_MINUTE": 60 * TICKS_PER_SECOND,
    "TICKS_PER_HOUR": 3600 * TICKS_PER_SECOND,
    "TICKS_PER_DAY": 86400 * TICKS_PER_SECOND,
    "TICKS_PER_WEEK": 168 * 3600 * TICKS_PER_SECOND,
}
DEFAULT_ZONE = "America/Chicago"

# one DuckDB macro per rule: a time of day in seconds (24:00:00 and 23:59:59 as 86400 when an
# end), a wall time to UTC ticks by fold=0
MACROS = """
CREATE OR REPLACE MACRO seconds_of_day(t) AS (
    CASE WHEN regexp_full_match(t, '(\\d{1,2}):(\\d{2})(:(\\d{2})(\\.\\d+)?)?') THEN
        CAST(regexp_extract(t, '^(\\d+)', 1) AS INTEGER) * 3600
        + CAST(regexp_extract(t, '^\\d+:(\\d{2})', 1) AS INTEGER) * 60
        + coalesce(TRY_CAST(regexp_extract(t, '^\\d+:\\d{2}:(\\d{2})', 1) AS INTEGER), 0)
    END
);
CREATE OR REPLACE MACRO valid_clock(sec, t) AS (
    sec IS NOT NULL AND CAST(regexp_extract(t, '^(\\d+)', 1) AS INTEGER) < 24
    AND CAST(regexp_extract(t, '^\\d+:(\\d{2})', 1) AS INTEGER) < 60
    AND coalesce(TRY_CAST(regexp_extract(t, '^\\d+:\\d{2}:(\\d{2})', 1) AS INTEGER), 0) < 60
);
CREATE OR REPLACE MACRO ticks(ts) AS (epoch_us(ts) * 2);
CREATE OR REPLACE MACRO wall(zone, utc) AS (timezone(zone, utc));
"""

QUERY = """
WITH
raw_polls AS (
    SELECT trim({status_store_id}) AS store_id, lower(trim({status_status})) AS status,
           trim({status_timestamp_utc}) AS stamp
    FROM {status}
),
timed_polls AS (  -- the data's form by strptime, any other by DuckDB's own cast
    SELECT store_id, status = 'active' AS active,
           2 * coalesce(epoch_us(try_strptime(stamp, ['%Y-%m-%d %H:%M:%S.%f UTC',
                                                     '%Y-%m-%d %H:%M:%S UTC'])),
                        epoch_us(TRY_CAST(stamp AS TIMESTAMPTZ))) AS t
    FROM raw_polls
    WHERE store_id <> '' AND status IN ('active', 'inactive')
),
valid_polls AS MATERIALIZED (SELECT * FROM timed_polls WHERE t IS NOT NULL),
span AS (
    SELECT max(t) AS now, min(t) AS first, max(t) - {TICKS_PER_WEEK} AS week_start,
           max(t) - {TICKS_PER_DAY} AS day_start, max(t) - {TICKS_PER_HOUR} AS hour_start
    FROM valid_polls
),
store_keys AS (  -- each reported store as a small integer (every later sort is on integers)
    SELECT store_id, row_number() OVER (ORDER BY store_id) AS k
    FROM (SELECT DISTINCT store_id FROM valid_polls)
),
polls AS MATERIALIZED (SELECT k, t, active FROM valid_polls JOIN store_keys USING (store_id)),
zone_rows AS (
    SELECT trim({timezones_store_id}) AS store_id, trim({timezones_timezone_str}) AS zone,
           row_number() OVER () AS line
    FROM {timezones}
),
last_zone AS (
    SELECT store_id, arg_max(zone, line) AS zone FROM zone_rows
    WHERE store_id <> '' GROUP BY store_id
),
store_zone AS (
    SELECT s.k, CASE WHEN z.zone IN (SELECT name FROM pg_timezone_names()) THEN z.zone
                     ELSE '{DEFAULT_ZONE}' END AS zone
    FROM store_keys s LEFT JOIN last_zone z USING (store_id)
),
hour_rows AS (
    SELECT trim({hours_store_id}) AS store_id, trim({hours_day}) AS day,
           trim({hours_start_time_local}) AS start_text, trim({hours_end_time_local}) AS end_text
    FROM {hours}
),
valid_hours AS (
    SELECT k, CAST(day AS INTEGER) AS weekday, seconds_of_day(start_text) AS open_s,
           CASE WHEN end_text IN ('23:59:59', '24:00:00') THEN 86400
                ELSE seconds_of_day(end_text) END AS close_s
    FROM hour_rows JOIN store_keys USING (store_id)
    WHERE regexp_full_match(day, '[+-]?[0-9]{{1,9}}')
      AND TRY_CAST(day AS BIGINT) BETWEEN 0 AND 6
      AND valid_clock(seconds_of_day(start_text), start_text)
      AND (end_text IN ('23:59:59', '24:00:00')
           OR valid_clock(seconds_of_day(end_text), end_text))
),
hours_stores AS (SELECT DISTINCT k FROM valid_hours),
dates AS (
    SELECT CAST(d AS DATE) AS local_date
    FROM span, range(CAST(make_timestamp(first // 2) AS DATE) - 2,
                     CAST(make_timestamp(now // 2) AS DATE) + 2, INTERVAL 1 DAY) r(d)
),
wall_openings AS (  -- each opening of each local date, as local wall times
    SELECT h.k, z.zone,
           CAST(d.local_date AS TIMESTAMP) + to_seconds(h.open_s) AS open_wall,
           CAST(d.local_date AS TIMESTAMP)
             + to_seconds(CASE WHEN h.close_s <= h.open_s THEN h.close_s + 86400
                               ELSE h.close_s END) AS close_wall
    FROM valid_hours h JOIN store_zone z USING (k)
    JOIN dates d ON isodow(d.local_date) - 1 = h.weekday
),
walls AS (
    SELECT DISTINCT zone, open_wall AS wall FROM wall_openings
    UNION SELECT DISTINCT zone, close_wall FROM wall_openings
),
icu AS (SELECT zone, wall, timezone(zone, wall) AS utc FROM walls),
fold0 AS (  -- the earliest instant showing this wall time (Python's fold=0)
    SELECT zone, wall, 2 * epoch_us(CASE
        WHEN wall(zone, utc - INTERVAL 120 MINUTE) = wall THEN utc - INTERVAL 120 MINUTE
        WHEN wall(zone, utc - INTERVAL 60 MINUTE) = wall THEN utc - INTERVAL 60 MINUTE
        WHEN wall(zone, utc - INTERVAL 30 MINUTE) = wall THEN utc - INTERVAL 30 MINUTE
        ELSE utc END) AS t
    FROM icu
),
openings AS (  -- not merged: overlapping openings count once through the depth below
    SELECT w.k, o.t AS open_t, c.t AS close_t
    FROM wall_openings w
    JOIN fold0 o ON o.zone = w.zone AND o.wall = w.open_wall
    JOIN fold0 c ON c.zone = w.zone AND c.wall = w.close_wall
    WHERE c.t > o.t
),
classify_events AS (  -- at one instant: closings, then openings, then polls (inactive first)
    SELECT k, t, 2 AS kind, active FROM polls
    UNION ALL SELECT k, open_t, 1, NULL FROM openings
    UNION ALL SELECT k, close_t, 0, NULL FROM openings
),
classified AS (
    SELECT k, t, kind, active,
           sum(CASE kind WHEN 1 THEN 1 WHEN 0 THEN -1 ELSE 0 END) OVER w AS depth,
           lag(t) OVER w AS previous_t, lag(kind) OVER w AS previous_kind
    FROM classify_events
    WINDOW w AS (PARTITION BY k ORDER BY t, kind, active ROWS UNBOUNDED PRECEDING)
),
unique_polls AS (  -- the first poll of each instant (inactive when any is); inside hours?
    SELECT c.k, c.t, c.active, c.depth > 0 OR h.k IS NULL AS inside
    FROM classified c LEFT JOIN hours_stores h USING (k)
    WHERE c.kind = 2 AND (c.previous_kind IS DISTINCT FROM 2 OR c.previous_t <> c.t)
),
stores_inside AS (SELECT k, bool_or(inside) AS any_inside FROM unique_polls GROUP BY k),
evidence AS (
    SELECT p.k, p.t, p.active FROM unique_polls p JOIN stores_inside s USING (k)
    WHERE p.inside OR NOT s.any_inside
),
flips AS (  -- where the status changes: halfway to the previous poll of another status
    SELECT k, active,
           CASE WHEN previous_t IS NULL THEN NULL
                ELSE previous_t + (t - previous_t) // 2 END AS t
    FROM (SELECT k, t, active, lag(t) OVER e AS previous_t, lag(active) OVER e AS previous
          FROM evidence WINDOW e AS (PARTITION BY k ORDER BY t))
    WHERE previous IS NULL OR previous <> active
),
week_events AS (  -- in [week start, now]: status changes, business hours' edges (depth)
    SELECT f.k, greatest(coalesce(f.t, s.week_start), s.week_start) AS t,
           coalesce(f.t, -9223372036854775807) AS seq, 0 AS delta, f.active AS status
    FROM flips f, span s
    UNION ALL
    SELECT o.k, greatest(o.open_t, s.week_start), 0, 1, NULL FROM openings o, span s
    WHERE least(o.close_t, s.now) > greatest(o.open_t, s.week_start)
    UNION ALL
    SELECT o.k, least(o.close_t, s.now), 0, -1, NULL FROM openings o, span s
    WHERE least(o.close_t, s.now) > greatest(o.open_t, s.week_start)
    UNION ALL
    SELECT k, s.week_start, 0, 1, NULL FROM store_keys, span s
    WHERE k NOT IN (SELECT k FROM hours_stores)
),
swept AS (  -- each stretch [t, next_t) between events: open or not, up or not
    SELECT k, t, coalesce(lead(t) OVER w, s.now) AS next_t,
           sum(delta) OVER w > 0 AS open, last_value(status IGNORE NULLS) OVER w AS up,
           s.day_start, s.hour_start
    FROM week_events, span s
    WINDOW w AS (PARTITION BY k ORDER BY t, seq ROWS UNBOUNDED PRECEDING)
),
totals AS (
    SELECT k,
           coalesce(sum(next_t - t) FILTER (WHERE open), 0) AS biz_week,
           coalesce(sum(greatest(next_t - greatest(t, day_start), 0)) FILTER (WHERE open), 0)
               AS biz_day,
           coalesce(sum(greatest(next_t - greatest(t, hour_start), 0)) FILTER (WHERE open), 0)
               AS biz_hour,
           coalesce(sum(next_t - t) FILTER (WHERE open AND up), 0) AS up_week,
           coalesce(sum(greatest(next_t - greatest(t, day_start), 0))
                    FILTER (WHERE open AND up), 0) AS up_day,
           coalesce(sum(greatest(next_t - greatest(t, hour_start), 0))
                    FILTER (WHERE open AND up), 0) AS up_hour
    FROM swept GROUP BY k
)
SELECT
    CASE WHEN left(store_id, 1) IN ('=', '+', '-', '@', chr(9), chr(13))
         THEN '''' || store_id ELSE store_id END AS store_id,
    printf('%.2f', round_even(up_hour / {TICKS_PER_MINUTE}.0, 2)) AS uptime_last_hour,
    printf('%.2f', round_even(up_day / {TICKS_PER_HOUR}.0, 2)) AS uptime_last_day,
    printf('%.2f', round_even(up_week / {TICKS_PER_HOUR}.0, 2)) AS uptime_last_week,
    printf('%.2f', round_even((biz_hour - up_hour) / {TICKS_PER_MINUTE}.0, 2))
        AS downtime_last_hour,
    printf('%.2f', round_even((biz_day - up_day) / {TICKS_PER_HOUR}.0, 2))
        AS downtime_last_day,
    printf('%.2f', round_even((biz_week - up_week) / {TICKS_PER_HOUR}.0, 2))
        AS downtime_last_week
FROM totals JOIN store_keys USING (k)
ORDER BY k
"""


# each file's columns (SPEC §1, storemon's header rules: names trimmed, any case, `day` for
# `dayOfWeek`)
COLUMNS = {
    "status": ("store_id", "status", "timestamp_utc"),
    "hours": ("store_id", "day", "start_time_local", "end_time_local"),
    "timezones": ("store_id", "timezone_str"),
}
ALIASES = {"dayofweek": "day"}


def header_names(path: str) -> list[str]:
    """The names in a CSV file's header line (plain or gzip)."""
    import csv
    import gzip
    import io

    with open(path, "rb") as handle:
        raw = handle.read(2)
    opener = gzip.open if raw == b"\x1f\x8b" else open
    with opener(path, "rb") as handle:
        first = handle.readline().decode("utf-8-sig")
    return next(csv.reader(io.StringIO(first)))


def sources(paths: dict[str, str]) -> dict[str, str]:
    """The query's placeholders: each file's read_csv and its columns' quoted names."""
    fields: dict[str, str] = {}
    for kind, path in paths.items():
        found: dict[str, str] = {}
        for name in header_names(path):
            key = name.strip().lower()
            key = ALIASES.get(key, key)
            if key not in found or name.strip().lower() == "dayofweek":
                found[key] = name
        for column in COLUMNS[kind]:
            if column not in found:
                raise SystemExit(f"{path}: no {column} column")
            fields[f"{kind}_{column}"] = '"' + found[column].replace('"', '""') + '"'
        literal = "'" + path.replace("'", "''") + "'"
        fields[kind] = (
            f"read_csv({literal}, header = true, all_varchar = true, ignore_errors = true,"
            " normalize_names = false)"
        )
    return fields


def report(paths: dict[str, str], out: str, threads: int) -> float:
    """Write the report CSV to ``out``; the seconds from connecting to the file written."""
    import duckdb

    started = time.perf_counter()
    connection = duckdb.connect(config={"threads": threads})
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute(MACROS)
    query = QUERY.format(DEFAULT_ZONE=DEFAULT_ZONE, **CONSTANTS, **sources(paths))
    connection.sql(query).write_csv(out, header=True)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name in ("status", "hours", "timezones", "out"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    paths = {"status": args.status, "hours": args.hours, "timezones": args.timezones}
    seconds = report(paths, args.out, args.threads)
    print(f"duckdb report: {seconds:.3f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
