"""Hypothesis strategies for random `.sla` models and the data they read.

A `Case` is `.sla` text plus records: the differential test compiles the text, runs the
engine and `tests/reference.py` on the same records and compares the rows. The shapes
are drawn to reach the rules of docs/semantics.md: shared streams, business time across
DST changes, open records, overlapping outages cut at period boundaries, finer children
rolled up, shared children, pools, earnback and terminations.

The schema is fixed (three streams, an optional accounts table) so that every generated
expression type-checks; what varies is whether a stream has an `account` column, the
calendars, the agreements and the data.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass, field

from hypothesis import strategies as st

ZONES = ("UTC", "America/Santiago", "Europe/Madrid", "Asia/Kolkata")
# DST changes of 2026, in UTC: Madrid Mar 29 01:00 and Oct 25 01:00; Santiago Apr 5 03:00
# (clocks back at local midnight) and Sep 6 04:00 (clocks forward at local midnight).
DST_CHANGES = (
    dt.datetime(2026, 3, 29, 1, tzinfo=dt.UTC),
    dt.datetime(2026, 4, 5, 3, tzinfo=dt.UTC),
    dt.datetime(2026, 9, 6, 4, tzinfo=dt.UTC),
    dt.datetime(2026, 10, 25, 1, tzinfo=dt.UTC),
)
# Windows of data: plain winter, around the March/April changes, around Sep/Oct ones.
WINDOW_STARTS = (
    dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 10, tzinfo=dt.UTC),
    dt.datetime(2026, 8, 20, tzinfo=dt.UTC),
    dt.datetime(2026, 10, 5, tzinfo=dt.UTC),
)
ACCOUNT_NAMES = ("a1", "a2", "a3")
TIERS = ("gold", "silver")


@dataclass
class Case:
    """A model and its data, in the forms both evaluators take."""

    text: str
    records: dict[str, list[dict]]
    accounts: list[dict] | None = None
    as_of: str | None = None
    notes: list[str] = field(default_factory=list)

    def engine_data(self) -> dict[str, dict[str, list]]:
        """The records as columns, the mapping `Model.evaluate` takes."""
        out: dict[str, dict[str, list]] = {}
        tables = dict(self.records)
        if self.accounts is not None:
            tables["accounts"] = self.accounts
        for name, rows in tables.items():
            columns = self.columns[name]
            out[name] = {c: [r.get(c) for r in rows] for c in columns}
        return out

    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    every: int | None = None  # rolling windows' step in seconds (None: local midnights)


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- calendars

CLOCKS = ("00:00", "06:30", "08:00", "09:00", "12:00", "13:30", "14:00", "18:00", "20:30", "24:00")


@st.composite
def clock_ranges(draw: st.DrawFn) -> str:
    """One or two ordered ranges of a day, on whole or half hours."""
    n = draw(st.integers(1, 2))
    picks = sorted(
        draw(st.lists(st.sampled_from(CLOCKS), min_size=2 * n, max_size=2 * n, unique=True))
    )
    return " ".join(f"{picks[i]}-{picks[i + 1]}" for i in range(0, 2 * n, 2))


@st.composite
def calendar_decl(draw: st.DrawFn, name: str) -> str:
    zone = draw(st.sampled_from(ZONES))
    groups = draw(
        st.lists(
            st.sampled_from(("mon-fri", "sat", "sun", "mon-sun", "tue-thu")),
            min_size=1,
            max_size=2,
            unique=True,
        )
    )
    hours = ", ".join(f"{g} {draw(clock_ranges())}" for g in groups)
    lines = [f"calendar {name} {{", f'    timezone "{zone}"', f"    hours {hours}"]
    if draw(st.booleans()):
        days = draw(
            st.lists(
                st.sampled_from(
                    (
                        "2026-01-01",
                        "2026-01-02",
                        "2026-02-02",
                        "2026-03-30",
                        "2026-04-06",
                        "2026-09-07",
                        "2026-10-26",
                        "2026-04-04",
                    )
                ),
                min_size=1,
                max_size=3,
                unique=True,
            )
        )
        lines.append(f"    holidays {', '.join(sorted(days))}")
    if draw(st.integers(0, 5)) == 0:
        lines.append(f'    holidays country "{draw(st.sampled_from(("CL", "ES", "IN")))}"')
    lines.append("}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- expressions

DURATIONS = ("90s", "15m", "30m", "1h", "4h", "8h", "1d", "1h30m")


def _duration_limit(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(DURATIONS))


@st.composite
def ticket_filter(draw: st.DrawFn, depth: int = 0) -> str:
    atoms = [
        'channel == "email"',
        'channel != "chat"',
        'channel in ("email", "web")',
        'channel not in ("web")',
        "prio > 1",
        "prio <= 2",
        "prio is null",
        "prio is not null",
        "vip",
        "not vip",
        "vip == true",
        "solved is null",
        "first_reply is not null",
        "solved - created > 1h",
        "first_reply - created <= 30m",
        'channel < "d"',
    ]
    if depth < 2 and draw(st.integers(0, 3)) == 0:
        op = draw(st.sampled_from(("and", "or")))
        a, b = draw(ticket_filter(depth + 1)), draw(ticket_filter(depth + 1))
        text = f"({a} {op} {b})"
        return f"not {text}" if draw(st.booleans()) else text
    atom = draw(st.sampled_from(atoms))
    if draw(st.integers(0, 5)) == 0:
        return f"not ({atom})"
    return atom


@st.composite
def outage_filter(draw: st.DrawFn) -> str:
    atoms = [
        'service == "api"',
        'service == "db"',
        'service in ("api", "web")',
        "not planned",
        "planned == false",
        'service != "web" and not planned',
        'service == "db" or planned',
    ]
    return draw(st.sampled_from(atoms))


def _sel(draw: st.DrawFn, stream: str, flt: st.SearchStrategy[str]) -> str:
    if draw(st.booleans()):
        return f"{stream} where {draw(flt)}"
    return stream


@st.composite
def ticket_duration(draw: st.DrawFn, calendars: list[str]) -> str:
    later = draw(st.sampled_from(("first_reply", "solved")))
    text = f"{later} - created"
    if calendars and draw(st.integers(0, 2)) == 0:
        text += f" during {draw(st.sampled_from(calendars))}"
    return text


SLICE_LENGTHS = ("6h", "1d", "7d", "90m", "13h", "3d")  # few slices: the reference is slow
RATIO_TARGETS = ("50%", "80%", "90%", "95%", "99%", "99.9%", "100%")


@st.composite
def objective_expr(
    draw: st.DrawFn, calendars: list[str], earlier_objectives: list[str], earlier_slas: list[str]
) -> tuple[str, bool]:
    """`metric OP target`, and whether it takes `below` tiers (a lower bound)."""
    kinds = ["share_within", "share_where", "count", "aggregate", "percentile", "uptime", "uptime"]
    if earlier_objectives or earlier_slas:
        kinds.append("met")
    kind = draw(st.sampled_from(kinds))
    lower = True
    if kind == "share_within":
        sel = _sel(draw, "tickets", ticket_filter())
        dur = draw(ticket_duration(calendars))
        op = draw(st.sampled_from(("<=", "<")))
        metric = f"share({sel}, {dur} {op} {_duration_limit(draw)})"
        target = draw(st.sampled_from(RATIO_TARGETS))
    elif kind == "share_where":
        # A duration compared first would make it a duration share (with its own rules).
        durations_first = ("solved -", "first_reply -")
        condition = draw(ticket_filter().filter(lambda f: not f.startswith(durations_first)))
        metric = f"share({_sel(draw, 'tickets', ticket_filter())}, {condition})"
        target = draw(st.sampled_from(RATIO_TARGETS))
    elif kind == "count":
        metric = f"count({_sel(draw, 'tickets', ticket_filter())})"
        target = str(draw(st.integers(0, 6)))
    elif kind == "aggregate":
        fn = draw(st.sampled_from(("sum", "mean", "min", "max")))
        if draw(st.integers(0, 3)) == 0:
            metric, target = f"{fn}({_sel(draw, 'tickets', ticket_filter())}, prio)", "2"
        else:
            metric = (
                f"{fn}({_sel(draw, 'tickets', ticket_filter())}, "
                f"{draw(ticket_duration(calendars))})"
            )
            target = _duration_limit(draw)
    elif kind == "percentile":
        sel = _sel(draw, "tickets", ticket_filter())
        dur = draw(ticket_duration(calendars))
        if draw(st.booleans()):
            metric = f"p{draw(st.sampled_from((50, 90, 95, 99, 1)))}({sel}, {dur})"
        else:
            q = draw(st.sampled_from(("95%", "50%", "33.3%", "100%", "0.5%")))
            metric = f"percentile({sel}, {dur}, {q})"
        target = _duration_limit(draw)
    elif kind == "uptime":
        stream = draw(st.sampled_from(("outages", "links")))
        mode = draw(st.sampled_from(("one", "series", "parallel", "k_of_n")))
        if mode == "one":
            inner = _sel(draw, stream, outage_filter())
        else:
            n = draw(st.integers(1 if mode != "k_of_n" else 2, 3))
            sels = [
                _sel(draw, draw(st.sampled_from(("outages", "links"))), outage_filter())
                for _ in range(n)
            ]
            k = f"{draw(st.integers(1, n))}, " if mode == "k_of_n" else ""
            inner = f"{mode}({k}{', '.join(sels)})"
        metric = f"uptime({inner})"
        for _ in range(draw(st.integers(0, 2)) if calendars else 0):
            metric += (
                f" {draw(st.sampled_from(('during', 'excluding')))} "
                f"{draw(st.sampled_from(calendars))}"
            )
        target = draw(st.sampled_from(("90%", "99%", "99.5%", "99.9%", "100%", "50%")))
    else:
        names = earlier_objectives + earlier_slas
        metric = f"met({draw(st.sampled_from(names))})"
        target = "1"
    if kind in ("aggregate", "percentile"):
        op = draw(st.sampled_from(("<=", "<", ">=")))
    elif kind == "met":
        op = draw(st.sampled_from((">=", "<")))
    else:
        op = draw(st.sampled_from((">=", ">=", ">", "<=")))
    lower = op in (">=", ">") and kind != "met"
    return f"{metric} {op} {target}", lower


TIER_SETS = {
    "ratio": ("below 99% -> 5%", "below 90% -> 10%", "below 50% -> 25%", "below 99.9% -> 2%"),
    "number": ("below 1 -> 5%", "below 3 -> 10%"),
    "duration": ("below 1h -> 5%", "below 10m -> 10%"),
}


@st.composite
def met_when(draw: st.DrawFn, members: list[str], depth: int = 0) -> str:
    options = ["name", "score", "at_least"]
    if depth < 2:
        options += ["and", "or", "not"]
    kind = draw(st.sampled_from(options))
    if kind == "name":
        return draw(st.sampled_from(members))
    if kind == "score":
        return (
            f"score {draw(st.sampled_from(('>=', '>', '<=')))} "
            f"{draw(st.sampled_from(('50%', '75%', '60%', '100%', '25%')))}"
        )
    if kind == "at_least":
        names = draw(
            st.lists(st.sampled_from(members), min_size=1, max_size=len(members), unique=True)
        )
        return f"at_least({draw(st.integers(1, len(names)))}, {', '.join(names)})"
    if kind == "not":
        return f"not ({draw(met_when(members, depth + 1))})"
    a, b = draw(met_when(members, depth + 1)), draw(met_when(members, depth + 1))
    return f"({a} {kind} {b})"


PERCENT_WEIGHTS = ("25%", "50%", "75%", "100%")


@st.composite
def coverage(draw: st.DrawFn, has_table: bool) -> str:
    if has_table:
        options = (
            'tier == "gold"',
            'tier in ("gold", "silver")',
            'account != "a1"',
            "fee > 100",
            "fee is null",
            'not (tier == "silver")',
            'account == "a2"',
        )
    else:
        options = ('account == "a1"', 'account in ("a1", "a3")', 'account != "a2"')
    return f" for accounts where {draw(st.sampled_from(options))}"


def _period_lines(draw: st.DrawFn, periods: tuple[str | None, ...]) -> list[str]:
    lines = []
    period = draw(st.sampled_from(periods))
    if period:
        lines.append(f"    period {period}")
    if draw(st.integers(0, 2)) == 0:
        lines.append(f'    timezone "{draw(st.sampled_from(ZONES))}"')
    return lines


def _terminations(draw: st.DrawFn, targets: list[str]) -> list[str]:
    lines: list[str] = []
    for _ in range(draw(st.integers(0, 2)) if draw(st.integers(0, 2)) == 0 else 0):
        target = draw(st.sampled_from(targets))
        if draw(st.booleans()):
            lines.append(
                f"    terminate when {target} breached in "
                f"{draw(st.integers(1, 3))} consecutive periods"
            )
        else:
            n = draw(st.integers(1, 4))
            lines.append(
                f"    terminate when {target} breached in {draw(st.integers(1, n))} of {n} periods"
            )
    return list(dict.fromkeys(lines))  # a clause given twice is a compile error


WINDOWS = ("12h", "1d", "3d", "7d", "30d")


def _window_lines(draw: st.DrawFn, zone: str | None) -> list[str]:
    """A rolling agreement's header: its window, and the one zone of the whole case."""
    lines = [f"    window rolling {draw(st.sampled_from(WINDOWS))}"]
    return lines + ([f'    timezone "{zone}"'] if zone else [])


# Effective dates for versions: before all data, inside the data windows, on and off
# period starts and DST days (a version judges the periods whose local start follows it).
EFFECTIVE = (
    "2025-12-01",
    "2026-01-01",
    "2026-01-15",
    "2026-02-01",
    "2026-03-20",
    "2026-04-01",
    "2026-04-05",
    "2026-09-01",
    "2026-09-06",
    "2026-10-10",
    "2026-11-01",
)
AMENDED = ("0%", "50%", "80%", "90%", "95%", "99%", "99.9%")


def _versioned(draw: st.DrawFn, block: str) -> str:
    """`block` as one to three versions with `effective` dates, each later one an
    amendment of the targets, credit tiers and amounts of the one before."""
    dates = sorted(draw(st.lists(st.sampled_from(EFFECTIVE), min_size=1, max_size=3, unique=True)))
    out = []
    text = block
    for i, day in enumerate(dates):
        if i:
            pct = lambda m: f"{m[1]} {draw(st.sampled_from(AMENDED))}"  # noqa: E731
            text = re.sub(r"(>=|>|<=|<|->) (\d+(?:\.\d+)?)%", pct, text)
            text = re.sub(
                r"(at_risk|credit) (\d+(?:\.\d+)?)% ",
                lambda m: f"{m[1]} {draw(st.sampled_from(AMENDED[1:5]))} ",
                text,
            )
        head, brace, body = text.partition(" {\n")
        out.append(f"{head} effective {day}{brace}{body}")
    return "\n\n".join(out)


@st.composite
def agreements(
    draw: st.DrawFn,
    calendars: list[str],
    has_table: bool,
    rolling: bool = False,
    versions: bool = False,
) -> str:
    """1–4 slas and 0–3 masters; a master includes slas and earlier masters (depth ≤ 3).

    `rolling`: every agreement is judged over a rolling window (each its own length, one
    timezone for all), with none of the period-only statements (credits, pools,
    earnback, terminations)."""
    zone = draw(st.sampled_from((None, *ZONES))) if rolling else None
    blocks = []
    slas: list[str] = []
    n_slas = draw(st.integers(1, 4))
    for i in range(n_slas):
        name = f"s{i}"
        objectives: list[str] = []
        lines = []
        lower_bound: list[tuple[str, str]] = []
        for j in range(draw(st.integers(1, 3))):
            oname = f"o{j}"
            expr, lower = draw(objective_expr(calendars, list(objectives), list(slas)))
            extra = ""
            slices = expr.startswith("uptime(") and lower and draw(st.integers(0, 2)) == 0
            if slices:  # OpenSLO's Timeslices budgeting
                length = draw(st.sampled_from(SLICE_LENGTHS))
                threshold = draw(st.sampled_from(("50%", "90%", "95%", "99%", "100%")))
                op = ">=" if threshold == "100%" else draw(st.sampled_from((">=", ">")))
                extra += f" timeslices {length} good when {op} {threshold}"
            if expr.startswith("share(") and draw(st.integers(0, 3)) == 0:
                extra += f" min {draw(st.integers(1, 4))}"
            elif slices and draw(st.integers(0, 3)) == 0:
                extra += f" min {draw(st.integers(1, 40))}"
            elif not slices and expr.startswith("uptime(") and draw(st.integers(0, 3)) == 0:
                extra += f" min {draw(st.sampled_from(('1h', '1d', '8d', '40d')))}"
            if draw(st.integers(0, 4)) == 0:
                extra += f" warn at {draw(st.sampled_from(('50%', '90%', '100%', '10%')))}"
            if draw(st.integers(0, 3)) == 0:
                extra += f" weight {draw(st.sampled_from(('2', '3', '50%')))}"
            lines.append(f"    objective {oname} = {expr}{extra}")
            objectives.append(oname)
            if lower:
                lower_bound.append((oname, expr))
        for oname, expr in lower_bound if not rolling else ():
            if draw(st.integers(0, 2)) == 0:
                unit = (
                    "ratio"
                    if expr.split()[-1].endswith("%")
                    else ("duration" if expr.split()[-1][-1] in "smhdw" else "number")
                )
                tiers = draw(
                    st.lists(st.sampled_from(TIER_SETS[unit]), min_size=1, max_size=3, unique=True)
                )
                lines.append(f"    credit on {oname}: {', '.join(tiers)}")
        if not rolling and draw(st.integers(0, 2)) == 0:
            lines.append(f"    credit {draw(st.sampled_from(('5%', '10%', '2.5%')))} when breached")
        if not rolling and draw(st.integers(0, 4)) == 0:
            lines.append(f"    credit cap {draw(st.sampled_from(('10%', '20%')))}")
        if len(objectives) > 1 and draw(st.integers(0, 2)) == 0:
            lines.append(f"    met when {draw(met_when(objectives))}")
        if not rolling and draw(st.integers(0, 3)) == 0:
            lines.append(f"    earnback when met in {draw(st.integers(1, 2))} following periods")
        if rolling:
            own_period = []
            lines += _window_lines(draw, zone)
        else:
            lines += _terminations(draw, [name, *objectives])
            own_period = _period_lines(
                draw, (None, None, None, "daily", "weekly", "weekly", "monthly")
            )
        lines += own_period
        cov = coverage(has_table) if draw(st.integers(0, 4)) == 0 else st.just("")
        blocks.append(f"sla {name}{draw(cov)} {{\n" + "\n".join(lines) + "\n}")
        if versions and draw(st.integers(0, 1)):
            blocks[-1] = _versioned(draw, blocks[-1])
        if not own_period:
            # met(X) only names agreements that take the asker's period and zone: for one
            # with its own period docs/semantics.md is ambiguous (see test_differential).
            slas.append(name)
    slas = [f"s{i}" for i in range(n_slas)]
    masters: list[str] = []
    n_masters = draw(st.integers(0, 3))
    for i in range(n_masters):
        name = f"m{i}"
        pool = slas + masters
        children = draw(
            st.lists(st.sampled_from(pool), min_size=1, max_size=min(3, len(pool)), unique=True)
        )
        weights = []
        for child in children:
            w = draw(
                st.sampled_from(
                    ("", "", f" weight {draw(st.sampled_from(PERCENT_WEIGHTS))}", " weight 2")
                )
            )
            weights.append(f"{child}{w}")
        lines = [f"    include {', '.join(weights)}"]
        if draw(st.integers(0, 2)) == 0:
            lines.append(f"    met when {draw(met_when(children))}")
        if rolling:
            lines += _window_lines(draw, zone)
            cov = coverage(has_table) if draw(st.integers(0, 3)) == 0 else st.just("")
            blocks.append(f"master {name}{draw(cov)} {{\n" + "\n".join(lines) + "\n}")
            masters.append(name)
            continue
        if draw(st.integers(0, 2)) == 0:
            lines.append(f"    at_risk {draw(st.sampled_from(('10%', '12%', '20%')))}")
            allocs = [
                f"{c} {draw(st.sampled_from(('40%', '80%', '50%', '100%')))}"
                for c in children
                if draw(st.integers(0, 3))
            ]
            if allocs:
                lines.append(f"    allocate {', '.join(allocs)}")
        elif draw(st.integers(0, 3)) == 0:  # a flat credit on a pool master is an error
            lines.append(f"    credit {draw(st.sampled_from(('5%', '7%')))} when breached")
        if draw(st.integers(0, 3)) == 0:
            lines.append(f"    credit cap {draw(st.sampled_from(('10%', '30%')))}")
        if draw(st.integers(0, 3)) == 0:
            lines.append(f"    earnback when met in {draw(st.integers(1, 2))} following periods")
        lines += _terminations(draw, [name, *children])
        # A quarterly master may not be included by a monthly one: only the last may be.
        last = i == n_masters - 1
        kinds = (None, None, None, "monthly", *(("quarterly",) if last else ()))
        lines += _period_lines(draw, kinds)
        cov = coverage(has_table) if draw(st.integers(0, 3)) == 0 else st.just("")
        blocks.append(f"master {name}{draw(cov)} {{\n" + "\n".join(lines) + "\n}")
        if versions and draw(st.integers(0, 2)) == 0:
            blocks[-1] = _versioned(draw, blocks[-1])
        masters.append(name)
    return "\n\n".join(blocks)


# --------------------------------------------------------------------------- data


@st.composite
def instants(draw: st.DrawFn, start: dt.datetime, days: int) -> dt.datetime:
    """A whole-minute instant in the window, often near a DST change or a local midnight."""
    end = start + dt.timedelta(days=days)
    kind = draw(st.integers(0, 5))
    if kind == 0:
        near = [d for d in DST_CHANGES if start <= d < end]
        if near:
            base = draw(st.sampled_from(near))
            return base + dt.timedelta(minutes=draw(st.integers(-300, 300)))
    if kind == 1:  # around a month boundary in one of the zones
        month = draw(st.integers(0, days // 28))
        first = (start.replace(day=1) + dt.timedelta(days=32 * month + 31)).replace(day=1)
        hours = draw(st.sampled_from((0, 3, 4, -1, -2, -5, -6)))
        return first + dt.timedelta(hours=-hours, minutes=draw(st.integers(-90, 90)))
    return start + dt.timedelta(minutes=draw(st.integers(0, days * 1440 - 1)))


@st.composite
def boundaries(draw: st.DrawFn, start: dt.datetime, days: int) -> dt.datetime:
    """A local midnight in one of the zones inside (or just after) the data window: the
    first of a month, or any day (a daily or, on Mondays, a weekly boundary)."""
    zone = zoneinfo.ZoneInfo(draw(st.sampled_from(ZONES)))
    if draw(st.booleans()):
        k = draw(st.integers(1, days // 28 + 1))
        index = start.year * 12 + start.month - 1 + k
        day = dt.date(index // 12, index % 12 + 1, 1)
    else:
        day = start.date() + dt.timedelta(days=draw(st.integers(1, days)))
    return dt.datetime(day.year, day.month, day.day, tzinfo=zone)


LAGS = st.one_of(
    st.integers(0, 40),  # minutes
    st.integers(0, 600),
    st.integers(0, 4 * 1440),
)


@st.composite
def ticket_rows(
    draw: st.DrawFn,
    accounts: list[str],
    with_account: bool,
    start: dt.datetime,
    days: int,
    max_rows: int,
) -> list[dict]:
    rows = []
    for _ in range(draw(st.integers(1, max_rows))):
        created = draw(instants(start, days))
        first = None if draw(st.integers(0, 4)) == 0 else created + dt.timedelta(minutes=draw(LAGS))
        base = first or created
        solved = None if draw(st.integers(0, 3)) == 0 else base + dt.timedelta(minutes=draw(LAGS))
        row = {
            "channel": draw(st.sampled_from(("email", "chat", "web"))),
            "prio": draw(st.sampled_from((1.0, 2.0, 3.0, None))),
            "created": iso(created),
            "first_reply": iso(first) if first else None,
            "solved": iso(solved) if solved else None,
            "vip": draw(st.sampled_from((True, False, None))),
        }
        if with_account:
            row["account"] = draw(st.sampled_from(accounts))
        rows.append(row)
    return rows


@st.composite
def outage_rows(
    draw: st.DrawFn,
    accounts: list[str],
    with_account: bool,
    start: dt.datetime,
    days: int,
    max_rows: int,
) -> list[dict]:
    rows = []
    for _ in range(draw(st.integers(0, max_rows))):
        begin = draw(instants(start, days))
        end = (
            None
            if draw(st.integers(0, 9)) == 0
            else begin + dt.timedelta(minutes=draw(st.integers(1, 3 * 1440)))
        )
        row = {
            "service": draw(st.sampled_from(("api", "db", "web"))),
            "start": iso(begin),
            "end": iso(end) if end else None,
            "planned": draw(st.booleans()),
        }
        if with_account:
            row["account"] = draw(st.sampled_from(accounts))
        rows.append(row)
    return rows


TICKET_COLUMNS = (
    "channel: text",
    "prio: number?",
    "created: time",
    "first_reply: time?",
    "solved: time?",
    "vip: bool?",
)
OUTAGE_COLUMNS = ("service: text", "start: time", "end: time?", "planned: bool")


@st.composite
def cases(
    draw: st.DrawFn, max_rows: int = 25, rolling: bool = False, versions: bool = False
) -> Case:
    """A model (calendars, streams, agreements) with data for it; `rolling`: every
    agreement over a rolling window, stepped daily or every few hours."""
    n_accounts = draw(st.integers(1, 3))
    names = list(ACCOUNT_NAMES[:n_accounts])
    has_table = draw(st.booleans())
    streams = {}
    with_account = {}
    for stream, cols in (
        ("tickets", TICKET_COLUMNS),
        ("outages", OUTAGE_COLUMNS),
        ("links", OUTAGE_COLUMNS),
    ):
        with_account[stream] = draw(st.integers(0, 3)) > 0
        columns = (("account: text",) if with_account[stream] else ()) + cols
        streams[stream] = columns
    calendars = [f"c{i}" for i in range(draw(st.integers(0, 2)))]
    parts = [draw(calendar_decl(c)) for c in calendars]
    for stream, columns in streams.items():
        parts.append(f"stream {stream} {{ {', '.join(columns)} }}")
    accounts = None
    if has_table:
        parts.append("accounts { account: text, tier: text, fee: number? }")
        order = draw(st.permutations(names))
        accounts = [
            {
                "account": a,
                "tier": draw(st.sampled_from(TIERS)),
                "fee": draw(st.sampled_from((100.0, 250.0, 1000.0, None))),
            }
            for a in order
        ]
    parts.append(draw(agreements(calendars, has_table, rolling, versions)))
    text = "\n\n".join(parts) + "\n"

    start = draw(st.sampled_from(WINDOW_STARTS)) + dt.timedelta(days=draw(st.integers(0, 20)))
    days = draw(st.sampled_from((10, 30, 45, 70, 120)))
    records = {
        "tickets": draw(ticket_rows(names, with_account["tickets"], start, days, max_rows)),
        "outages": draw(outage_rows(names, with_account["outages"], start, days, max_rows)),
        "links": draw(outage_rows(names, with_account["links"], start, days, max_rows // 2)),
    }
    as_of = None
    choice = draw(st.integers(0, 7))
    if choice in (0, 1):  # inside a period
        t = start + dt.timedelta(
            days=days * draw(st.sampled_from((0.5, 0.8, 1.0, 1.2))),
            minutes=draw(st.integers(0, 1439)),
        )
        as_of = iso(t)
    elif choice == 2:  # on a boundary: a local midnight, often a month's first
        as_of = iso(draw(boundaries(start, days)))
    elif choice == 3 and records["tickets"]:  # at a record's placing time
        as_of = draw(st.sampled_from([r["created"] for r in records["tickets"]]))
    columns = {s: tuple(c.split(":")[0] for c in cols) for s, cols in streams.items()}
    columns["accounts"] = ("account", "tier", "fee")
    every = draw(st.sampled_from((None, None, 6 * 3600, 86400, 11 * 3600))) if rolling else None
    return Case(text, records, accounts, as_of, columns=columns, every=every)
