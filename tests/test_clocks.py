"""Clocks (SPEC §6.2): the hand-computed cases of tests/golden/clock_*.sla, the SPEC
block, and the compile errors of a clock declaration."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from pathlib import Path

import pytest

import slagraph
from tests.spec_source import SPEC
from tests.test_golden import approx, pick, run, z

SANTIAGO = zoneinfo.ZoneInfo("America/Santiago")


def cl(text: str) -> str:
    """Santiago wall-clock time → UTC ISO (zoneinfo's offset, not the engine's)."""
    local = dt.datetime.fromisoformat(text).replace(tzinfo=SANTIAGO)
    return local.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def changes(rows: list[tuple], columns: tuple[str, ...]) -> dict[str, list]:
    return {c: [r[i] for r in rows] for i, c in enumerate(columns)}


# ------------------------------------------------------------------ business time, pauses

PAUSES = [
    ("a", "T1", cl("2026-01-09 16:00"), "New", None, "P1"),
    ("a", "T1", cl("2026-01-09 17:00"), "New", "Wait - Customer", "P1"),
    ("a", "T1", cl("2026-01-12 10:00"), "In Progress", None, "P1"),
    ("a", "T1", cl("2026-01-12 12:00"), "Resolved", None, "P1"),
    ("a", "T2", cl("2026-01-12 09:00"), "New", None, "P1"),
    ("a", "T2", cl("2026-01-12 14:00"), "Resolved", None, "P1"),
    ("a", "T2", cl("2026-01-13 10:00"), "Reopened", None, "P1"),
    ("a", "T2", cl("2026-01-13 11:30"), "Closed", None, "P1"),
    ("a", "T3", cl("2026-01-13 17:00"), "New", None, "P2"),
]
PAUSE_COLUMNS = ("account", "ticket", "at", "status", "sub_status", "priority")


def test_clock_pauses_over_a_weekend_in_business_time() -> None:
    rows = run(
        "clock_business_pauses",
        {"changes": changes(PAUSES, PAUSE_COLUMNS)},
        cl("2026-01-14 10:00"),
    )
    p1 = pick(rows, "desk.p1_fix", "2026-01")
    assert p1["value"] == approx(2 / 3)
    assert p1["status"] == "breached"
    assert pick(rows, "desk.first", "2026-01")["value"] == 0.75
    assert pick(rows, "desk.wait", "2026-01")["value"] == 2400
    assert pick(rows, "desk.wait", "2026-01")["status"] == "met"
    assert pick(rows, "desk.longest", "2026-01")["value"] == 18_000
    assert pick(rows, "desk.open", "2026-01")["value"] == 1
    late = pick(rows, "desk.p2_late", "2026-01")
    assert (late["value"], late["status"]) == (0.0, "breached")
    pending = pick(rows, "desk.p2_wait", "2026-01")
    assert (pending["value"], pending["status"]) == (None, "no_data")
    assert pick(rows, "desk.held", "2026-01")["value"] == 1


def test_clock_input_order_does_not_matter() -> None:
    shuffled = [PAUSES[i] for i in (8, 3, 0, 6, 1, 5, 2, 7, 4)]
    a = run("clock_business_pauses", {"changes": changes(PAUSES, PAUSE_COLUMNS)}, None)
    b = run("clock_business_pauses", {"changes": changes(shuffled, PAUSE_COLUMNS)}, None)
    assert a == b


# ------------------------------------------------------------------ event rules

EVENTS = [  # shuffled, but rows with equal times in the order the case needs
    ("a", "A", z("2026-01-05 13:00"), "Reopened", None),
    ("a", "B", z("2026-01-05 11:00"), "Resolved", None),
    ("a", "A", z("2026-01-05 11:30"), "In Progress", None),
    ("a", "A", z("2026-01-05 16:00"), "Reopened", None),
    ("a", "A", z("2026-01-05 12:00"), "Reopened", None),
    ("a", "A", z("2026-01-05 10:05"), "Resolved", None),
    ("a", "B", z("2026-01-05 11:00"), "New", None),
    ("a", "A", z("2026-01-05 12:00"), "Resolved", None),
    ("a", "A", z("2026-01-05 14:00"), "Closed", None),
    ("a", "A", z("2026-01-05 11:00"), "New", "Wait"),
    ("a", "B", z("2026-01-05 11:20"), "Closed", None),
    ("a", "A", z("2026-01-05 10:00"), "Pending", None),
]
EVENT_COLUMNS = ("account", "ticket", "at", "status", "sub_status")


def test_clock_event_rules() -> None:
    rows = run("clock_events", {"changes": changes(EVENTS, EVENT_COLUMNS)}, z("2026-01-05 15:00"))
    assert pick(rows, "desk.cycles", "2026-01")["value"] == 4
    assert pick(rows, "desk.running", "2026-01")["value"] == 6600
    assert pick(rows, "desk.waiting", "2026-01")["value"] == 1800
    assert pick(rows, "desk.most", "2026-01")["value"] == 3
    assert pick(rows, "desk.instant", "2026-01")["value"] == 0.25


def test_equal_timestamps_follow_the_file_order() -> None:
    """B's `New` after its `Resolved` at 11:00 starts a 20-minute cycle; swapped, the
    `Resolved` stops it at once and `Closed` finds nothing running."""
    swapped = list(EVENTS)
    swapped[1], swapped[6] = swapped[6], swapped[1]
    rows = run("clock_events", {"changes": changes(swapped, EVENT_COLUMNS)}, z("2026-01-05 15:00"))
    assert pick(rows, "desk.cycles", "2026-01")["value"] == 4
    assert pick(rows, "desk.running", "2026-01")["value"] == 5400  # 30 m + 0 + 60 m + 0


# ------------------------------------------------------------------ business days

DAYS = [
    ("a", "H1", cl("2026-04-02 15:00"), "New"),
    ("a", "H1", cl("2026-04-06 14:00"), "Resolved"),
    ("a", "H2", cl("2026-04-02 15:00"), "New"),
    ("a", "H2", cl("2026-04-06 15:30"), "Resolved"),
    ("a", "F1", cl("2026-01-09 20:00"), "New"),
    ("a", "F1", cl("2026-01-14 08:30"), "Resolved"),
    ("a", "F2", cl("2026-01-12 09:00"), "New"),
]
TICKETS = {"account": ["a"], "opened": [cl("2026-04-02 15:00")], "solved": [cl("2026-04-06 14:00")]}


def test_business_days_from_the_next_opening_across_holidays() -> None:
    data = {"changes": changes(DAYS, ("account", "ticket", "at", "status")), "tickets": TICKETS}
    rows = run("clock_business_days", data, cl("2026-04-30 12:00"))
    assert pick(rows, "desk.fix_1bd", "2026-04")["value"] == 0.5
    assert pick(rows, "desk.fix_2bd", "2026-01")["value"] == 0.5  # F2 failed: 19 h > 18 h
    assert pick(rows, "desk.p90", "2026-01")["target"] == 64_800
    assert pick(rows, "desk.tickets", "2026-04")["value"] == 1.0


def test_business_days_open_cycle_pending_until_its_deadline() -> None:
    data = {"changes": changes(DAYS, ("account", "ticket", "at", "status")), "tickets": TICKETS}
    early = run("clock_business_days", data, cl("2026-01-14 08:00"))
    pending = pick(early, "desk.fix_2bd", "2026-01")  # F1 and F2 open, each at 18 h
    assert (pending["value"], pending["status"]) == (None, "no_data")
    late = run("clock_business_days", data, cl("2026-01-14 10:00"))
    assert pick(late, "desk.fix_2bd", "2026-01")["value"] == 0.5


# ------------------------------------------------------------------ SPEC §6.2


def spec_block(heading: str) -> str:
    text = SPEC.read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    return re.search(r"~~~sla\n(.*?)~~~", section, re.S).group(1)  # type: ignore[union-attr]


def test_spec_clock_example_compiles_and_evaluates() -> None:
    model = slagraph.compile(spec_block("### 6.2 Clocks"))
    data = {"changes": changes(PAUSES, PAUSE_COLUMNS)}
    rows = model.evaluate(data, as_of=cl("2026-01-14 10:00")).rows()
    # The SPEC's desk is monthly in UTC; every cycle starts in January there too.
    assert pick(rows, "desk.p1_fix", "2026-01")["value"] == approx(2 / 3)
    assert pick(rows, "desk.reopen", "2026-01")["value"] == 0.75
    p90 = pick(rows, "desk.p90", "2026-01")
    assert p90["target"] == 64_800
    # p90 of the stopped cycles' elapsed (1.5 h, 3 h, 5 h): rank ceil(0.9 x 3) = 3 -> 5 h
    assert p90["value"] == 18_000


# ------------------------------------------------------------------ compile errors

BASE = "stream s { account: text, ticket: text, t: time, n: number?, status: text, k: text? }\n"


@pytest.mark.parametrize(
    ("clock", "message"),
    [
        ('clock c on nope per ticket by t { start when status == "a" }', "unknown stream 'nope'"),
        ('clock c on s per k by t { start when status == "a" }', "the clock's key 'k' is nullable"),
        (
            'clock c on s per ticket by status { start when status == "a" }',
            "orders events by a time",
        ),
        ('clock c on s per ticket by t { stop when status == "a" }', "never starts"),
        ('clock c on s per tiket by t { start when status == "a" }', "has no column 'tiket'"),
        ('clock c on s per ticket by t { start when stat == "a" }', "stat"),
        (
            'clock c on s per ticket by t { start when status == "a" during nope }',
            "unknown calendar 'nope'",
        ),
        ('clock s on s per ticket by t { start when status == "a" }', "s"),
    ],
)
def test_clock_compile_errors(clock: str, message: str) -> None:
    with pytest.raises(slagraph.SlaCompileError) as error:
        slagraph.compile(BASE + clock + "\nsla x { objective n = count(s) >= 0 }\n")
    assert message in str(error.value)
    assert re.search(r":\d+:\d+", str(error.value)) or "line" in str(error.value)


def test_business_days_need_a_calendar() -> None:
    text = BASE + "sla x { objective f = share(s, t - t <= 2bd) >= 90% }\n"
    with pytest.raises(slagraph.SlaCompileError) as error:
        slagraph.compile(text)
    assert "2bd counts open days of a calendar" in str(error.value)


# ------------------------------------------------------------------ whatif, CLI


def test_whatif_keeps_each_scenario_s_tickets_apart() -> None:
    """Base and changed data run as one stacked evaluation; ticket T1 of each scenario is
    its own item. Dropping the P2 rows leaves the three P1 cycles: first = 2/3."""
    path = Path(__file__).parent / "golden" / "clock_business_pauses.sla"
    model = slagraph.load(path)
    data = {"changes": changes(PAUSES, PAUSE_COLUMNS)}
    w = model.whatif(data, ['drop changes where priority == "P2"'], as_of=cl("2026-01-14 10:00"))
    got = {r["node"]: (r["base_value"], r["whatif_value"]) for r in w.rows(all=True)}
    assert got["desk.first"] == (0.75, approx(2 / 3))
    assert got["desk.p1_fix"] == (approx(2 / 3), approx(2 / 3))
    assert got["desk.open"] == (1, 0)


def test_a_change_naming_a_clock_says_to_change_its_stream() -> None:
    model = slagraph.load(Path(__file__).parent / "golden" / "clock_business_pauses.sla")
    with pytest.raises(slagraph.SlaCompileError) as error:
        model.whatif({"changes": changes(PAUSES, PAUSE_COLUMNS)}, ["drop resolution"])
    assert "'resolution' is a clock" in str(error.value)
    assert "stream 'changes'" in str(error.value)


def test_every_command_runs_on_a_clock(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from slagraph.cli import main

    folder = tmp_path / "data"
    folder.mkdir()
    header = ",".join(PAUSE_COLUMNS)
    lines = [",".join("" if v is None else v for v in row) for row in PAUSES]
    (folder / "changes.csv").write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    model = str(Path(__file__).parent / "golden" / "clock_business_pauses.sla")
    as_of = f"--as-of={cl('2026-01-14 10:00')}"
    data = f"--data={folder}"
    commands = [
        ["check", model],
        ["graph", model, "--format", "mermaid"],
        ["graph", model, "--format", "dot"],
        ["eval", model, data, as_of, "--format", "jsonl"],
        ["explain", model, "desk.p1_fix", data, as_of, "--account", "a", "--period", "2026-01"],
        ["whatif", model, data, as_of, "--change", 'drop changes where priority == "P2"'],
        ["simulate", model, data, as_of, "--runs", "20"],
        ["report", model, data, as_of, "-o", str(tmp_path / "r.html")],
    ]
    for args in commands:
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, (args, result.output)
        assert "Traceback" not in result.output
    graph = CliRunner().invoke(main, ["graph", model, "--format", "mermaid"]).output
    assert 'clock_resolution[/"clock resolution"/]' in graph
    explain = CliRunner().invoke(main, commands[4]).output
    assert "elapsed=5h" in explain  # T2's first cycle, the failing one


def test_a_ticket_s_life_on_a_24x7_calendar() -> None:
    data = {
        "changes": {
            "account": ["a"] * 4,
            "ticket": ["Z"] * 4,
            "at": [
                z("2026-01-05 10:00"),
                z("2026-01-05 10:30"),
                z("2026-01-05 11:00"),
                z("2026-01-05 11:30"),
            ],
            "status": ["New", "Open", "Pending", "Closed"],
        }
    }
    rows = run("clock_24x7", data, z("2026-01-05 12:00"))
    running = pick(rows, "desk.running", "2026-01")["value"]
    waiting = pick(rows, "desk.waiting", "2026-01")["value"]
    assert (running, waiting, running + waiting) == (3600, 1800, 5400)
    assert pick(rows, "desk.within", "2026-01")["value"] == 1.0
    assert pick(rows, "desk.strict", "2026-01")["value"] == 0.0


# ------------------------------------------------------------------ accounts of cycles

GROUPS = """
stream updates { number: text, state: text, group: text?, at: time } account from group
clock fix on updates per number by at {
    start when state == "New"
    stop  when state == "Closed"
}
sla desk { objective n = count(fix) >= 0 }
"""


def test_a_cycle_belongs_to_the_last_group_named_and_unnamed_ones_are_reported() -> None:
    """Rows of a stream read only through a clock may name no group: I1 is unassigned
    when new, handled by g1 then g2, and its closing update names none: it counts for g2.
    I2 never names a group: a warning says so and it counts for no account."""
    data = {
        "updates": {
            "number": ["I1", "I1", "I1", "I1", "I2", "I2"],
            "state": ["New", "Active", "Active", "Closed", "New", "Closed"],
            "group": [None, "g1", "g2", None, None, None],
            "at": [z("2026-01-05 10:00"), z("2026-01-05 11:00"), z("2026-01-05 12:00")]
            + [z("2026-01-05 13:00"), z("2026-01-05 10:00"), z("2026-01-05 11:00")],
        }
    }
    model = slagraph.compile(GROUPS)
    with pytest.warns(slagraph.SlaWarning, match=r"clock 'fix': 1 cycle of stream 'updates' name"):
        rows = model.evaluate(data).rows()
    counts = {(r["account"], r["node"]): r["value"] for r in rows if r["node"] == "desk.n"}
    assert counts == {("g1", "desk.n"): 0, ("g2", "desk.n"): 1}


def test_a_row_without_a_group_is_a_bad_row_when_the_stream_is_read_directly() -> None:
    text = GROUPS.replace("count(fix)", "count(updates)")
    data = {
        "updates": {
            "number": ["I1"],
            "state": ["New"],
            "group": [None],
            "at": [z("2026-01-05 10:00")],
        }
    }
    with pytest.raises(slagraph.SlaDataError, match="no account"):
        slagraph.compile(text).evaluate(data)


def test_clock_order_is_lexsorts() -> None:
    """The packed sort of `clocks._order` gives `np.lexsort`'s permutation: one or two
    integer keys, times in order or not, many ties (kept in input order)."""
    import numpy as np

    from slagraph.engine.clock_order import order as _order

    rng = np.random.default_rng(7)
    for n in (0, 1, 2, 50, 5000):
        k1 = rng.integers(-1, 30, n).astype(np.int32)
        k2 = rng.integers(0, 3, n).astype(np.int32)
        t = rng.integers(0, 20, n).astype(np.int64)
        for times in (t, np.sort(t)):
            for keys in ([k1], [k1, k2], [k2.astype(np.float64)]):
                expected = np.lexsort((times, *reversed(keys)))
                assert expected.tolist() == _order(keys, times).tolist()


def test_a_stream_column_called_state_is_not_shadowed_by_the_clock_s_own() -> None:
    """ServiceNow's `incident_state` read as `state`: `where state == "Active"` filters on
    the incident's state at the cycle's last event, and `records` shows both that and
    the clock's own running/paused/stopped (as `fix.state`). The clock's state used to
    replace the stream's column silently."""
    text = GROUPS.replace("count(fix)", 'count(fix where state == "Active")')
    data = {
        "updates": {
            "number": ["I1", "I1", "I2", "I2"],
            "state": ["New", "Active", "New", "Closed"],
            "group": ["g1", "g1", "g1", "g1"],
            "at": [z("2026-01-05 10:00"), z("2026-01-05 11:00")]
            + [z("2026-01-05 10:00"), z("2026-01-05 11:00")],
        }
    }
    result = slagraph.compile(text).evaluate(data, as_of="2026-01-05T12:00:00Z")
    assert [1] == [r["value"] for r in result.rows() if r["node"] == "desk.n"]
    records = result.records("desk.n").to_pydict()
    assert ["Active", "Closed"] == records["state"]
    assert ["running", "stopped"] == records["fix.state"]
