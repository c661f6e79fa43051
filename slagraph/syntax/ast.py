"""The abstract syntax tree: what a `.sla` file says, as frozen values.

Every node carries the `Span` it came from, excluded from equality so that
`parse(fmt(src)) == parse(src)` compares meaning, not layout. Numbers are `Decimal`
so that percentages and amounts round-trip exactly; durations are whole seconds.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs

from slagraph.errors import Span


def _span() -> Any:
    """A span field: keyword-only, and left out of equality and repr."""
    return attrs.field(default=None, eq=False, repr=False, kw_only=True)


# ------------------------------------------------------------------ expressions


@attrs.frozen
class Name:
    id: str
    span: Span | None = _span()


@attrs.frozen
class String:
    value: str
    span: Span | None = _span()


@attrs.frozen
class Number:
    value: Decimal
    span: Span | None = _span()


@attrs.frozen
class Percent:
    """`99.9%`: `value` is the number before the sign (99.9); `ratio` is 0.999."""

    value: Decimal
    span: Span | None = _span()

    @property
    def ratio(self) -> Decimal:
        return self.value / 100


@attrs.frozen
class Duration:
    seconds: int
    span: Span | None = _span()


@attrs.frozen
class BusinessDays:
    """`2bd`: a limit of whole open days of a calendar (SPEC §6.2), not a fixed length."""

    days: int
    span: Span | None = _span()


@attrs.frozen
class Date:
    value: dt.date
    span: Span | None = _span()


@attrs.frozen
class Clock:
    seconds: int  # from midnight; 24:00 is 86400
    span: Span | None = _span()


Literal = String | Number | Percent | Duration | BusinessDays | Date | Clock


@attrs.frozen
class Compare:
    op: str  # one of < <= > >= == !=
    left: Expr
    right: Expr
    span: Span | None = _span()


@attrs.frozen
class InList:
    operand: Expr
    values: tuple[Literal, ...]
    negated: bool = False
    span: Span | None = _span()


@attrs.frozen
class IsNull:
    operand: Expr
    negated: bool = False
    span: Span | None = _span()


@attrs.frozen
class And:
    operands: tuple[Expr, ...]
    span: Span | None = _span()


@attrs.frozen
class Or:
    operands: tuple[Expr, ...]
    span: Span | None = _span()


@attrs.frozen
class Not:
    operand: Expr
    span: Span | None = _span()


@attrs.frozen
class Minus:
    """`later - earlier`: a duration between two time columns."""

    left: Expr
    right: Expr
    span: Span | None = _span()


@attrs.frozen
class Window:
    """`X during CAL` or `X excluding CAL`."""

    operand: Expr
    mode: str  # "during" | "excluding"
    calendar: Name
    span: Span | None = _span()


@attrs.frozen
class Selection:
    """`stream where filter` inside a call's arguments."""

    stream: Expr
    filter: Expr
    span: Span | None = _span()


@attrs.frozen
class Call:
    func: Name
    args: tuple[Expr, ...]
    span: Span | None = _span()


Expr = (
    Name
    | String
    | Number
    | Percent
    | Duration
    | BusinessDays
    | Date
    | Clock
    | Compare
    | InList
    | IsNull
    | And
    | Or
    | Not
    | Minus
    | Window
    | Selection
    | Call
)


# ------------------------------------------------------------------ declarations


@attrs.frozen
class ClockRange:
    start: Clock
    end: Clock
    span: Span | None = _span()


@attrs.frozen
class DayHours:
    """`mon-fri 09:00-12:00 13:00-18:00`: `first`/`last` are weekday names as written."""

    first: Name
    last: Name | None
    ranges: tuple[ClockRange, ...]
    span: Span | None = _span()


@attrs.frozen
class CountryHolidays:
    country: String
    subdivision: String | None = None
    span: Span | None = _span()


@attrs.frozen
class CalendarDecl:
    name: Name
    timezone: String | None
    hours: tuple[DayHours, ...]
    holidays: tuple[Date, ...]
    countries: tuple[CountryHolidays, ...]
    span: Span | None = _span()


@attrs.frozen
class ColumnDecl:
    """`name: type?` and, with `from "Header"`, the source column it reads (SPEC §6.1)."""

    name: Name
    type: Name
    nullable: bool
    header: String | None = None
    span: Span | None = _span()


@attrs.frozen
class TableOptions:
    """What follows a stream's or the accounts table's `}` besides `from` and `timezone`
    (SPEC §6.1): each None when not given."""

    time_format: String | None = None
    nulls: tuple[String, ...] | None = None
    account: Name | None = None
    separator: String | None = None
    decimal: String | None = None


@attrs.frozen
class StreamDecl:
    name: Name
    columns: tuple[ColumnDecl, ...]
    source: String | None = None
    timezone: String | None = None
    options: TableOptions = TableOptions()
    span: Span | None = _span()


@attrs.frozen
class AccountsDecl:
    columns: tuple[ColumnDecl, ...]
    source: String | None = None
    timezone: String | None = None
    options: TableOptions = TableOptions()
    span: Span | None = _span()


@attrs.frozen
class ClockDecl:
    """`clock NAME on STREAM per KEY, … by TIME { start when … }` (SPEC §6.2)."""

    name: Name
    stream: Name
    keys: tuple[Name, ...]
    by: Name
    start: Expr | None = None
    pause: Expr | None = None
    stop: Expr | None = None
    reset: Expr | None = None
    during: Name | None = None
    span: Span | None = _span()


# ------------------------------------------------------------------ agreement statements


@attrs.frozen
class Objective:
    name: Name
    expr: Expr
    warn_at: Percent | None = None
    weight: Number | Percent | None = None
    minimum: Number | Duration | None = None  # `min 100` records, `min 1h` measured time
    timeslices: Timeslices | None = None
    span: Span | None = _span()


@attrs.frozen
class Timeslices:
    """`timeslices 1m good when >= 95%`: budget by slices of `length`, not measured time."""

    length: Duration
    op: str  # ">=" | ">" (others are compile errors)
    threshold: Percent
    span: Span | None = _span()


@attrs.frozen
class CreditTier:
    below: Literal
    credit: Percent
    span: Span | None = _span()


@attrs.frozen
class CreditTiers:
    objective: Name
    tiers: tuple[CreditTier, ...]
    span: Span | None = _span()


@attrs.frozen
class CreditFlat:
    credit: Percent
    span: Span | None = _span()


@attrs.frozen
class CreditCap:
    cap: Percent
    span: Span | None = _span()


@attrs.frozen
class MetWhen:
    expr: Expr
    span: Span | None = _span()


@attrs.frozen
class Child:
    name: Name
    weight: Number | Percent | None = None
    span: Span | None = _span()


@attrs.frozen
class Include:
    children: tuple[Child, ...]
    span: Span | None = _span()


@attrs.frozen
class PeriodStmt:
    kind: Name
    span: Span | None = _span()


@attrs.frozen
class TimezoneStmt:
    zone: String
    span: Span | None = _span()


@attrs.frozen
class Terminate:
    """`terminate when X breached in N consecutive periods` (of_n None) or `in K of N periods`."""

    target: Name
    count: Number
    of_n: Number | None = None
    span: Span | None = _span()


@attrs.frozen
class AtRisk:
    amount: Percent
    span: Span | None = _span()


@attrs.frozen
class Allocation:
    child: Name
    share: Percent
    span: Span | None = _span()


@attrs.frozen
class Allocate:
    allocations: tuple[Allocation, ...]
    span: Span | None = _span()


@attrs.frozen
class Earnback:
    periods: Number
    span: Span | None = _span()


@attrs.frozen
class WindowStmt:
    """`window rolling 30d`: judged at every step over the trailing window (SPEC §6.5)."""

    length: Duration
    span: Span | None = _span()


@attrs.frozen
class Alert:
    """`alert NAME when CONDITION`: a condition over `burn_rate(OBJECTIVE, WINDOW)`."""

    name: Name
    condition: Expr
    span: Span | None = _span()


@attrs.frozen
class AlertPreset:
    """`alert burn_rates sre`: the SRE workbook's multi-window, multi-burn-rate alerts."""

    preset: Name
    span: Span | None = _span()


Statement = (
    Objective
    | CreditTiers
    | CreditFlat
    | CreditCap
    | MetWhen
    | Include
    | PeriodStmt
    | TimezoneStmt
    | Terminate
    | AtRisk
    | Allocate
    | Earnback
    | WindowStmt
    | Alert
    | AlertPreset
)


@attrs.frozen
class AgreementDecl:
    """An `sla` or a `master`: the same shape; the compiler checks which statements fit."""

    kind: str  # "sla" | "master"
    name: Name
    title: String | None
    parent: Name | None
    coverage: Expr | None
    body: tuple[Statement, ...]
    span: Span | None = _span()
    effective: Date | None = None  # `effective DATE`: one version of several (SPEC §6.6)


Decl = CalendarDecl | StreamDecl | AccountsDecl | ClockDecl | AgreementDecl


@attrs.frozen
class Module:
    decls: tuple[Decl, ...]
    file: str = attrs.field(default="<string>", eq=False)
    source: str = attrs.field(default="", eq=False, repr=False)
