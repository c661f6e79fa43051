"""What a new author writes first, accepted or answered with the accepted spelling
(issue 19's friction list); each message is also a tests/broken/ snapshot."""

from __future__ import annotations

import slagraph
from slagraph.syntax.format import format_source


def test_a_comma_between_two_ranges_of_the_same_days() -> None:
    comma = 'calendar c { timezone "UTC" hours mon-fri 09:00-13:00, 14:00-18:00, sat 10:00-14:00 }'
    space = 'calendar c { timezone "UTC" hours mon-fri 09:00-13:00 14:00-18:00, sat 10:00-14:00 }'
    a, b = slagraph.compile(comma).ir.calendars["c"], slagraph.compile(space).ir.calendars["c"]
    assert a == b
    assert format_source(comma) == format_source(space)
