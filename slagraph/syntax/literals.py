"""Literal tokens → AST values, checked as they are read: the conversions both parse paths
share (the tree Transformer and the LALR driver), so a literal means one thing.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import TYPE_CHECKING

from slagraph.errors import SlaSyntaxError, Span
from slagraph.syntax import ast

if TYPE_CHECKING:
    from lark import Token

MAX_DURATION_DIGITS = 18
# Literals are checked as they are read (docs/language.md, Limits), so that no value
# changes on its way to the evaluator: a number has at most 15 significant digits and
# is below 10^15 (so it reads back from a float64 exactly as written), a duration fits
# int64 nanoseconds (times are int64 ns), and business days stay within the calendars'
# reach.
MAX_NUMBER_DIGITS = 15
MAX_DURATION_SECONDS = (2**63 - 1) // 1_000_000_000  # 106,751 days, 23:47:16
MAX_BUSINESS_DAYS = 10_000

UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def span_of_token(file: str, tok: Token) -> Span:
    return Span(
        file,
        tok.line or 1,
        tok.column or 1,
        tok.end_line or tok.line or 1,
        tok.end_column or (tok.column or 1) + len(tok),
        tok.start_pos or 0,
        tok.end_pos or 0,
    )


def read_name(text: str, span: Span | None) -> ast.Name:
    return ast.Name(text, span=span)


_ESCAPE = re.compile(r"\\([\"\\])")
_DURATION_PART = re.compile(r"([0-9]+)([wdhms])")


def read_string(text: str, span: Span | None) -> ast.String:
    body = text[1:-1]
    return ast.String(_ESCAPE.sub(r"\1", body) if "\\" in body else body, span=span)


def _exact(text: str, span: Span | None, what: str) -> Decimal:
    """`text` as a Decimal a float64 holds exactly as written, or a located error."""
    value = Decimal(text)
    if value and value.adjusted() >= MAX_NUMBER_DIGITS:
        raise SlaSyntaxError(
            f"{what} too large: at most {MAX_NUMBER_DIGITS} digits before the decimal point "
            f"(up to {10**MAX_NUMBER_DIGITS - 1:,}), the most a number holds exactly",
            span,
        )
    digits = "".join(map(str, value.as_tuple().digits)).strip("0")  # not normalize():
    if len(digits) > MAX_NUMBER_DIGITS:  # it rounds to the context's 28 digits first
        raise SlaSyntaxError(
            f"{what} too precise: at most {MAX_NUMBER_DIGITS} significant digits, "
            "the most a number holds exactly",
            span,
        )
    return value


def read_number(text: str, span: Span | None) -> ast.Number:
    return ast.Number(_exact(text, span, "number"), span=span)


def read_percent(text: str, span: Span | None) -> ast.Percent:
    return ast.Percent(_exact(text[:-1], span, "percentage"), span=span)


def read_duration(text: str, span: Span | None) -> ast.Duration:
    parts = _DURATION_PART.findall(text)
    # int() refuses over 4,300 digits; 18 per unit is more than any duration in range.
    too_long = any(len(n) > MAX_DURATION_DIGITS for n, _ in parts)
    if too_long or sum(int(n) * UNITS[u] for n, u in parts) > MAX_DURATION_SECONDS:
        raise SlaSyntaxError(
            f"duration too large: at most {MAX_DURATION_SECONDS // 86400:,}d (about 292 "
            "years, the span of nanosecond times)",
            span,
        )
    return ast.Duration(sum(int(n) * UNITS[u] for n, u in parts), span=span)


_DURATION_TEXT = re.compile(r"([0-9]{1,18}[wdhms])+")


def duration_seconds(text: str) -> int | None:
    """A duration literal (`15m`, `1h30m`, `1d`) in seconds, None if `text` is not one."""
    if not _DURATION_TEXT.fullmatch(text.strip()):
        return None
    return sum(int(n) * UNITS[u] for n, u in _DURATION_PART.findall(text))


def read_business_days(text: str, span: Span | None) -> ast.BusinessDays:
    digits = text[:-2]
    if len(digits) > MAX_DURATION_DIGITS or int(digits) > MAX_BUSINESS_DAYS:
        raise SlaSyntaxError(
            f"too many business days: at most {MAX_BUSINESS_DAYS:,}bd (about 40 years)", span
        )
    return ast.BusinessDays(int(digits), span=span)


def read_date(text: str, span: Span | None) -> ast.Date:
    try:
        return ast.Date(dt.date.fromisoformat(text), span=span)
    except ValueError:
        raise SlaSyntaxError(f"'{text}' is not a calendar date (YYYY-MM-DD)", span) from None


def read_clock(text: str, span: Span | None) -> ast.Clock:
    hours, minutes = (int(p) for p in text.split(":"))
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes):
        raise SlaSyntaxError(f"'{text}' is not a time of day (00:00 to 24:00)", span)
    return ast.Clock(hours * 3600 + minutes * 60, span=span)


def read_compare(text: str, span: Span | None) -> str:
    return text


def read_optional(text: str, span: Span | None) -> bool:
    return True


# Kept terminals → AST values, from the token's text and span (both parse paths).
TERMINALS = {
    "NAME": read_name,
    "STRING": read_string,
    "NUMBER": read_number,
    "PERCENT": read_percent,
    "DURATION": read_duration,
    "BUSINESS_DAYS": read_business_days,
    "DATE": read_date,
    "CLOCK": read_clock,
    "COMPARE": read_compare,
    "OPTIONAL": read_optional,
}
