"""Calendars, business time and reporting periods: exact, vectorised and DST-correct.

Every instant is int64 ns since the Unix epoch, UTC. Wall-clock notions (open hours,
holidays, local midnights) are converted to UTC once per calendar or grid; per-record work
is then a `searchsorted` (see docs/time.md).

* `Calendar`, `OpenHours`, `open_intervals` — what is open, as UTC intervals;
* `BusinessClock` — business durations as B(end) - B(start);
* `business_day_limits`, `business_day_seconds` — `2bd` limits and targets;
* `PeriodGrid`, `PERIOD_KINDS`, `parent_index`, `parse_label` — reporting periods.
"""

from slagraph.calendars.business import BusinessClock
from slagraph.calendars.business_days import business_day_limits, business_day_seconds
from slagraph.calendars.calendar import Calendar, OpenHours, open_intervals
from slagraph.calendars.periods import PERIOD_KINDS, PeriodGrid, parent_index, parse_label

__all__ = [
    "PERIOD_KINDS",
    "BusinessClock",
    "Calendar",
    "OpenHours",
    "PeriodGrid",
    "business_day_limits",
    "business_day_seconds",
    "open_intervals",
    "parent_index",
    "parse_label",
]
