"""Calendars, business time and reporting periods: exact, vectorised and DST-correct.

Every instant is int64 ns since the Unix epoch, UTC. Wall-clock notions (open hours,
holidays, local midnights) are converted to UTC once per calendar or grid; per-record work
is then a `searchsorted` (see docs/time.md).

* `Calendar`, `OpenHours`, `open_intervals` — what is open, as UTC intervals;
* `BusinessClock` — business durations as B(end) - B(start);
* `PeriodGrid`, `PERIOD_KINDS`, `parent_index`, `parse_label` — reporting periods.
"""

from slagraph.calendars.business import BusinessClock
from slagraph.calendars.calendar import Calendar, OpenHours, open_intervals
from slagraph.calendars.periods import PERIOD_KINDS, PeriodGrid, parent_index, parse_label

__all__ = [
    "PERIOD_KINDS",
    "BusinessClock",
    "Calendar",
    "OpenHours",
    "PeriodGrid",
    "open_intervals",
    "parent_index",
    "parse_label",
]
