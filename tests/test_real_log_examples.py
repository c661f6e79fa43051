"""The two real-log examples (examples/servicenow, examples/volvo) on their raw .gz files:
they evaluate, and their figures agree with a plain per-incident loop written here.

The loop reads the gzipped CSV with `csv` and `gzip`, walks each incident's events in
time order and applies the models' start/pause/stop rules by hand (SPEC §6.2), so it
shares no code with slagraph's readers or clock engine. Nothing is hard-coded: every
expected figure, the README's agreement with ServiceNow's `made_sla` included, is
computed by that loop.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import math
import re
import warnings
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import slagraph
from slagraph.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SN = EXAMPLES / "servicenow"
VOLVO = EXAMPLES / "volvo"
SN_AS_OF = "2017-03-01T00:00:00Z"
VOLVO_AS_OF = "2012-06-01T00:00:00+02:00"

AWAITING = {"Awaiting User Info", "Awaiting Vendor", "Awaiting Problem", "Awaiting Evidence"}
SN_RESOLUTION = {  # priority -> limit, seconds (the README's table)
    "1 - Critical": 4 * 3600,
    "2 - High": 8 * 3600,
    "3 - Moderate": 3 * 86400,
    "4 - Low": 5 * 86400,
}
SN_RESPONSE = {"1 - Critical": 15 * 60, "2 - High": 30 * 60, "3 - Moderate": 4 * 3600}
SN_RESPONSE["4 - Low"] = 8 * 3600
VOLVO_LIMITS = {"Major": 4 * 3600, "High": 8 * 3600, "Medium": 3 * 86400, "Low": 5 * 86400}


# ------------------------------------------------------------------ the independent loop


@dataclass
class Cycle:
    item: str
    number: int
    started: float
    last: dict[str, str]
    account: str | None
    stopped: float | None = None
    elapsed: float = 0.0
    paused: float = 0.0
    events: list[int] = field(default_factory=list)


def cycles(
    events: dict[str, list[tuple[float, int, dict[str, str]]]],
    start: Callable[[dict[str, str]], bool],
    pause: Callable[[dict[str, str]], bool],
    stop: Callable[[dict[str, str]], bool],
    account: Callable[[dict[str, str]], str | None],
    as_of: float,
) -> Iterator[Cycle]:
    """Each item's cycles, one event at a time: a start opens a cycle, a stop closes it
    (not on the row that opened it), and the time to the next event (or as-of) runs or
    is paused by the row's state. The account is the last one named in the cycle."""
    for item, rows in events.items():
        rows = sorted((r for r in rows if r[0] <= as_of), key=lambda r: (r[0], r[1]))
        current: Cycle | None = None
        count = 0
        for i, (t, _, row) in enumerate(rows):
            if current is None:
                if not start(row):
                    continue
                count += 1
                current = Cycle(item, count, t, row, None)
            elif stop(row):
                current.stopped, current.last = t, row
                current.account = account(row) or current.account
                yield current
                current = None
                continue
            current.last = row
            current.account = account(row) or current.account
            span = (rows[i + 1][0] if i + 1 < len(rows) else as_of) - t
            if pause(row):
                current.paused += span
            else:
                current.elapsed += span
        if current is not None:
            yield current


def read(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@cache
def servicenow_log() -> list[dict[str, str]]:
    return read(SN / "data" / "incident_event_log.csv.gz")


def naive_utc(text: str) -> float:
    return dt.datetime.strptime(text, "%d/%m/%Y %H:%M").replace(tzinfo=dt.UTC).timestamp()


def by_item(rows: list[dict[str, str]], key: str, time: Callable[[dict[str, str]], float]) -> Any:
    events: dict[str, list[tuple[float, int, dict[str, str]]]] = defaultdict(list)
    for i, row in enumerate(rows):
        events[row[key]].append((time(row), i, row))
    return events


def iso(text: str) -> float:
    return dt.datetime.fromisoformat(text).timestamp()


def month(t: float, zone: dt.tzinfo) -> str:
    return dt.datetime.fromtimestamp(t, zone).strftime("%Y-%m")


@cache
def servicenow_cycles() -> tuple[list[Cycle], list[Cycle]]:
    """(resolution, response) cycles of the ServiceNow log, by hand."""
    events = by_item(servicenow_log(), "number", lambda r: naive_utc(r["sys_updated_at"]))
    as_of = iso(SN_AS_OF)
    group = lambda r: None if r["assignment_group"] == "?" else r["assignment_group"]  # noqa: E731
    state = lambda names: lambda r: r["incident_state"] in names  # noqa: E731
    resolution = cycles(
        events,
        state({"New", "Active"} | AWAITING),
        state(AWAITING),
        state({"Resolved", "Closed"}),
        group,
        as_of,
    )
    response = cycles(
        events,
        state({"New"}),
        lambda r: False,
        lambda r: r["incident_state"] != "New",
        group,
        as_of,
    )
    named = lambda cs: [c for c in cs if c.account is not None]  # noqa: E731
    return named(resolution), named(response)


@cache
def volvo_cycles() -> list[Cycle]:
    events = by_item(
        read(VOLVO / "data" / "VINST-new.csv.gz"), "SR Number", lambda r: iso(r["Change Date+Time"])
    )
    return list(
        cycles(
            events,
            lambda r: r["Status"] in ("Queued", "Accepted"),
            lambda r: r["Sub Status"] in ("Wait - Customer", "Wait - User"),
            lambda r: r["Status"] == "Completed",
            lambda r: r["Involved Org line 3"],
            iso(VOLVO_AS_OF),
        )
    )


def verdict(c: Cycle, limit: float) -> str:
    """§3.1's open-record rule: an open cycle is failed once over its limit."""
    if c.stopped is not None:
        return "ok" if c.elapsed <= limit else "failed"
    return "failed" if c.elapsed > limit else "pending"


def share(cs: list[Cycle], limits: dict[str, float], column: str, key: str) -> float | None:
    got = [verdict(c, limits[key]) for c in cs if c.last[column] == key]
    decided = [v for v in got if v != "pending"]
    return decided.count("ok") / len(decided) if decided else None


def mean_elapsed(cs: list[Cycle]) -> float | None:
    done = [c.elapsed for c in cs if c.stopped is not None]
    return sum(done) / len(done) if done else None


def first_time(cs: list[Cycle]) -> float | None:
    return sum(c.number == 1 for c in cs) / len(cs) if cs else None


def grouped(cs: list[Cycle], zone: dt.tzinfo) -> dict[tuple[str, str], list[Cycle]]:
    out: dict[tuple[str, str], list[Cycle]] = defaultdict(list)
    for c in cs:
        out[(str(c.account), month(c.started, zone))].append(c)
    return out


# ------------------------------------------------------------------ slagraph's side


@cache
def evaluated(example: str, as_of: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", slagraph.SlaWarning)  # cycles naming no group
        return slagraph.load(EXAMPLES / example / "model.sla").evaluate(
            EXAMPLES / example / "data", as_of=as_of
        )


def values(result: Any) -> dict[tuple[str, str, str], Any]:
    return {(r["account"], r["period"], r["node"]): r["value"] for r in result.rows()}


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


# ------------------------------------------------------------------ the tests


@pytest.mark.parametrize(
    ("example", "as_of"), [("servicenow", SN_AS_OF), ("volvo", VOLVO_AS_OF)], ids=["sn", "volvo"]
)
def test_eval_on_the_raw_gz_exits_0(example: str, as_of: str) -> None:
    folder = EXAMPLES / example
    assert sorted(p.suffix for p in (folder / "data").iterdir()) == [".gz"]
    args = ["eval", str(folder / "model.sla"), "--data", str(folder / "data"), "--as-of", as_of]
    result = CliRunner().invoke(main, [*args, "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n") > 100


def test_servicenow_figures_match_the_loop() -> None:
    """Every (group, month) of every share, mean and first-time-fix objective."""
    resolution, response = servicenow_cycles()
    got = values(evaluated("servicenow", SN_AS_OF))
    res, resp = grouped(resolution, dt.UTC), grouped(response, dt.UTC)
    checked = 0
    for (account, period, node), value in got.items():
        name = node.removeprefix("desk.")
        mine = res.get((account, period), [])
        if name.endswith("_resolution") or name.endswith("_response"):
            limits = SN_RESOLUTION if name.endswith("_resolution") else SN_RESPONSE
            cs = mine if name.endswith("_resolution") else resp.get((account, period), [])
            key = next(p for p in limits if p.startswith(name[1] + " - "))
            want = share(cs, limits, "priority", key)
        elif name == "p3_mttr":
            want = mean_elapsed([c for c in mine if c.last["priority"] == "3 - Moderate"])
        elif name == "first_time_fix":
            want = first_time(mine)
        else:
            continue
        assert close(value, want), (account, period, node, value, want)
        checked += 1
    assert checked > 1000
    # the period grid covers every (group, month) the loop places a cycle in
    assert set(res) <= {(a, p) for a, p, _ in got}


def test_servicenow_busiest_group_month() -> None:
    """One (group, month) spelled out: the one with most resolution cycles."""
    resolution, _ = servicenow_cycles()
    groups = grouped(resolution, dt.UTC)
    (account, period), cs = max(groups.items(), key=lambda kv: len(kv[1]))
    rows = {r["node"]: r for r in evaluated("servicenow", SN_AS_OF).rows()
            if (r["account"], r["period"]) == (account, period)}  # fmt: skip
    for key in SN_RESOLUTION:
        node = f"desk.p{key[0]}_resolution"
        assert close(rows[node]["value"], share(cs, SN_RESOLUTION, "priority", key)), node
    records = evaluated("servicenow", SN_AS_OF).records(
        "desk.p3_resolution", account=account, period=period
    )
    counted = [v for v in records.column("verdict").to_pylist() if v != "not counted"]
    assert len(counted) == sum(c.last["priority"] == "3 - Moderate" for c in cs)
    moderate = [c for c in cs if c.last["priority"] == "3 - Moderate"]
    assert close(rows["desk.p3_mttr"]["value"], mean_elapsed(moderate))


def sn_agreement() -> tuple[int, int, float]:
    """(incidents compared, agreeing, %) of the loop's per-incident resolution verdict
    (failed if any of its cycles failed) with `made_sla` on the incident's last update."""
    resolution, _ = servicenow_cycles()
    failed: dict[str, bool] = {}
    for c in resolution:
        v = verdict(c, SN_RESOLUTION[c.last["priority"]])
        if v == "pending":  # open and still within its limit: no verdict to compare
            continue
        failed[c.item] = failed.get(c.item, False) or v == "failed"
    made: dict[str, bool] = {}
    log = servicenow_log()
    order = sorted(range(len(log)), key=lambda i: naive_utc(log[i]["sys_updated_at"]))
    for i in order:
        made[log[i]["number"]] = log[i]["made_sla"] == "true"
    same = sum((not f) == made[n] for n, f in failed.items())
    return len(failed), same, 100 * same / len(failed)


def test_servicenow_agreement_with_made_sla_as_the_readme_says() -> None:
    """The README's measured paragraph: its counts and percentage are the loop's, and
    slagraph's per-incident verdicts (from records) are the loop's too."""
    n, same, pct = sn_agreement()
    readme = (SN / "README.md").read_text("utf-8")
    assert f"{n:,} incidents" in readme
    assert f"{same:,}" in readme
    assert f"{pct:.1f}%" in readme
    result = evaluated("servicenow", SN_AS_OF)
    ours: dict[str, bool] = {}
    for key in SN_RESOLUTION:
        table = result.records(f"desk.p{key[0]}_resolution").to_pydict()
        for number, v in zip(table["number"], table["verdict"], strict=True):
            if v != "not counted":
                ours[number] = ours.get(number, False) or v == "failed"
    resolution, _ = servicenow_cycles()
    loop: dict[str, bool] = {}
    for c in resolution:
        loop[c.item] = (
            loop.get(c.item, False) or verdict(c, SN_RESOLUTION[c.last["priority"]]) == "failed"
        )
    assert ours == loop


def test_volvo_figures_match_the_loop() -> None:
    """Every (org line, month) of every objective; months are Stockholm's."""
    groups = grouped(volvo_cycles(), zoneinfo.ZoneInfo("Europe/Stockholm"))
    got = values(evaluated("volvo", VOLVO_AS_OF))
    checked = 0
    for (account, period, node), value in got.items():
        name = node.removeprefix("desk.")
        cs = groups.get((account, period), [])
        if name.capitalize() in VOLVO_LIMITS:
            want = share(cs, VOLVO_LIMITS, "SR Latest Impact", name.capitalize())
        elif name == "medium_mean":
            want = mean_elapsed([c for c in cs if c.last["SR Latest Impact"] == "Medium"])
        elif name == "first_time_fix":
            want = first_time(cs)
        else:
            continue
        assert close(value, want), (account, period, node, value, want)
        checked += 1
    assert checked > 500
    assert set(groups) <= {(a, p) for a, p, _ in got}


def test_readmes_state_their_commands() -> None:
    """The commands the READMEs give are the ones these tests run (same as-of)."""
    for folder, as_of in ((SN, SN_AS_OF), (VOLVO, VOLVO_AS_OF)):
        readme = (folder / "README.md").read_text("utf-8")
        assert re.search(
            rf"slagraph eval examples/{folder.name}/model\.sla .*{re.escape(as_of)}", readme
        )
        assert "licen" in readme.lower()
