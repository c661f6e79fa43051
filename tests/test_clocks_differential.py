"""Clocks (SPEC §6.2) against the scalar reference: random clocks over random status
histories — pauses across nights, weekends and DST changes, reopened tickets, equal
timestamps, cycles still open at as-of — evaluated by the engine and by
`tests.reference.clock_records`, row for row."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import slagraph
from tests.model_strategies import Case, iso
from tests.reference import _Evaluation, clock_records, reference_rows
from tests.test_differential import diff

STATUSES = ("New", "In Progress", "Pending", "Resolved", "Closed", "Reopened")
SUBS = (None, "Wait - Customer", "Awaiting User Info", "Vendor")
ZONES = ("America/Santiago", "Europe/Madrid", "UTC")
# Windows that hold DST changes: Santiago (April, September), Madrid (March, October).
STARTS = (
    dt.datetime(2026, 3, 27, tzinfo=dt.UTC),
    dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
    dt.datetime(2026, 9, 3, tzinfo=dt.UTC),
    dt.datetime(2026, 10, 22, tzinfo=dt.UTC),
    dt.datetime(2026, 12, 28, tzinfo=dt.UTC),  # new year: holidays, year end
)

START_RULES = ('status == "New"', 'status in ("New", "Reopened")', 'status != "Closed"')
PAUSE_RULES = (
    None,
    'sub_status in ("Wait - Customer", "Awaiting User Info")',
    "sub_status is not null",
    'status == "Pending"',
)
STOP_RULES = (None, 'status in ("Resolved", "Closed")', 'status == "Closed"')
RESET_RULES = (None, 'status == "Reopened"', 'status == "New"')
CALENDARS = (
    None,
    'hours mon-fri 09:00-18:00 holidays country "CL"',
    "hours mon-fri 08:00-12:00 13:30-18:00",
    "hours mon-sat 00:00-24:00",
)


@st.composite
def clock_cases(draw: st.DrawFn, max_items: int = 5, max_events: int = 7) -> Case:
    zone = draw(st.sampled_from(ZONES))
    hours = draw(st.sampled_from(CALENDARS))
    # Half the time the account is a nullable group (`account from grp`), as in exports.
    grouped = draw(st.booleans())
    keys = "ticket" if grouped else draw(st.sampled_from(("ticket", "ticket, account")))
    rules = {
        "start": draw(st.sampled_from(START_RULES)),
        "pause": draw(st.sampled_from(PAUSE_RULES)),
        "stop": draw(st.sampled_from(STOP_RULES)),
        "reset": draw(st.sampled_from(RESET_RULES)),
    }
    body = "\n".join(f"    {name} when {rule}" for name, rule in rules.items() if rule)
    if hours is not None:
        body += "\n    during hab"
    limit = draw(st.sampled_from(("30m", "4h", "9h", "1d", "1bd", "2bd")))
    if limit.endswith("bd") and hours is None:
        limit = "8h"
    period = draw(st.sampled_from(("daily", "weekly", "monthly")))
    objectives = [
        f'share(res where priority == "P1", elapsed <= {limit}) >= 90%',
        f"share(res, paused < {draw(st.sampled_from(('10m', '2h', '1d')))}) >= 50%",
        "share(res, cycle == 1) >= 95%",
        "count(res where stopped is null) <= 2",
        f"{draw(st.sampled_from(('mean', 'max', 'min', 'sum')))}(res, elapsed) <= 6h",
        "p90(res, paused) <= 1h",
        'count(res where paused > 30m and priority != "P3") >= 1',
    ]
    if hours is not None:
        objectives.append("p50(res, elapsed) <= 1bd")
    chosen = draw(st.lists(st.sampled_from(objectives), min_size=1, max_size=4, unique=True))
    lines = "\n".join(f"    objective o{i} = {o}" for i, o in enumerate(chosen))
    calendar = f'calendar hab {{ timezone "{zone}" {hours} }}\n' if hours else ""
    text = (
        calendar
        + (
            "stream changes { grp: text?, ticket: text, at: time, status: text, "
            "sub_status: text?, priority: text } account from grp\n"
            if grouped
            else "stream changes { account: text, ticket: text, at: time, status: text, "
            "sub_status: text?, priority: text }\n"
        )
        + f"clock res on changes per {keys} by at {{\n{body}\n}}\n"
        + f'sla desk {{\n    period {period} timezone "{zone}"\n{lines}\n}}\n'
    )

    origin = draw(st.sampled_from(STARTS))
    rows: list[dict] = []
    n_items = draw(st.integers(1, max_items))
    for item in range(n_items):
        t = origin + dt.timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))
        account = draw(st.sampled_from(("acme", "beta")))
        priority = draw(st.sampled_from(("P1", "P2", "P3")))
        choices = (account, account, "beta", None) if grouped else (account, account, "beta")
        for _ in range(draw(st.integers(1, max_events))):
            # Gaps from 0 (equal timestamps) to four days (across a weekend).
            gap = draw(st.sampled_from((0, 0, 7, 45, 180, 600, 1440, 4 * 1440)))
            t += dt.timedelta(minutes=gap, seconds=draw(st.sampled_from((0, 0, 17))))
            rows.append(
                {
                    "account": draw(st.sampled_from(choices)),
                    "ticket": f"T{item}",
                    "at": iso(t),
                    "status": draw(st.sampled_from(STATUSES)),
                    "sub_status": draw(st.sampled_from(SUBS)),
                    "priority": priority,
                }
            )
    shuffled = draw(st.permutations(rows)) if draw(st.booleans()) else rows
    as_of = None
    if draw(st.booleans()):
        latest = max(dt.datetime.fromisoformat(r["at"]) for r in rows)
        back = dt.timedelta(minutes=draw(st.integers(0, 5 * 24 * 60)))
        as_of = iso(max(origin, latest - back))
    if grouped:  # the engine reads the group; the reference, that group as the account
        engine_rows = [{"grp": r["account"], **r} for r in shuffled]
        names = ("grp", "ticket", "at", "status", "sub_status", "priority")
        return Case(text, {"changes": engine_rows}, None, as_of, columns={"changes": names})
    columns = ("account", "ticket", "at", "status", "sub_status", "priority")
    return Case(text, {"changes": list(shuffled)}, None, as_of, columns={"changes": columns})


def check(case: Case) -> None:
    model = slagraph.compile(case.text)
    with warnings.catch_warnings():  # cycles naming no group are warned about: expected
        warnings.simplefilter("ignore", slagraph.SlaWarning)
        engine = model.evaluate(case.engine_data(), as_of=case.as_of).rows()
    reference = reference_rows(model.ir, case.records, case.accounts, case.as_of)
    cycles = clock_records(
        _Evaluation(model.ir, case.records, case.accounts, case.as_of), model.ir.clocks["res"]
    )
    event(f"cycles: {min(len(cycles), 5)}")
    event(f"open cycles: {min(sum(c['stopped'] is None for c in cycles), 2)}")
    event(f"reopened: {any(c['cycle'] > 1 for c in cycles)}")
    event(f"paused time: {any(c['_so_far']['paused'] > 0 for c in cycles)}")
    event(f"verdicts: {sorted({r['status'] for r in engine if r['kind'] == 'objective'})}")
    problems = diff(engine, reference)
    assert not problems, "\n".join([case.text, str(case.as_of), *problems[:12]])


@settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(clock_cases())
def test_clocks_match_reference(case: Case) -> None:
    check(case)


@pytest.mark.slow
@settings(
    max_examples=5000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(clock_cases(max_items=12, max_events=12))
def test_clocks_match_reference_slow(case: Case) -> None:
    check(case)
