"""What a new author writes first, accepted or answered with the accepted spelling
(issue 19's friction list); each message is also a tests/broken/ snapshot."""

from __future__ import annotations

import pytest

import slagraph
from slagraph.errors import SlaSyntaxError
from slagraph.syntax.format import format_source


def test_a_comma_between_two_ranges_of_the_same_days() -> None:
    comma = 'calendar c { timezone "UTC" hours mon-fri 09:00-13:00, 14:00-18:00, sat 10:00-14:00 }'
    space = 'calendar c { timezone "UTC" hours mon-fri 09:00-13:00 14:00-18:00, sat 10:00-14:00 }'
    a, b = slagraph.compile(comma).ir.calendars["c"], slagraph.compile(space).ir.calendars["c"]
    assert a == b
    assert format_source(comma) == format_source(space)


STREAM = "stream t { account: text, a: time, b: time? }\n"


def test_durations_as_people_write_them_are_answered_with_the_accepted_spelling() -> None:
    """`4hrs`, `1.5h`, `90 min` name the spelling that works, with the caret on the value."""
    cases = [("4hrs", "4h"), ("1.5h", "1h30m"), ("90 min", "90m"), ("2 days", "2d")]
    for written, spelled in cases:
        text = STREAM + f"sla s {{ objective x = share(t, b - a <= {written}) >= 9% }}"
        with pytest.raises(SlaSyntaxError) as info:
            slagraph.compile(text)
        assert f"{written!r} is not a duration; write {spelled!r}" in str(info.value)
        assert info.value.span is not None
        assert info.value.span.end_column - info.value.span.column == len(written)


def test_a_country_code_in_lower_case_is_the_code() -> None:
    """ISO codes are written upper case, but "cl" can only mean Chile."""
    lower = slagraph.compile('calendar c { holidays country "cl" subdivision "rm" }')
    upper = slagraph.compile('calendar c { holidays country "CL" subdivision "RM" }')
    assert lower.ir.calendars["c"] == upper.ir.calendars["c"]
    assert lower.ir.calendars["c"].countries == (("CL", "RM"),)
