"""Plain reference implementations that the fast, vectorised code is tested against.

Each section is self-contained and written for obviousness, not speed: scalar loops,
stdlib types, no imports from slagraph (a bug shared by the code and its oracle would
otherwise go unseen).
"""

from __future__ import annotations

# --- business time (brute force) ---
#
# Business time of [start, end) = the seconds of it whose local wall-clock time lies in an
# open range of an open local day. We walk the UTC axis in small steps and ask, for each
# step, "is it open now?" by converting that instant to local time with zoneinfo. Nothing
# here converts wall-clock times to UTC, so DST handling is independent of the breakpoint
# code in slagraph.calendars.
#
# The one rule that is a choice, not a fact, is how the hour that repeats when clocks go
# back is counted (docs/time.md). Open wall-clock intervals are first merged when they
# touch or overlap, also across midnight; for a merged interval [S, E) and an instant
# whose wall time W (S <= W < E) happens twice:
#   * the first pass counts iff S is not in that same repeated hour;
#   * the second pass counts iff E is not in that same repeated hour, or S is.
# So a range that starts before the repeat and ends after it counts both passes (real
# elapsed time), one that starts or ends inside it counts the pass it covers, and one
# wholly inside it counts once (the second pass).
import bisect
import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

import holidays as holidays_lib

DAY = 86_400
_EPOCH = dt.datetime(1970, 1, 1)


def _wall_seconds(naive: dt.datetime) -> int:
    """Seconds of naive local time since 1970-01-01 00:00 (every day has 86,400)."""
    return (naive - _EPOCH) // dt.timedelta(seconds=1)


def _is_repeated(tz: zoneinfo.ZoneInfo, wall: int) -> bool:
    """Whether the local clock shows `wall` at two different instants."""
    naive = _EPOCH + dt.timedelta(seconds=wall)
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return False
    # Offsets differ in a repeated hour and in a skipped one; only a repeated time
    # survives the round trip through UTC.
    back = first.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None)
    return back == naive


@functools.cache
def _public_holidays(code: str, subdivision: str | None, years: tuple[int, ...]) -> set[dt.date]:
    return set(holidays_lib.country_holidays(code, subdiv=subdivision, years=years))


class BruteForceCalendar:
    """A calendar answered by brute force. `hours` are (weekday, start, end) seconds."""

    def __init__(
        self,
        timezone: str,
        hours: Iterable[tuple[int, int, int]] = (),
        holidays: Iterable[dt.date] = (),
        countries: Iterable[tuple[str, str | None]] = (),
    ) -> None:
        self.tz = zoneinfo.ZoneInfo(timezone)
        self.hours = list(hours) or [(day, 0, DAY) for day in range(7)]
        self.holidays = set(holidays)
        self.countries = list(countries)

    def closed_days(self, years: list[int]) -> set[dt.date]:
        closed = {d for d in self.holidays if d.year in years}
        for code, subdivision in self.countries:
            closed |= _public_holidays(code, subdivision, tuple(years))
        return closed

    def wall_intervals(self, first: dt.date, last: dt.date) -> list[tuple[int, int]]:
        """Open [S, E) wall-clock intervals of local days first..last, merged."""
        closed = self.closed_days(list(range(first.year, last.year + 1)))
        pieces = []
        day = first
        while day <= last:
            if day not in closed:
                midnight = _wall_seconds(dt.datetime(day.year, day.month, day.day))
                for weekday, start, end in self.hours:
                    if weekday == day.weekday():
                        pieces.append((midnight + start, midnight + end))
            day += dt.timedelta(days=1)
        merged: list[tuple[int, int]] = []
        for start, end in sorted(pieces):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return merged

    def business_seconds(self, start: int, end: int, step: int = 60) -> int:
        """Open seconds in [start, end), both UTC seconds since the epoch.

        Walks UTC in blocks of `step` seconds aligned to the epoch and asks whether each
        block is open. Exact when every boundary of open time (range ends, local
        midnights, DST changes) falls on a multiple of `step` seconds in UTC: 60 for any
        calendar written in whole minutes, 900 for quarter hours (true of UTC, Madrid,
        Santiago and Kolkata).
        """
        if end <= start:
            return 0
        first = dt.datetime.fromtimestamp(start, self.tz).date() - dt.timedelta(days=2)
        last = dt.datetime.fromtimestamp(end, self.tz).date() + dt.timedelta(days=2)
        intervals = self.wall_intervals(first, last)
        starts = [s for s, _ in intervals]
        total = 0
        t = start
        while t < end:
            block_end = min(end, (t // step + 1) * step)
            if self._counts(t, intervals, starts):
                total += block_end - t
            t = block_end
        return total

    def _counts(self, instant: int, intervals: list[tuple[int, int]], starts: list[int]) -> bool:
        local = dt.datetime.fromtimestamp(instant, self.tz)  # fold=1 on the second pass
        wall = _wall_seconds(local.replace(tzinfo=None, fold=0))
        i = bisect.bisect_right(starts, wall) - 1
        if i < 0 or not wall < intervals[i][1]:
            return False
        if not _is_repeated(self.tz, wall):
            return True
        s, e = intervals[i]

        def same_repeat(x: int) -> bool:  # repeated hours are months apart
            return abs(x - wall) < DAY and _is_repeated(self.tz, x)

        if local.fold == 0:
            return not same_repeat(s)
        return not same_repeat(e) or same_repeat(s)


def business_seconds(
    start: int,
    end: int,
    timezone: str,
    hours: Iterable[tuple[int, int, int]] = (),
    holidays: Iterable[dt.date] = (),
    countries: Iterable[tuple[str, str | None]] = (),
    step: int = 60,
) -> int:
    """Open seconds of [start, end) (UTC epoch seconds) for the calendar described."""
    cal = BruteForceCalendar(timezone, hours, holidays, countries)
    return cal.business_seconds(start, end, step)


# --- SLA evaluation (scalar reference) ---
#
# `reference_rows` evaluates a compiled model record by record, following
# docs/semantics.md heading by heading. Its input is the compiled IR (names resolved,
# units normalised) and plain Python data; it shares no code with slagraph.engine or
# slagraph.calendars: periods are found by stepping through UTC and asking zoneinfo for
# the local date, business time and calendar windows come from the brute-force walk
# above, and every metric is a loop over records.
#
# Instants are int seconds since the epoch (the test data is whole seconds).

import datetime as _dt  # noqa: E402 - this section stands on its own
import math  # noqa: E402
from typing import Any  # noqa: E402

REF_STEP = 1800
"""Block size of the calendar walk: exact for calendars whose ranges start and end on the
hour or half hour in UTC, Madrid, Santiago and Kolkata (their offsets and DST changes
fall on whole half hours of UTC)."""

# (calendar key, block) -> open?, shared across calls and across evaluations
_OPEN_BLOCKS: dict[tuple[Any, int], bool] = {}
_CAL_INTERVALS: dict[tuple[Any, _dt.date], tuple[list[tuple[int, int]], list[int]]] = {}


def _calendar_key(cal: Any) -> tuple[Any, ...]:
    """A hashable description of a compiled calendar (read as data: its fields only)."""
    hours = tuple((h.weekday, h.start, h.end) for h in cal.hours)
    return (cal.timezone, hours, tuple(cal.holidays), tuple(cal.countries))


class RefCalendar:
    """Open/closed answered per REF_STEP block by `BruteForceCalendar._counts`."""

    def __init__(self, cal: Any) -> None:
        self.key = _calendar_key(cal)
        timezone, hours, holidays, countries = self.key
        self.brute = BruteForceCalendar(timezone, hours, holidays, countries)

    def open_block(self, block: int) -> bool:
        key = (self.key, block)
        if key not in _OPEN_BLOCKS:
            t = block * REF_STEP
            day = _dt.datetime.fromtimestamp(t, self.brute.tz).date()
            ikey = (self.key, day)
            if ikey not in _CAL_INTERVALS:
                intervals = self.brute.wall_intervals(
                    day - _dt.timedelta(days=2), day + _dt.timedelta(days=2)
                )
                _CAL_INTERVALS[ikey] = (intervals, [s for s, _ in intervals])
            intervals, starts = _CAL_INTERVALS[ikey]
            _OPEN_BLOCKS[key] = self.brute._counts(t, intervals, starts)
        return _OPEN_BLOCKS[key]


def _window_seconds(
    start: int, end: int, during: list[RefCalendar], excluding: list[RefCalendar]
) -> int:
    """Seconds of [start, end) inside every `during` calendar, outside every `excluding` one."""
    if end <= start:
        return 0
    if not during and not excluding:
        return end - start
    total = 0
    t = start
    while t < end:
        block = t // REF_STEP
        block_end = min(end, (block + 1) * REF_STEP)
        if all(c.open_block(block) for c in during) and not any(
            c.open_block(block) for c in excluding
        ):
            total += block_end - t
        t = block_end
    return total


# ---- periods (docs/semantics.md "Instants, accounts, periods")

_PERIOD_ORDER = ("daily", "weekly", "monthly", "quarterly", "yearly")


def _local_date(t: int, tz: zoneinfo.ZoneInfo) -> _dt.date:
    return _dt.datetime.fromtimestamp(t, tz).date()


def _first_day(kind: str, day: _dt.date) -> _dt.date:
    """First local day of the period of `kind` holding `day`."""
    if kind == "daily":
        return day
    if kind == "weekly":  # ISO weeks start on Monday
        return day - _dt.timedelta(days=day.weekday())
    if kind == "monthly":
        return day.replace(day=1)
    if kind == "quarterly":
        return _dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return _dt.date(day.year, 1, 1)


def _next_first_day(kind: str, first: _dt.date) -> _dt.date:
    if kind == "daily":
        return first + _dt.timedelta(days=1)
    if kind == "weekly":
        return first + _dt.timedelta(days=7)
    months = {"monthly": 1, "quarterly": 3, "yearly": 12}[kind]
    index = first.year * 12 + first.month - 1 + months
    return _dt.date(index // 12, index % 12 + 1, 1)


def _label(kind: str, first: _dt.date) -> str:
    if kind == "daily":
        return first.isoformat()
    if kind == "weekly":
        year, week, _ = first.isocalendar()
        return f"{year}-W{week:02d}"
    if kind == "monthly":
        return f"{first.year}-{first.month:02d}"
    if kind == "quarterly":
        return f"{first.year}-Q{(first.month - 1) // 3 + 1}"
    return f"{first.year}"


@functools.cache
def _day_start(day: _dt.date, timezone: str) -> int:
    """The first instant whose local date is `day` (local midnight, or the end of a DST
    gap that swallows it). Found by walking UTC in quarter hours: local dates change only
    at quarter-hour instants in every zone the tests use."""
    tz = zoneinfo.ZoneInfo(timezone)
    t = int(_dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()) - 16 * 3600
    while _local_date(t, tz) < day:
        t += 900
    return t


class RefPeriod:
    def __init__(self, kind: str, timezone: str, first: _dt.date) -> None:
        self.kind = kind
        self.first = first
        self.label = _label(kind, first)
        self.start = _day_start(first, timezone)
        self.end = _day_start(_next_first_day(kind, first), timezone)


def _periods(kind: str, timezone: str, earliest: int, as_of: int) -> list[RefPeriod]:
    """From the period holding the earliest timestamp to the one holding as-of."""
    tz = zoneinfo.ZoneInfo(timezone)
    first = _first_day(kind, _local_date(earliest, tz))
    last = _first_day(kind, _local_date(as_of, tz))
    out = []
    while first <= last:
        out.append(RefPeriod(kind, timezone, first))
        first = _next_first_day(kind, first)
    return out


# ---- rolling windows (SPEC §6.5): steps at local midnights (or every N s), plus as-of


class RefWindow:
    """The window (end − length, end]: a record at exactly its start is out, at its end in."""

    rolling = True

    def __init__(self, end: int, length: int) -> None:
        self.start = end - length
        self.end = end
        self.label = _dt.datetime.fromtimestamp(end, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _own_period(agreement: Any) -> str | None:
    window = getattr(agreement, "window", None)
    return f"rolling:{window}" if window is not None else agreement.period


def _windows(
    kind: str, timezone: str, earliest: int, as_of: int, every: int | None
) -> list[RefWindow]:
    """One window per step: each local midnight from the first data to as-of (walking
    the local dates), or every `every` seconds from the first data's local midnight;
    then as-of itself when it is not a step already."""
    if as_of < earliest:
        return []
    length = int(kind.split(":")[1])
    tz = zoneinfo.ZoneInfo(timezone)
    day = _local_date(earliest, tz)
    ends: list[int] = []
    if every is None:
        while _day_start(day, timezone) <= as_of:
            if _day_start(day, timezone) >= earliest:
                ends.append(_day_start(day, timezone))
            day += _dt.timedelta(days=1)
    else:
        t = _day_start(day, timezone)
        while t <= as_of:
            if t >= earliest:
                ends.append(t)
            t += every
    if not ends or ends[-1] != as_of:
        ends.append(as_of)
    return [RefWindow(end, length) for end in ends]


# ---- filters (docs/semantics.md "Filters (`where`)")

_OPS = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _has_account(schema: Any) -> bool:
    """Records of this stream belong to accounts (`account`, or `account from COL`)."""
    return "account" in schema.names or bool(getattr(schema, "account", None))


class _Evaluation:
    """One evaluation: data, as-of and the memoised verdicts."""

    def __init__(
        self, model: Any, data: dict[str, list[dict]], accounts: list[dict] | None, as_of: Any
    ) -> None:
        self.model = model
        self.calendars = {name: RefCalendar(cal) for name, cal in model.calendars.items()}
        self.read = self._streams_read()
        self.records: dict[str, list[dict]] = {}
        times: list[int] = []
        clocks = getattr(model, "clocks", {})
        for name in self.read:
            if name in clocks:
                continue  # derived below, from its stream as known at as-of
            schema = model.streams[name]
            kinds = {c.name: c.type for c in schema.columns}
            rows = []
            for raw in data.get(name, []):
                row = {}
                for column, kind in kinds.items():
                    value = raw.get(column)
                    if kind == "time" and value is not None:
                        value = _seconds(value)
                        times.append(value)
                    row[column] = value
                alias = getattr(schema, "account", None)  # `account from grp`
                if alias:
                    row["account"] = row[alias]
                rows.append(row)
            self.records[name] = rows
        # As-of defaults to the latest placing time of any record (docs/semantics.md).
        placing = [t for name in self.read for t in self._placing_times(name)]
        self.as_of = _seconds(as_of) if as_of is not None else max(placing or times)
        # The periods run to the one holding as-of, but an as-of exactly on a boundary
        # opens no empty period: only a record placed at as-of itself keeps it.
        nothing_at = all(t != self.as_of for n in self.read for t in self._placing_times(n))
        self.through = self.as_of - 1 if nothing_at else self.as_of
        # A nullable time after as-of is not known yet as of then: it reads as null.
        for name in self.read:
            if name in clocks:
                continue
            nullable = [
                c.name for c in model.streams[name].columns if c.type == "time" and c.nullable
            ]
            for row in self.records[name]:
                for column in nullable:
                    if row[column] is not None and row[column] > self.as_of:
                        row[column] = None
        self.earliest = min(times) if times else self.as_of
        for name in self.read:
            if name in clocks:
                self.records[name] = clock_records(self, clocks[name])
        # Accounts: the accounts table in file order, else the sorted account values seen.
        if accounts is not None:
            self.accounts = [dict(a) for a in accounts]
        else:
            seen = {
                r["account"]
                for name in self.read
                for r in self.records[name]
                if _has_account(model.streams[name]) and r.get("account") is not None
            }
            self.accounts = [{"account": a} for a in sorted(seen)]
        self._verdicts: dict[tuple, dict] = {}
        self._periods: dict[tuple[str, str], list[RefPeriod]] = {}
        self.every: int | None = None  # rolling windows' step in seconds

    def _placing_columns(self, name: str) -> list[str]:
        """The time columns that place records of stream `name` in some metric."""
        columns = []
        for agreement in _every_terms(self.model):
            for objective in agreement.objectives:
                metric = objective.metric
                selects = getattr(metric, "selects", None) or (
                    (metric.select,) if hasattr(metric, "select") else ()
                )
                if all(select.stream != name for select in selects):
                    continue
                value = getattr(metric, "elapsed", None) or getattr(metric, "value", None)
                if value is not None and type(value).__name__ == "Elapsed":
                    column = value.earlier
                else:
                    schema = self.model.streams[name]
                    column = next(c.name for c in schema.columns if c.type == "time")
                if column not in columns:
                    columns.append(column)
        return columns

    def _placing_times(self, name: str) -> list[int]:
        clock = getattr(self.model, "clocks", {}).get(name)
        if clock is not None:  # a clock's records come from its stream's events
            return [row[clock.by] for row in self.records[clock.stream]]
        return [
            row[c]
            for row in self.records[name]
            for c in self._placing_columns(name)
            if row.get(c) is not None
        ]

    def _streams_read(self) -> list[str]:
        names: list[str] = []
        for agreement in _every_terms(self.model):
            for objective in agreement.objectives:
                metric = objective.metric
                selects = getattr(metric, "selects", None) or (
                    (metric.select,) if hasattr(metric, "select") else ()
                )
                for select in selects:
                    clock = getattr(self.model, "clocks", {}).get(select.stream)
                    if clock is not None and clock.stream not in names:
                        names.append(clock.stream)  # a clock reads its stream
                    if select.stream not in names:
                        names.append(select.stream)
        return names

    def periods(self, kind: str, timezone: str) -> list[RefPeriod]:
        key = (kind, timezone)
        if key not in self._periods and kind.startswith("rolling:"):
            self._periods[key] = _windows(  # type: ignore[assignment]
                kind, timezone, self.earliest, self.as_of, self.every
            )
        if key not in self._periods:
            self._periods[key] = _periods(kind, timezone, self.earliest, self.through)
        return self._periods[key]

    # ---- durations and predicates

    def elapsed(self, el: Any, row: dict, until: int | None = None) -> int | None:
        """`later - earlier [during CAL]` in seconds; `until` replaces a null later time."""
        earlier = row.get(el.earlier)
        later = row.get(el.later)
        if later is None:
            later = until
        if earlier is None or later is None:
            return None
        if el.calendar is None:
            return later - earlier
        cal = self.calendars[el.calendar]
        return _window_seconds(earlier, later, [cal], [])

    def operand(self, node: Any, row: dict) -> Any:
        kind = type(node).__name__
        if kind == "Column":
            return row.get(node.name)
        if kind == "Const":
            return node.value
        return self.elapsed(node, row)  # Elapsed: null when either time is null

    def holds(self, pred: Any, row: dict) -> bool:
        """Two-valued logic: anything involving a null is false; `not` flips it."""
        kind = type(pred).__name__
        if kind == "Cmp":
            left, right = self.operand(pred.left, row), self.operand(pred.right, row)
            if left is None or right is None:
                return False
            return _OPS[pred.op](left, right)
        if kind == "IsIn":
            value = row.get(pred.column.name)
            if value is None:
                return False
            inside = any(value == v for v in pred.values)
            return not inside if pred.negated else inside
        if kind == "IsNull":
            is_null = row.get(pred.column.name) is None
            return not is_null if pred.negated else is_null
        if kind == "Truthy":
            return row.get(pred.column.name) is True
        if kind == "AllOf":
            return all(self.holds(p, row) for p in pred.parts)
        if kind == "AnyOf":
            return any(self.holds(p, row) for p in pred.parts)
        if kind == "Negate":
            return not self.holds(pred.part, row)
        raise TypeError(kind)

    def selected(self, select: Any, account: str) -> list[dict]:
        """Records of the selection for this account (a stream without `account` is shared)."""
        shared = not _has_account(self.model.streams[select.stream])
        out = []
        for row in self.records[select.stream]:
            if not shared and row.get("account") != account:
                continue
            if select.where is not None and not self.holds(select.where, row):
                continue
            out.append(row)
        return out

    def placed(self, select: Any, value: Any, account: str, period: RefPeriod) -> list[dict]:
        """Records placed in the period by the earlier time of the metric's duration, else
        by the stream's first declared time column; records placed after as-of are ignored."""
        if value is not None and type(value).__name__ == "Elapsed":
            column = value.earlier
        elif value is not None and type(value).__name__ == "Measured":
            column = "started"  # a clock's cycle: where it started
        else:
            schema = self.model.streams[select.stream]
            column = next(c.name for c in schema.columns if c.type == "time")
        out = []
        rolling = getattr(period, "rolling", False)
        for row in self.selected(select, account):
            t = row[column]
            inside = period.start < t <= period.end if rolling else period.start <= t < period.end
            if inside and t <= self.as_of:
                out.append(row)
        return out

    # ---- metrics (docs/semantics.md "Metrics")

    def metric(
        self, sla: Any, objective: Any, kind: str, timezone: str, account: str, period: RefPeriod
    ) -> tuple[float | None, float | None, float | None]:
        """(value, decided, failed); decided/failed only where a budget can apply."""
        m = objective.metric
        name = type(m).__name__
        if name == "ShareWithin":
            ok = decided = 0
            measured = type(m.elapsed).__name__ == "Measured"
            for row in self.placed(m.select, m.elapsed, account, period):
                limit = m.limit
                if m.business_days:  # open time from the start to N business days on
                    start = row["started"] if measured else row[m.elapsed.earlier]
                    limit = business_day_limit(
                        self.calendars[m.elapsed.calendar], start, m.business_days
                    )
                if measured:  # a clock cycle: closed once stopped
                    closed = row["stopped"] is not None
                    duration = so_far = row["_so_far"][m.elapsed.column]
                else:
                    closed = row.get(m.elapsed.later) is not None
                    if closed:
                        duration = self.elapsed(m.elapsed, row)
                    else:
                        so_far = self.elapsed(m.elapsed, row, until=self.as_of)
                if closed:
                    decided += 1
                    if (duration <= limit) if m.op == "<=" else (duration < limit):
                        ok += 1
                else:  # open: failed once the elapsed time exceeds (`<`: reaches) the limit
                    failed = so_far > limit if m.op == "<=" else so_far >= limit
                    if failed:
                        decided += 1
            if decided == 0:
                return None, 0, 0
            return ok / decided, decided, decided - ok
        if name == "ShareWhere":
            rows = self.placed(m.select, None, account, period)
            if not rows:
                return None, 0, 0
            ok = sum(1 for r in rows if self.holds(m.condition, r))
            return ok / len(rows), len(rows), len(rows) - ok
        if name == "Count":
            return float(len(self.placed(m.select, None, account, period))), None, None
        if name in ("Aggregate", "Percentile"):
            values = []
            for row in self.placed(m.select, m.value, account, period):
                if type(m.value).__name__ == "Elapsed":
                    v = self.elapsed(m.value, row)
                else:
                    v = row.get(m.value.name)
                if v is not None:
                    values.append(v)
            if not values:
                return None, None, None
            if name == "Percentile":
                n = len(values)
                rank = math.ceil(round(m.q * n, 9))
                return float(sorted(values)[rank - 1]), None, None
            if m.fn == "sum":
                return float(sum(values)), None, None
            if m.fn == "mean":
                return sum(values) / len(values), None, None
            return float(min(values) if m.fn == "min" else max(values)), None, None
        if name == "Uptime":
            return self.uptime(m, account, period)
        if name == "MetOf":
            if m.objective:
                target = next(o for o in sla.objectives if o.name == m.target)
                result = self.objective(sla, target, kind, timezone, account, period)
                return (1.0 if result["met"] else 0.0), None, None
            rolled = self.rolled(m.target, kind, timezone, account, period)
            return (1.0 if rolled["met"] else 0.0), None, None
        raise TypeError(name)

    def uptime(self, m: Any, account: str, period: RefPeriod) -> tuple[float | None, float, float]:
        """docs/semantics.md `uptime(...)`; by timeslices (docs/sre.md), the period cut into
        slices of the given length from its start, the last one cut at its end, each good
        when its own uptime meets the threshold (exact fractions): good ÷ slices with
        measured time, and the budget counts slices."""
        if getattr(m, "slices", None) is None:
            return self.uptime_between(m, account, period.start, period.end)
        length, op = m.slices.length, m.slices.op
        threshold = Fraction(Decimal(repr(m.slices.threshold)))
        good = with_data = 0
        t = period.start
        while t < period.end:
            e = min(t + length, period.end)
            _, measured, down = self.uptime_between(m, account, t, e)
            if measured > 0:
                with_data += 1
                ratio = 1 - Fraction(down, measured)
                good += ratio >= threshold if op == ">=" else ratio > threshold
            t = e
        if with_data == 0:
            return None, 0, 0
        return good / with_data, with_data, with_data - good

    def uptime_between(
        self, m: Any, account: str, start: int, end: int
    ) -> tuple[float | None, float, float]:
        """Uptime over [start, end) cut at as-of, over elementary segments between
        boundaries."""
        end = min(end, self.as_of)
        during = [self.calendars[c] for c in m.during]
        excluding = [self.calendars[c] for c in m.excluding]
        measured = _window_seconds(start, end, during, excluding)
        per_select: list[list[tuple[int, int]]] = []
        cuts = {start, end} if end > start else set()
        for select in m.selects:
            pieces = []
            for row in self.selected(select, account):
                s = row["start"]
                e = row["end"] if row["end"] is not None else self.as_of
                e = min(e, self.as_of)
                s, e = max(s, start), min(e, end)  # cut at the period's boundaries
                if s < e:
                    pieces.append((s, e))
                    cuts.update((s, e))
            per_select.append(pieces)
        points = sorted(cuts)
        n = len(m.selects)
        down = 0
        for a, b in zip(points, points[1:], strict=False):
            down_count = sum(
                1 for pieces in per_select if any(s <= a and b <= e for s, e in pieces)
            )
            if m.mode == "series":
                is_down = down_count >= 1
            elif m.mode == "parallel":
                is_down = down_count == n
            else:  # k_of_n: down when more than n - K are down
                is_down = down_count > n - m.k
            if is_down:
                down += _window_seconds(a, b, during, excluding)
        if measured == 0:
            return None, 0, down
        return 1 - down / measured, measured, down

    # ---- objectives (docs/semantics.md "Objectives")

    def objective(
        self, sla: Any, objective: Any, kind: str, timezone: str, account: str, period: RefPeriod
    ) -> dict:
        key = ("objective", sla.name, objective.name, kind, timezone, account, period.label)
        if key in self._verdicts:
            return self._verdicts[key]
        value, decided, failed = self.metric(sla, objective, kind, timezone, account, period)
        budget = None
        has_budget = objective.op in (">=", ">") and type(objective.metric).__name__ in (
            "ShareWithin",
            "ShareWhere",
            "Uptime",
        )
        if has_budget and value is not None:  # no decided records: nothing to budget
            # 1 − target from the decimal written (docs/semantics.md): 1 − 0.99 in binary
            # floating point is 0.010000000000000009, which would put 75.0% at 74.99…%.
            allowed = float(1 - Decimal(repr(objective.target))) * decided
            if allowed == 0:
                budget = 0.0 if failed == 0 else None
            else:
                budget = failed / allowed
        if value is None:
            met, status = True, "no_data"
        else:
            met = _OPS[objective.op](value, objective.target)
            warn = objective.warn_at if objective.warn_at is not None else 0.75
            if not met:
                # In a period still in progress, a metric that only moves one way as
                # records arrive, toward the target, could still meet it: at_risk.
                status = "at_risk" if self.open(period) and _reachable(objective) else "breached"
            elif budget is not None and budget >= warn:
                status = "at_risk"
            else:
                status = "met"
        # `min N` (records decided; seconds measured for uptime): below it, not judged.
        few = objective.minimum is not None and decided is not None and decided < objective.minimum
        if few:
            met, status = True, "no_data"
        # Credit tiers: the lowest threshold the value is strictly below; none when null.
        credit = 0.0
        for name, tiers in sla.credit_tiers:
            if name == objective.name and value is not None and not few:
                below = [t for t in tiers if value < t.below]
                if below:
                    credit = min(below, key=lambda t: t.below).credit
        result = {
            "value": value,
            "target": objective.target,
            "met": met,
            "status": status,
            "budget_used": budget,
            "credit_pct": credit,
        }
        self._verdicts[key] = result
        return result

    def open(self, period: RefPeriod) -> bool:
        """In progress: the period has not ended by as-of."""
        return period.end > self.as_of

    # ---- agreements (docs/semantics.md "Agreements (slas and masters)")

    def context(self, name: str, kind: str, timezone: str) -> tuple[str, str]:
        """A child's period and zone: its own, else its parent's."""
        agreement = self.model.agreements[name]
        return _own_period(agreement) or kind, agreement.timezone or timezone

    def rolled(self, name: str, kind: str, timezone: str, account: str, period: RefPeriod) -> dict:
        """Agreement `name` as a member of an agreement evaluated in (kind, timezone):
        each of its periods maps to the parent period holding its first local day."""
        child_kind, child_zone = self.context(name, kind, timezone)
        parents = self.periods(kind, timezone)
        children = self.periods(child_kind, child_zone)

        def home(p: RefPeriod) -> str:
            """The parent period a child period belongs to: the one holding its first
            local day; one that starts before the parent's first period but reaches
            into it (an ISO week across the month end where the data begins) belongs to
            that first period, so no child breach is left without a parent."""
            if kind.startswith("rolling:"):
                return p.label
            if parents and p.first < parents[0].first < _next_first_day(child_kind, p.first):
                return parents[0].label
            return _label(kind, _first_day(kind, p.first))

        indexed = [(i, p) for i, p in enumerate(children) if home(p) == period.label]
        inside = [self.agreement(name, child_kind, child_zone, account, p) for _, p in indexed]
        owed = [
            0.0
            if self.earned_back(name, child_kind, child_zone, account, children, i)
            else v["credit_pct"]
            for (i, _), v in zip(indexed, inside, strict=True)
        ]
        statuses = [v["status"] for v in inside]
        if any(s == "breached" for s in statuses):
            status = "breached"
        elif any(s == "at_risk" for s in statuses):
            status = "at_risk"
        elif all(s == "no_data" for s in statuses):
            status = "no_data"
        else:
            status = "met"
        return {
            "met": all(v["met"] for v in inside),
            "status": status,
            "credit_pct": sum(owed),  # a credit earned back is not owed upwards
            "absent": bool(self.model.agreements[name].versions)
            and all(v.get("absent", False) for v in inside),
        }

    def earned_back(
        self, name: str, kind: str, zone: str, account: str, periods: list, i: int
    ) -> bool:
        """Period i's credit of `name` is earned back: it is met in each of the N
        following periods, all ended by as-of (docs/semantics.md, Earnback)."""
        agreement = terms_at(self.model.agreements[name], periods[i])
        n = agreement.earnback if agreement is not None else None
        verdict = self.agreement(name, kind, zone, account, periods[i])
        if n is None or verdict["credit_pct"] <= 0 or i + n >= len(periods):
            return False
        following = periods[i + 1 : i + 1 + n]
        return following[-1].end <= self.as_of and all(
            self.agreement(name, kind, zone, account, p)["met"] for p in following
        )

    def agreement(
        self, name: str, kind: str, timezone: str, account: str, period: RefPeriod
    ) -> dict:
        key = ("agreement", name, kind, timezone, account, period.label)
        if key in self._verdicts:
            return self._verdicts[key]
        agreement = terms_at(self.model.agreements[name], period)
        if agreement is None:  # before its first version: no agreement's
            result = {"met": True, "status": "no_data", "score": None, "credit_pct": 0.0}
            result["members"] = {}
            result["absent"] = True
            self._verdicts[key] = result
            return result
        members: dict[str, dict] = {}
        weights: dict[str, float] = {}
        if agreement.kind == "sla":
            for o in agreement.objectives:
                members[o.name] = self.objective(agreement, o, kind, timezone, account, period)
                weights[o.name] = o.weight
        else:
            record = next(a for a in self.accounts if a["account"] == account)
            for child, weight in agreement.children:
                own = self.model.agreements[child].coverage
                if own is not None and not self.covers([own], record):
                    # Not covered: absent for this account — met, no_data, no credit.
                    members[child] = {"met": True, "status": "no_data", "credit_pct": 0.0}
                    continue
                members[child] = self.rolled(child, kind, timezone, account, period)
                if members[child].pop("absent", False):  # no version in effect in it
                    continue
                weights[child] = weight
        total = sum(weights.values())
        score = (
            sum(weights[n] * (1 if members[n]["met"] else 0) for n in weights) / total
            if total
            else 1.0
        )
        if agreement.met_when is None:
            met = all(m["met"] for m in members.values())
        else:
            met = self.condition(agreement.met_when, members, score)
        statuses = [m["status"] for m in members.values()]
        if not met:
            status = "breached"
            if self.open(period):  # could every member that may still be met make it?
                hopeful = {
                    n: {**m, "met": m["met"] or m["status"] == "at_risk"}
                    for n, m in members.items()
                }
                best = (
                    sum(weights[n] * (1 if hopeful[n]["met"] else 0) for n in weights) / total
                    if total
                    else 1.0
                )
                if agreement.met_when is None:
                    could = all(m["met"] for m in hopeful.values())
                else:
                    could = self.condition(agreement.met_when, hopeful, best)
                if could:
                    status = "at_risk"
        elif all(s == "no_data" for s in statuses):
            status = "no_data"
        elif any(s in ("at_risk", "breached") for s in statuses):
            status = "at_risk"
        else:
            status = "met"
        # Credit: fraction of the account's fee for the period.
        if agreement.at_risk is not None:  # pool: R × Σ allocation of breached children, ≤ R
            allocation = dict(agreement.allocations)
            share = sum(
                allocation.get(c, 0.0)
                for c, _ in agreement.children
                if not members[c]["met"]  # would be breached if the period ended now
            )
            credit = min(agreement.at_risk, agreement.at_risk * share)
        else:
            credit = sum(m["credit_pct"] for m in members.values())
            if agreement.credit_flat is not None and not met:
                credit += agreement.credit_flat
        if agreement.credit_cap is not None:
            credit = min(credit, agreement.credit_cap)
        result = {
            "met": met,
            "status": status,
            "score": score,
            "credit_pct": credit,
            "members": members,
        }
        self._verdicts[key] = result
        return result

    def condition(self, cond: Any, members: dict[str, dict], score: float) -> bool:
        kind = type(cond).__name__
        if kind == "MetRef":
            return members[cond.name]["met"]
        if kind == "ScoreCmp":
            return _OPS[cond.op](score, cond.value)
        if kind == "AtLeast":
            return sum(1 for n in cond.names if members[n]["met"]) >= cond.k
        if kind == "Both":
            return all(self.condition(p, members, score) for p in cond.parts)
        if kind == "Either":
            return any(self.condition(p, members, score) for p in cond.parts)
        if kind == "NotMet":
            return not self.condition(cond.part, members, score)
        raise TypeError(kind)

    # ---- coverage

    def covers(self, coverage: list[Any], account: dict) -> bool:
        return all(self.holds(p, account) for p in coverage)


def _reachable(objective: Any) -> bool:
    """Whether more records in the period can still bring the value to the target."""
    m = objective.metric
    name = type(m).__name__
    up = objective.op in (">=", ">")
    if name == "Count":
        return up  # counts only grow
    if name == "Aggregate" and m.fn == "max":
        return up
    if name == "Aggregate" and m.fn == "min":
        return not up
    if name == "Aggregate" and m.fn == "sum":
        if type(m.value).__name__ == "Column" and m.value.type == "number":
            return True  # amounts may be negative: either way
        return up  # durations are never negative
    return False


def _seconds(value: Any) -> int:
    if isinstance(value, int):
        return value // 1_000_000_000 if value > 10**12 else value
    if isinstance(value, str):
        value = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"naive time {value!r}")
    return int(value.timestamp())


def reference_rows(
    model: Any,
    data: dict[str, list[dict]],
    accounts: list[dict] | None = None,
    as_of: Any = None,
    every: int | None = None,
) -> list[dict]:
    """The rows of SPEC §4.1 for `model` (a compiled `ir.Model`), computed slowly.

    Args:
        model: `slagraph.compile(text).ir`.
        data: {stream: [record, …]}, each record a dict of column → value; times are ISO
            strings with an offset (or aware datetimes), missing keys and None are null.
        accounts: the accounts table as records (file order), or None when there is none.
        as_of: ISO string, aware datetime or int ns; default the latest timestamp read.

    Returns the agreement rows ordered by account, period label and tree pre-order, then
    the termination lines ordered by node (pre-order), clause, account.
    """
    ev = _Evaluation(model, data, accounts, as_of)
    ev.every = every
    rows: list[tuple[tuple, dict]] = []
    terminations: list[tuple[tuple, dict]] = []
    order = 0

    def visit(name: str, path: str, kind: str, zone: str, coverage: list[Any]) -> None:
        nonlocal order
        agreement = model.agreements[name]
        kind, zone = _own_period(agreement) or kind, agreement.timezone or zone
        if agreement.coverage is not None:
            coverage = [*coverage, agreement.coverage]
        mine = order
        order += 1 + len(agreement.objectives)
        periods = ev.periods(kind, zone)
        # Versions (docs/semantics.md "Versions"): period by period, the terms in effect
        # at its start; each version's termination rules see only its own periods.
        every = list(agreement.versions) or [None]
        rules = [
            (k, t)
            for k, v in enumerate(every)
            for t in (v.agreement if v is not None else agreement).terminations
        ]
        for index, account in enumerate(ev.accounts):
            if not ev.covers(coverage, account):
                continue
            acc = account["account"]
            fee = account.get("fee")
            flags: dict[tuple[int, str], list[bool]] = {}
            for i, period in enumerate(periods):
                terms = terms_at(agreement, period)
                if terms is None:
                    for k, t in rules:
                        flags.setdefault((k, t.target), []).append(False)
                    continue
                version = _effective(agreement, period)
                stamp = {} if version is None else {"version": version}
                verdict = ev.agreement(name, kind, zone, acc, period)
                earned = ev.earned_back(name, kind, zone, acc, periods, i)
                rows.append(
                    (
                        (index, period.label, mine),
                        {
                            "account": acc,
                            "period": period.label,
                            "node": path,
                            "kind": agreement.kind,
                            "status": verdict["status"],
                            "met": verdict["met"],
                            "value": None,
                            "target": None,
                            "score": verdict["score"],
                            "budget_used": None,
                            "credit_pct": verdict["credit_pct"],
                            "credit": None if fee is None else verdict["credit_pct"] * fee,
                            "earned_back": earned,
                            "final": period.end <= ev.as_of,
                            **stamp,
                        },
                    )
                )
                for j, o in enumerate(terms.objectives):
                    r = verdict["members"][o.name]
                    rows.append(
                        (
                            (index, period.label, mine + 1 + j),
                            {
                                "account": acc,
                                "period": period.label,
                                "node": f"{path}.{o.name}",
                                "kind": "objective",
                                "status": r["status"],
                                "met": r["met"],
                                "value": r["value"],
                                "target": r["target"],
                                "score": None,
                                "budget_used": r["budget_used"],
                                "credit_pct": r["credit_pct"],
                                "credit": None if fee is None else r["credit_pct"] * fee,
                                "earned_back": False,
                                "final": period.end <= ev.as_of,
                                **stamp,
                            },
                        )
                    )
                judging = every.index(next(v for v in every if v is None or v.agreement is terms))
                for k, target in dict.fromkeys((k, t.target) for k, t in rules):
                    if k != judging:
                        flags.setdefault((k, target), []).append(False)
                        continue
                    if target == name:
                        breached = not verdict["met"]
                    else:
                        breached = not verdict["members"][target]["met"]
                    # a right arises from ended periods only
                    flags.setdefault((k, target), []).append(breached and period.end <= ev.as_of)
            # Termination: the first period where the last N were all breached (or K of
            # the last N, counting only evaluated periods).
            for t_index, (k, term) in enumerate(rules):
                history = flags.get((k, term.target), [])
                for i in range(len(history)):
                    if term.of_n is None:
                        window = history[max(0, i - term.count + 1) : i + 1]
                        arises = len(window) == term.count and all(window)
                        rule = f"{term.count} consecutive periods"
                    else:
                        window = history[max(0, i - term.of_n + 1) : i + 1]
                        arises = sum(window) >= term.count
                        rule = f"{term.count} of {term.of_n} periods"
                    if arises:
                        line = {
                            "kind": "termination",
                            "node": path,
                            "account": acc,
                            "period": periods[i].label,
                            "target": term.target,
                            "rule": rule,
                        }
                        if every[k] is not None:
                            line["version"] = every[k].effective.isoformat()
                        terminations.append(((mine, t_index, index), line))
                        break
        for child, _ in agreement.children:
            visit(child, f"{path}.{child}", kind, zone, coverage)

    included = {c for a in model.agreements.values() for c, _ in a.children}
    for root in model.agreements:
        if root not in included:
            visit(root, root, "monthly", "UTC", [])
    rows.sort(key=lambda item: item[0])
    terminations.sort(key=lambda item: item[0])
    if any("version" in r for _, r in rows):  # a versioned model: every row says which
        for _, r in rows:
            r.setdefault("version", None)
    return [r for _, r in rows] + [t for _, t in terminations]


# ---- versions (docs/semantics.md "Versions")


def _every_terms(model: Any) -> list[Any]:
    """Each version's terms of every agreement (the agreement itself when unversioned)."""
    out = []
    for agreement in model.agreements.values():
        out += [v.agreement for v in agreement.versions] or [agreement]
    return out


def terms_at(agreement: Any, period: RefPeriod) -> Any:
    """The terms judging `period`: the last version effective on or before its first
    local day; None before the first version."""
    if not agreement.versions:
        return agreement
    found = None
    for version in agreement.versions:
        if version.effective <= period.first:
            found = version.agreement
    return found


def _effective(agreement: Any, period: RefPeriod) -> str | None:
    if not agreement.versions:
        return None
    return max(v.effective for v in agreement.versions if v.effective <= period.first).isoformat()


# ---- clocks (docs/semantics.md "Clocks")
#
# Each item's events are walked one by one in (time, file order), carrying the state a
# person would track on paper: in a cycle or not, paused or running since which instant,
# and the time counted so far. Nothing here shares the engine's state-scan formulation.


def clock_records(ev: _Evaluation, clock: Any) -> list[dict]:
    """One record per (item, cycle) from the clock's stream, as known at as-of."""

    def holds(pred: Any, row: dict) -> bool:
        return pred is not None and ev.holds(pred, row)

    calendar = ev.calendars[clock.calendar] if clock.calendar else None

    def measure(a: int, b: int) -> int:
        return b - a if calendar is None else _window_seconds(a, b, [calendar], [])

    items: dict[tuple, list[tuple[int, int, dict]]] = {}
    for i, row in enumerate(ev.records[clock.stream]):
        if row[clock.by] <= ev.as_of:  # later events have not happened as of as-of
            key = tuple(row[k] for k in clock.keys)
            items.setdefault(key, []).append((row[clock.by], i, row))
    out: list[dict] = []
    for events in items.values():
        events.sort(key=lambda e: (e[0], e[1]))
        cycle: dict | None = None
        number = 0

        def begin(t: int, row: dict, number: int) -> dict:
            return {
                "number": number,
                "started": t,
                "since": t,
                "paused_now": holds(clock.pause, row),
                "elapsed": 0,
                "paused": 0,
                "last": row,
                "account": row.get("account"),
            }

        def advance(c: dict, t: int) -> None:
            spent = measure(c["since"], t)
            c["paused" if c["paused_now"] else "elapsed"] += spent
            c["since"] = t

        def finish(c: dict, stopped: int | None) -> None:
            record = dict(c["last"])
            record["account"] = c["account"]  # the last one named (None: no account)
            record.update(
                cycle=float(c["number"]),
                started=c["started"],
                stopped=stopped,
                elapsed=c["elapsed"] if stopped is not None else None,
                paused=c["paused"] if stopped is not None else None,
                _so_far={"elapsed": c["elapsed"], "paused": c["paused"]},
            )
            out.append(record)

        for t, _, row in events:
            if cycle is None:  # a reset starts over a stopped item too (a reopened ticket)
                if holds(clock.start, row) or holds(clock.reset, row):
                    number += 1
                    cycle = begin(t, row, number)
                continue
            advance(cycle, t)
            if holds(clock.reset, row):
                finish(cycle, t)
                number += 1
                cycle = begin(t, row, number)
            elif holds(clock.stop, row):
                cycle["last"] = row
                if row.get("account") is not None:
                    cycle["account"] = row["account"]
                finish(cycle, t)
                cycle = None
            else:
                cycle["last"] = row
                if row.get("account") is not None:
                    cycle["account"] = row["account"]
                cycle["paused_now"] = holds(clock.pause, row)
        if cycle is not None:
            advance(cycle, ev.as_of)
            finish(cycle, None)
    return out


def _first_open_instant(cal: RefCalendar, t: int, horizon: int = 400 * DAY) -> int | None:
    block = t // REF_STEP
    if cal.open_block(block):
        return t
    while (block + 1) * REF_STEP - t < horizon:
        block += 1
        if cal.open_block(block):
            return block * REF_STEP
    return None


def _open_day(cal: RefCalendar, day: _dt.date) -> bool:
    brute = cal.brute
    has_hours = any(w == day.weekday() and e > s for w, s, e in brute.hours)
    return has_hours and day not in brute.closed_days([day.year])


def business_day_deadline(cal: RefCalendar, start: int, days: int) -> int | None:
    """The instant `days` open days after the first opening at or after `start`, at that
    opening's local time of day (a repeated time: its first instant; a skipped one: the
    instant the clocks jump)."""
    begin = _first_open_instant(cal, start)
    if begin is None:
        return None
    tz = cal.brute.tz
    local = _dt.datetime.fromtimestamp(begin, tz)
    day, found = local.date(), 0
    while found < days:
        day += _dt.timedelta(days=1)
        found += _open_day(cal, day)
    wall = _dt.datetime.combine(day, local.time().replace(tzinfo=None))
    candidate = int(wall.replace(tzinfo=tz, fold=0).timestamp())
    if _dt.datetime.fromtimestamp(candidate, tz).replace(tzinfo=None) == wall:
        return candidate
    u = candidate - 3 * 3600  # skipped: the first minute whose wall time passes it
    while _dt.datetime.fromtimestamp(u, tz).replace(tzinfo=None) <= wall:
        u += 60
    return u


def business_day_limit(cal: RefCalendar, start: int, days: int) -> float:
    """`<= Nbd` as open seconds from the start to its deadline (none: no limit)."""
    deadline = business_day_deadline(cal, start, days)
    if deadline is None:
        return math.inf
    return _window_seconds(start, deadline, [cal], [])
