"""Calendars, business time and reporting periods: exact, vectorised and DST-correct.

Every instant is int64 ns since the Unix epoch, UTC. Wall-clock notions (open hours,
holidays, local midnights) are converted to UTC once per calendar or grid; per-record work
is then a `searchsorted` (see docs/time.md).

* `Calendar`, `OpenHours`, `open_intervals` — what is open, as UTC intervals;
* `BusinessClock` — business durations as B(end) - B(start);
* `business_day_limits`, `business_day_seconds` — `2bd` limits and targets;
* `PeriodGrid`, `PERIOD_KINDS`, `parent_index`, `parse_label` — reporting periods.

The names are imported on first use (PEP 562): the compiler needs `Calendar` and
`PERIOD_KINDS` only, and must not pay for numpy and pyarrow, which the array functions
use, when a command only checks a model.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from slagraph.calendars.business import BusinessClock
    from slagraph.calendars.business_days import business_day_limits
    from slagraph.calendars.calendar import (
        Calendar,
        OpenHours,
        business_day_seconds,
        open_intervals,
    )
    from slagraph.calendars.periods import PERIOD_KINDS, PeriodGrid, parent_index, parse_label

_WHERE = {
    "BusinessClock": "business",
    "business_day_limits": "business_days",
    "Calendar": "calendar",
    "OpenHours": "calendar",
    "business_day_seconds": "calendar",
    "open_intervals": "calendar",
    "PERIOD_KINDS": "periods",
    "PeriodGrid": "periods",
    "parent_index": "periods",
    "parse_label": "periods",
}

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


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
