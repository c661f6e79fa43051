"""Reporting periods in a timezone: boundaries at local midnights, labels, bucketing.

Labels (SPEC §4.1): daily ``2026-01-31``, weekly ISO ``2026-W05`` (Monday start, ISO
year), monthly ``2026-01``, quarterly ``2026-Q1``, yearly ``2026``.

A period starts at the first instant of its first local day: local midnight, or — where a
DST jump skips midnight, as in America/Santiago each September — the instant of the jump
(01:00 local). Bounds are UTC ns, so bucketing a million records is one `searchsorted`.

numpy is imported inside the grid's methods: the compiler reads `PERIOD_KINDS` from here
and must not import numpy for that (tests/test_imports.py).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import TYPE_CHECKING

import attrs

from slagraph.calendars import _wallclock as wc
from slagraph.errors import SlaUsageError

if TYPE_CHECKING:
    import numpy as np

PERIOD_KINDS = ("daily", "weekly", "monthly", "quarterly", "yearly")  # finest to coarsest

_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}

_FORMS = {
    "daily": (re.compile(r"(\d{4})-(\d{2})-(\d{2})"), "YYYY-MM-DD, e.g. 2026-01-31"),
    "weekly": (re.compile(r"(\d{4})-W(\d{2})"), "YYYY-Www (ISO week), e.g. 2026-W05"),
    "monthly": (re.compile(r"(\d{4})-(\d{2})"), "YYYY-MM, e.g. 2026-01"),
    "quarterly": (re.compile(r"(\d{4})-Q([1-4])"), "YYYY-Qn, e.g. 2026-Q1"),
    "yearly": (re.compile(r"(\d{4})"), "YYYY, e.g. 2026"),
}


def _check_kind(kind: str) -> None:
    if kind not in PERIOD_KINDS:
        raise SlaUsageError(f"'period' must be one of {', '.join(PERIOD_KINDS)}, got {kind!r}")


def period_start(kind: str, day: dt.date) -> dt.date:
    """The first day of the `kind` period holding `day`."""
    if kind == "daily":
        return day
    if kind == "weekly":
        return day - dt.timedelta(days=day.weekday())
    if kind == "monthly":
        return day.replace(day=1)
    if kind == "quarterly":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def next_start(kind: str, start: dt.date) -> dt.date:
    """The first day of the period after the one starting on `start`."""
    if kind == "daily":
        return start + dt.timedelta(days=1)
    if kind == "weekly":
        return start + dt.timedelta(days=7)
    month = start.month - 1 + _MONTHS[kind]
    return dt.date(start.year + month // 12, month % 12 + 1, 1)


def label(kind: str, start: dt.date) -> str:
    """The label of the period starting on `start`."""
    if kind == "daily":
        return start.isoformat()
    if kind == "weekly":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if kind == "monthly":
        return f"{start.year:04d}-{start.month:02d}"
    if kind == "quarterly":
        return f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year:04d}"


def parse_label(kind: str, label: str) -> tuple[dt.date, dt.date]:
    """The local dates a period label covers, half-open: (first day, day after the last).

    Half-open so that ``--from A --to B`` is simply [first day of A, end of B).

    Raises:
        SlaUsageError: the kind is unknown or the label is not a valid `kind` label
            (the message names the label and the expected form).
    """
    _check_kind(kind)
    pattern, form = _FORMS[kind]
    match = pattern.fullmatch(label) if isinstance(label, str) else None
    try:
        if match is None:
            raise ValueError(label)
        parts = [int(p) for p in match.groups()]
        if kind == "daily":
            start = dt.date(parts[0], parts[1], parts[2])
        elif kind == "weekly":
            start = dt.date.fromisocalendar(parts[0], parts[1], 1)
        elif kind == "monthly":
            start = dt.date(parts[0], parts[1], 1)
        elif kind == "quarterly":
            start = dt.date(parts[0], (parts[1] - 1) * 3 + 1, 1)
        else:
            start = dt.date(parts[0], 1, 1)
        end = next_start(kind, start)
    except (ValueError, OverflowError):
        raise SlaUsageError(f"{label!r} is not a {kind} period; expected {form}") from None
    return start, end


def _first_instant(tz: zoneinfo.ZoneInfo, day: dt.date) -> int:
    """UTC ns of the first instant of local `day` (midnight, or the jump that skips it)."""
    return wc.wall_to_utc(tz, wc.day_number(day) * wc.DAY)[0] * wc.NS


@attrs.frozen(eq=False)
class PeriodGrid:
    """Consecutive reporting periods of one kind in one timezone.

    `eq=False`: it holds an array; compare `kind`, `timezone` and `labels` if needed.

    Attributes:
        kind: one of `PERIOD_KINDS`.
        timezone: the IANA zone whose local midnights bound the periods.
        bounds: int64 UTC ns, ``len(labels) + 1`` boundaries; period i is
            ``[bounds[i], bounds[i + 1])``.
        labels: one label per period, in order.
    """

    kind: str
    timezone: str
    bounds: np.ndarray
    labels: tuple[str, ...]

    @classmethod
    def build(cls, kind: str, timezone: str, lo: int, hi: int) -> PeriodGrid:
        """Every period intersecting [lo, hi) (UTC ns); none when ``hi <= lo``."""
        import numpy as np

        _check_kind(kind)
        tz = wc.zone(timezone)
        first = period_start(kind, wc.local_date(tz, wc.floor_seconds(lo)))
        starts = [first]
        if hi > lo:
            last = wc.local_date(tz, wc.floor_seconds(hi - 1))
            while starts[-1] <= last:
                starts.append(next_start(kind, starts[-1]))
        bounds = np.array([_first_instant(tz, d) for d in starts], dtype=np.int64)
        return cls(kind, timezone, bounds, tuple(label(kind, d) for d in starts[:-1]))

    def __len__(self) -> int:
        return len(self.labels)

    def index(self, t: np.ndarray) -> np.ndarray:
        """Period index per instant (int64), -1 outside the grid."""
        import numpy as np

        t = np.asarray(t, dtype=np.int64)
        i = np.searchsorted(self.bounds, t, side="right") - 1
        return np.where(i < len(self.labels), i, -1)

    def split(
        self, starts: np.ndarray, ends: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Cut [start, end) intervals at period boundaries.

        An outage 23:00 Jan 31 → 01:00 Feb 1 (monthly) gives one piece in each month.
        Parts outside the grid are dropped, as are empty intervals (end <= start).

        Returns:
            (record, period, piece_start, piece_end): for every piece, the index of its
            interval in the inputs, its period index, and its clipped bounds (int64 ns);
            ordered by record, then period.
        """
        import numpy as np

        starts = np.asarray(starts, dtype=np.int64)
        ends = np.asarray(ends, dtype=np.int64)
        lo, hi = self.bounds[0], self.bounds[-1]
        s = np.maximum(starts, lo)
        e = np.minimum(ends, hi)
        first = np.searchsorted(self.bounds, s, side="right") - 1
        last = np.searchsorted(self.bounds, e, side="left") - 1  # period holding e - 1 ns
        counts = np.where(e > s, last - first + 1, 0)
        record = np.repeat(np.arange(len(starts), dtype=np.int64), counts)
        offsets = np.cumsum(counts) - counts
        period = first[record] + (np.arange(len(record), dtype=np.int64) - offsets[record])
        piece_start = np.maximum(s[record], self.bounds[period])
        piece_end = np.minimum(e[record], self.bounds[period + 1])
        return record, period, piece_start, piece_end

    def position(self, label: str) -> int:
        """Index of the period labelled `label`.

        Raises:
            SlaUsageError: `label` is malformed (the message gives the expected form) or
                names a period outside this grid (the message gives the grid's range).
        """
        parse_label(self.kind, label)
        try:
            return self.labels.index(label)
        except ValueError:
            span = f"{self.labels[0]} to {self.labels[-1]}" if self.labels else "nothing"
            raise SlaUsageError(
                f"period {label!r} is outside the evaluated {self.kind} periods ({span})"
            ) from None

    def length(self) -> np.ndarray:
        """Length of each period in ns (a DST day is 23 h or 25 h)."""
        import numpy as np

        return np.diff(self.bounds)


def parent_index(child: PeriodGrid, parent: PeriodGrid) -> np.ndarray:
    """For each child period, the index of the parent period containing it.

    Containment is by instants: ``parent.bounds[j] <= child start`` and ``child end <=
    parent.bounds[j + 1]``. A child that straddles two parents (an ISO week across a
    month end) or lies outside the parent grid gets -1.
    """
    import numpy as np

    c_start, c_end = child.bounds[:-1], child.bounds[1:]
    j = parent.index(c_start)
    safe = np.clip(j, 0, max(len(parent.labels) - 1, 0))
    if not len(parent.labels):
        return np.full(len(child.labels), -1, dtype=np.int64)
    inside = (j >= 0) & (c_end <= parent.bounds[safe + 1])
    return np.where(inside, j, -1).astype(np.int64)
