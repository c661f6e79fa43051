"""Calendars, streams and the accounts table: from declarations to checked values."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

from slagraph.calendars import Calendar, OpenHours
from slagraph.data.schema import ACCOUNT_COLUMN, ColumnSpec, StreamSchema
from slagraph.errors import SlaCompileError, Span, did_you_mean
from slagraph.syntax import ast

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
COLUMN_TYPES = ("text", "number", "bool", "time")


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_timezone(zone: ast.String) -> str:
    """A valid IANA zone name, or an error suggesting the closest one."""
    if zone.value in _zones() or zone.value == "UTC":
        return zone.value
    raise SlaCompileError(
        f"unknown timezone '{zone.value}'{did_you_mean(zone.value, _zones())}; "
        'expected an IANA name such as "America/Santiago" or "UTC"',
        zone.span,
    )


def _weekday(name: ast.Name) -> int:
    if name.id in WEEKDAYS:
        return WEEKDAYS.index(name.id)
    raise SlaCompileError(
        f"unknown weekday '{name.id}'{did_you_mean(name.id, WEEKDAYS)}; "
        "expected one of mon, tue, wed, thu, fri, sat, sun",
        name.span,
    )


def _open_hours(day: ast.DayHours) -> list[OpenHours]:
    first = _weekday(day.first)
    last = _weekday(day.last) if day.last is not None else first
    days = [(first + i) % 7 for i in range((last - first) % 7 + 1)]
    hours: list[OpenHours] = []
    for clock in day.ranges:
        start, end = clock.start.seconds, clock.end.seconds
        if start >= end:
            raise SlaCompileError(
                "an opening range must end after it starts (use 24:00 for midnight)", clock.span
            )
        hours.extend(OpenHours(d, start, end) for d in days)
    return hours


@functools.cache
def _country_codes() -> tuple[str, ...]:
    """The codes `holidays` knows, from its registry: `list_supported_countries()` would
    import every country's module to list its subdivisions (docs/performance.md)."""
    try:
        from holidays.registry import EntityLoader

        return tuple(EntityLoader.get_country_codes())
    except (ImportError, AttributeError):  # another layout of the package: the slow way
        import holidays as holidays_lib

        return tuple(holidays_lib.list_supported_countries())


def _country(item: ast.CountryHolidays) -> tuple[str, str | None]:
    """The (country, subdivision) codes `holidays` knows; codes in any case are the codes
    (`"cl"` is Chile), a subdivision's name (`"Madrid"`) is answered with its code."""
    import holidays as holidays_lib  # only for a calendar that names a country

    supported = _country_codes()
    code = item.country.value
    if code not in supported and code.upper() in supported:
        code = code.upper()
    if code not in supported:
        raise SlaCompileError(
            f"no public holidays known for country '{code}'{did_you_mean(code, supported)}; "
            'expected an ISO 3166 code such as "CL" or "ES"',
            item.country.span,
        )
    sub = item.subdivision.value if item.subdivision is not None else None
    if sub is None:
        return (code, None)
    entity = getattr(holidays_lib, code)
    subdivisions = list(entity.subdivisions)
    if sub in subdivisions:
        return (code, sub)
    by_case = [s for s in subdivisions if s.casefold() == sub.casefold()]
    if len(by_case) == 1:
        return (code, by_case[0])
    span = item.subdivision.span if item.subdivision else item.span
    aliases: dict[str, str] = dict(getattr(entity, "subdivisions_aliases", None) or {})
    named = {a for a, c in aliases.items() if a.casefold() == sub.casefold()}
    if named:
        alias = named.pop()
        raise SlaCompileError(
            f"subdivisions are written as codes: {alias!r} is {code}'s "
            f'subdivision "{aliases[alias]}"; write subdivision "{aliases[alias]}"',
            span,
        )
    # a misspelt name ("Madird") suggests the code its closest name stands for
    hint = did_you_mean(sub, [*subdivisions, *aliases])
    for alias, alias_code in aliases.items():
        if hint == f" (did you mean '{alias}'?)":
            hint = f" (did you mean '{alias_code}', {alias}?)"
    raise SlaCompileError(f"'{sub}' is not a subdivision of {code}{hint}", span)


def compile_calendar(decl: ast.CalendarDecl) -> Calendar:
    zone = check_timezone(decl.timezone) if decl.timezone is not None else "UTC"
    hours: list[OpenHours] = []
    for day in decl.hours:
        hours.extend(_open_hours(day))
    # Built apart from the call: the attrs plugin types a `converter=tuple` parameter as
    # `Iterable[_T_co]` (tuple's unbound type variable), which spoils inference inside the
    # call and which no argument matches, hence the ignore (fields: name, timezone, hours,
    # holidays, countries).
    open_hours: tuple[OpenHours, ...] = tuple(
        sorted(set(hours), key=lambda h: (h.weekday, h.start, h.end))
    )
    dates: tuple[dt.date, ...] = tuple(sorted({d.value for d in decl.holidays}))
    countries: tuple[tuple[str, str | None], ...] = tuple(_country(c) for c in decl.countries)
    return Calendar(decl.name.id, zone, open_hours, dates, countries)  # type: ignore[arg-type]


def _columns(columns: tuple[ast.ColumnDecl, ...], owner: str) -> tuple[ColumnSpec, ...]:
    seen: dict[str, Span | None] = {}
    read: dict[str, str] = {}  # source header -> the column reading it
    specs = []
    for col in columns:
        if col.name.id in seen:
            raise SlaCompileError(f"{owner} declares column '{col.name.id}' twice", col.name.span)
        seen[col.name.id] = col.name.span
        if col.type.id not in COLUMN_TYPES:
            raise SlaCompileError(
                f"unknown column type '{col.type.id}'{did_you_mean(col.type.id, COLUMN_TYPES)}; "
                "expected text, number, bool or time",
                col.type.span,
            )
        header = col.header.value if col.header is not None else None
        if header == "" and col.header is not None:
            raise SlaCompileError(
                "a column read 'from' a header needs the header's name", col.header.span
            )
        source = header if header is not None else col.name.id
        if source in read:
            raise SlaCompileError(
                f"{owner}: columns '{read[source]}' and '{col.name.id}' both read the "
                f'source column "{source}"',
                (col.header or col.name).span,
            )
        read[source] = col.name.id
        specs.append(ColumnSpec(col.name.id, col.type.id, col.nullable, header))
    return tuple(specs)


def _options(
    decl: ast.StreamDecl | ast.AccountsDecl, columns: tuple[ColumnSpec, ...], owner: str
) -> dict[str, object]:
    """The checked §6.1 options of a stream or the accounts table, as StreamSchema fields."""
    opts = decl.options
    time_format = None
    if opts.time_format is not None:
        time_format = opts.time_format.value
        try:
            from slagraph.data.time_formats import compile_format  # numpy, pyarrow: lazily

            parsed = compile_format(time_format)
        except ValueError as e:
            raise SlaCompileError(
                f'time format "{time_format}": {e}', opts.time_format.span
            ) from None
        if not parsed.has_zone and decl.timezone is None:
            raise SlaCompileError(
                f'time format "{time_format}" reads no offset (%z), so every time is a '
                f"local wall-clock time: declare the zone they are local to, e.g. "
                f'timezone "America/Santiago"',
                opts.time_format.span,
            )
    separator = decimal = None
    if opts.separator is not None:
        separator = opts.separator.value
        if len(separator) != 1 or separator in '"\r\n':
            raise SlaCompileError(
                f'csv separator must be one character such as "," or ";", got \'{separator}\'',
                opts.separator.span,
            )
    if opts.decimal is not None:
        decimal = opts.decimal.value
        if decimal not in (".", ","):
            raise SlaCompileError(
                f'decimal must be "." or ",", got \'{decimal}\'', opts.decimal.span
            )
        if decimal == separator:
            raise SlaCompileError(
                f'the decimal mark cannot also be the csv separator ("{decimal}")',
                opts.decimal.span,
            )
    account = None
    if opts.account is not None:
        account = opts.account.id
        by_name = {c.name: c for c in columns}
        spec = by_name.get(account)
        if spec is None:
            raise SlaCompileError(
                f"account from '{account}': {owner} declares no column '{account}'"
                f"{did_you_mean(account, by_name)}",
                opts.account.span,
            )
        if spec.type != "text":  # nullable is allowed: a null account is a bad row (§6.1)
            raise SlaCompileError(
                f"the account column '{account}' of {owner} must be text, not {spec.type}: "
                f"declare '{account}: text'",
                opts.account.span,
            )
        if account != ACCOUNT_COLUMN and ACCOUNT_COLUMN in by_name:
            raise SlaCompileError(
                f"{owner} declares a column 'account' and 'account from {account}'; "
                "keep one (rename the column 'account' if it is something else)",
                opts.account.span,
            )
    return dict(
        time_format=time_format,
        nulls=tuple(t.value for t in opts.nulls) if opts.nulls is not None else None,
        account=None if account == ACCOUNT_COLUMN else account,
        separator=separator,
        decimal=decimal,
    )


def compile_stream(decl: ast.StreamDecl) -> StreamSchema:
    owner = f"stream '{decl.name.id}'"
    columns = _columns(decl.columns, owner)
    options = _options(decl, columns, owner)
    by_name = {c.name: c for c in columns}
    if "account" in by_name and by_name["account"].type != "text":
        raise SlaCompileError("the 'account' column must be text", decl.span)
    if "account" in by_name and by_name["account"].nullable:
        col = next(c for c in decl.columns if c.name.id == "account")
        raise SlaCompileError(
            f"the account column of stream '{decl.name.id}' cannot be nullable: every "
            "record must belong to an account; declare 'account: text'",
            col.span or col.type.span,
        )
    return StreamSchema(
        name=decl.name.id,
        columns=columns,
        source=decl.source.value if decl.source else decl.name.id,
        timezone=check_timezone(decl.timezone) if decl.timezone else None,
        **options,  # type: ignore[arg-type]
    )


def compile_accounts(decl: ast.AccountsDecl) -> StreamSchema:
    columns = _columns(decl.columns, "accounts")
    options = _options(decl, columns, "accounts")
    by_name = {c.name: c for c in columns}
    key = options["account"] or ACCOUNT_COLUMN
    if key not in by_name or by_name[key].type != "text":
        raise SlaCompileError("the accounts table needs a key column 'account: text'", decl.span)
    if by_name[key].nullable:
        col = next(c for c in decl.columns if c.name.id == key)
        raise SlaCompileError(f"the accounts key '{key}' cannot be nullable", col.span or decl.span)
    if "fee" in by_name and by_name["fee"].type != "number":
        raise SlaCompileError("the 'fee' column prices credits and must be a number", decl.span)
    return StreamSchema(
        name="accounts",
        columns=columns,
        source=decl.source.value if decl.source else "accounts",
        timezone=check_timezone(decl.timezone) if decl.timezone else None,
        **options,  # type: ignore[arg-type]
    )
