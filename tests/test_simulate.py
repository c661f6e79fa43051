"""Monte-Carlo simulation (slagraph/simulate/).

The references, from strongest to loosest:

* identity draws (every day draws itself; every record occurs once) must reproduce
  `evaluate` exactly, on every example and on hypothesis-generated models and data;
* with the simulation's own draws, a plain loop that builds each run's data (each slot day
  gets a copy of its source day's records, moved to the slot day) and calls `evaluate()`
  gives the same breaches and credits, run for run;
* with an independent resampler (Python's `random`), P(breach) agrees within sampling
  error;
* the weighted rank kernel equals the engine's percentile on materialised repeats.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import slagraph
from slagraph.cli import main
from slagraph.engine import kernels
from slagraph.simulate import draws, measures, simulate
from tests.model_strategies import Case, cases

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p.parent.name for p in (ROOT / "examples").glob("*/model.sla"))


def _identity(self, seed, run, accounts):  # type: ignore[no-untyped-def]
    return np.tile(np.arange(len(self.dates), dtype=np.int32), (accounts, 1))


def _ones(seed, runs, purpose, n):  # type: ignore[no-untyped-def]
    return np.ones((len(runs), n), np.int32)


def _agrees_with_evaluate(model: slagraph.Model, data, as_of=None, method="bootstrap") -> None:  # type: ignore[no-untyped-def]
    sim = model.simulate(data, runs=2, seed=3, as_of=as_of, method=method)
    rows = model.evaluate(data, as_of=as_of).rows()
    nodes = [r for r in rows if r["kind"] in ("master", "sla", "objective")]
    base = {(r["account"], r["period"], r["node"]): r for r in nodes}
    checked = 0
    for row in sim.nodes:
        if row["kind"] == "total":
            continue
        expected = base[(row["account"], row["period"], row["node"])]
        where = (row["account"], row["period"], row["node"])
        assert row["observed"] == expected["status"], where
        assert row["p_breach"] == (0.0 if expected["met"] else 1.0), where
        credit = expected["credit_pct"] if expected["credit_pct"] == expected["credit_pct"] else 0
        assert row["expected_credit_pct"] == pytest.approx(credit, rel=1e-12, abs=1e-15), where
        checked += 1
    assert checked == len(nodes)


@pytest.mark.parametrize("name", EXAMPLES)
def test_identity_bootstrap_reproduces_evaluate_on_examples(name, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(draws.DayDraws, "sources", _identity)
    model = slagraph.load(ROOT / "examples" / name / "model.sla")
    _agrees_with_evaluate(model, str(ROOT / "examples" / name / "data"))


@pytest.mark.parametrize("name", EXAMPLES)
def test_unit_poisson_weights_reproduce_evaluate_on_examples(name, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(measures, "poisson_weights", _ones)
    model = slagraph.load(ROOT / "examples" / name / "model.sla")
    _agrees_with_evaluate(model, str(ROOT / "examples" / name / "data"), method="poisson")


def _generated(case: Case, method: str) -> None:
    # simulate refuses an uptime budgeted by timeslices (test_timeslices.py checks it)
    assume(" timeslices " not in case.text)
    try:
        model = slagraph.compile(case.text)
        model.evaluate(case.engine_data(), as_of=case.as_of)
    except slagraph.SlaError:
        assume(False)
    _agrees_with_evaluate(model, case.engine_data(), case.as_of, method)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases(max_rows=10))
def test_identity_bootstrap_reproduces_evaluate_generated(case: Case) -> None:
    """Every metric kind, period kind, zone (DST), shared stream, open record, coverage
    and roll-up the differential test generates: the per-day statistics summed back over
    each period give exactly what the engine computes per period."""
    original = draws.DayDraws.sources
    draws.DayDraws.sources = _identity  # type: ignore[method-assign]
    try:
        _generated(case, "bootstrap")
    finally:
        draws.DayDraws.sources = original  # type: ignore[method-assign]


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases(max_rows=10))
def test_unit_poisson_weights_reproduce_evaluate_generated(case: Case) -> None:
    original = measures.poisson_weights
    measures.poisson_weights = _ones
    try:
        _generated(case, "poisson")
    finally:
        measures.poisson_weights = original


# --------------------------------------------------------------- the weighted rank kernel


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 4),
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 30)), max_size=60),
    st.sampled_from([0.01, 0.5, 0.9, 0.95, 0.99, 1.0]),
    st.integers(0, 2**32 - 1),
)
def test_weighted_kth_equals_percentile_of_repeats(runs, records, q, seed) -> None:  # type: ignore[no-untyped-def]
    group = np.array([g for g, _ in records], np.int64)
    values = np.array([v for _, v in records], float)
    order = np.lexsort((values, group))
    group, values = group[order], values[order]
    weights = np.random.default_rng(seed).integers(0, 4, (runs, len(group))).astype(np.int32)
    got = measures.weighted_kth(weights, group, values, 6, measures.nearest_rank(q))
    for r in range(runs):
        repeat = np.repeat(np.arange(len(group)), weights[r])
        expected = kernels.group_percentile(group[repeat], values[repeat], 6, q)
        np.testing.assert_array_equal(got[r], expected)


def test_draws_stay_in_block() -> None:
    """float32 u·size stays below size for the largest u and every block length a
    period kind can have (1…366 dates), and each block draws only its own dates."""
    largest = np.nextafter(np.float32(1), np.float32(0))
    sizes = np.arange(1, 367, dtype=np.float32)
    assert ((largest * sizes).astype(np.int32) < sizes).all()
    dates = np.arange(np.datetime64("2027-12-20"), np.datetime64("2028-03-05"))
    for kind in draws.BLOCK_KINDS:
        d = draws.DayDraws(dates, np.ones(len(dates), bool), kind)
        src = np.concatenate([d.sources(1, run, 3) for run in range(20)])
        blocks = draws.block_ids(dates, kind)
        assert (blocks[src] == blocks[None, :]).all(), kind


# --------------------------------------------------- a plain loop of evaluate() as reference

MODEL = """
stream tickets { account: text, priority: text, created: time, solved: time }
stream outages { account: text, start: time, end: time? }
accounts { account: text, fee: number }

sla support {
    objective fast    = share(tickets, solved - created <= 4h) >= 90%
    objective p1_p90  = p90(tickets where priority == "P1", solved - created) <= 6h
    objective typical = mean(tickets, solved - created) <= 5h
    objective worst   = max(tickets, solved - created) <= 10h
    objective volume  = count(tickets) <= 45
    objective up      = uptime(outages) >= 99.5%
    credit on up: below 99.5% -> 10%, below 98% -> 30%
    credit 5% when breached
}

master customer {
    period monthly
    timezone "UTC"
    include support
    met when support
    credit cap 25%
}
"""

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
AS_OF = "2026-04-01T00:00:00Z"  # midnight: every day of Jan–Mar is whole


def iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def reference_data(seed: int, accounts: int = 3) -> dict[str, list[dict]]:
    """Tickets solved the day they were created; outages within a day (so moving a day's
    records to another day changes nothing but their dates)."""
    rng = random.Random(seed)
    names = [f"acct{i}" for i in range(accounts)]
    tickets, outages = [], []
    for a, name in enumerate(names):
        for day in range(90):
            base = START + dt.timedelta(days=day)
            for _ in range(rng.randint(0, 1 + a)):
                created = base + dt.timedelta(minutes=rng.randint(0, 12 * 60))
                solved = created + dt.timedelta(minutes=rng.choice([30, 90, 200, 280, 500]))
                prio = rng.choice(["P1", "P2", "P2"])
                tickets.append(
                    {
                        "account": name,
                        "priority": prio,
                        "created": iso(created),
                        "solved": iso(solved),
                    }
                )
            if rng.random() < 0.08 + 0.04 * a:
                start = base + dt.timedelta(minutes=rng.randint(0, 20 * 60))
                end = start + dt.timedelta(minutes=rng.randint(5, 200))
                outages.append({"account": name, "start": iso(start), "end": iso(end)})
    return {
        "tickets": tickets,
        "outages": outages,
        "accounts": [{"account": n, "fee": 1000.0 * (i + 1)} for i, n in enumerate(names)],
    }


def columns(rows: list[dict], names: tuple[str, ...]) -> dict[str, list]:
    return {c: [r[c] for r in rows] for c in names}


def as_input(data: dict[str, list[dict]]) -> dict[str, dict[str, list]]:
    return {
        "tickets": columns(data["tickets"], ("account", "priority", "created", "solved")),
        "outages": columns(data["outages"], ("account", "start", "end")),
        "accounts": columns(data["accounts"], ("account", "fee")),
    }


def parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def by_day(data: dict[str, list[dict]]) -> tuple[dict, dict]:
    """Each account's tickets (by created date) and outage pieces (cut at midnight)."""
    tickets: dict[tuple[str, dt.date], list[dict]] = defaultdict(list)
    for t in data["tickets"]:
        tickets[(t["account"], parse(t["created"]).date())].append(t)
    pieces: dict[tuple[str, dt.date], list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for o in data["outages"]:
        s, e = parse(o["start"]), parse(o["end"])
        while s < e:
            midnight = dt.datetime.combine(s.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
            pieces[(o["account"], s.date())].append((s, min(e, midnight)))
            s = midnight
    return tickets, pieces


def materialise(data, tickets, pieces, source_of) -> dict[str, list[dict]]:  # type: ignore[no-untyped-def]
    """The data of one run: slot day d of account a holds source_of(a, d)'s records,
    moved by whole days to d."""
    out_t, out_o = [], []
    for a in [r["account"] for r in data["accounts"]]:
        for day in range(90):
            slot = (START + dt.timedelta(days=day)).date()
            source = source_of(a, slot)
            shift = dt.timedelta(days=(slot - source).days)
            for t in tickets.get((a, source), []):
                moved = {**t}
                moved["created"] = iso(parse(t["created"]) + shift)
                moved["solved"] = iso(parse(t["solved"]) + shift)
                out_t.append(moved)
            for s, e in pieces.get((a, source), []):
                out_o.append({"account": a, "start": iso(s + shift), "end": iso(e + shift)})
    return {"tickets": out_t, "outages": out_o, "accounts": data["accounts"]}


def tally(model: slagraph.Model, runs: list[dict[str, list[dict]]]) -> dict[tuple, list]:
    """(account, period, node) → [breaches, sum of credit fractions] over evaluate() runs."""
    out: dict[tuple, list] = defaultdict(lambda: [0, 0.0])
    for data in runs:
        for row in model.evaluate(as_input(data), as_of=AS_OF, since=START.isoformat()).rows():
            if row["kind"] in ("master", "sla", "objective"):
                cell = out[(row["account"], row["period"], row["node"])]
                cell[0] += not row["met"]
                cell[1] += row["credit_pct"]
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_bootstrap_equals_evaluate_on_each_run_s_data(seed: int) -> None:
    """The simulation's own draws, materialised, through evaluate(): same breaches and
    credits, run for run (so P(breach) and expected credit are equal, not just close)."""
    model = slagraph.compile(MODEL)
    data = reference_data(seed)
    runs = 40
    sim = model.simulate(as_input(data), runs=runs, seed=seed, as_of=AS_OF)
    # the days of January–March: an as-of at midnight on April 1 opens no empty April
    dates = np.arange(np.datetime64("2026-01-01"), np.datetime64("2026-04-01"))
    day_draws = draws.DayDraws(dates, np.ones(len(dates), bool), "monthly")
    names = [r["account"] for r in data["accounts"]]
    tickets, pieces = by_day(data)
    built = []
    for run in range(runs):
        src = day_draws.sources(seed, run, len(names))

        def source_of(account: str, slot: dt.date, src=src) -> dt.date:  # type: ignore[no-untyped-def]
            j = int((np.datetime64(slot) - dates[0]).astype(int))
            return dates[src[names.index(account), j]].astype(dt.date)

        built.append(materialise(data, tickets, pieces, source_of))
    expected = tally(model, built)
    rows = [r for r in sim.nodes if r["kind"] != "total"]
    assert len(rows) == len(expected)
    assert any(0 < r["p_breach"] < 1 for r in rows)  # the draws do vary the outcome
    for row in rows:
        breaches, credit = expected[(row["account"], row["period"], row["node"])]
        assert row["p_breach"] * runs == pytest.approx(breaches), row
        assert row["expected_credit_pct"] == pytest.approx(credit / runs, abs=1e-12), row


def test_bootstrap_agrees_with_an_independent_resampler() -> None:
    """P(breach) from an independent day resampler (Python's random, a plain loop and
    evaluate()) agrees with the simulation's within sampling error (4.5 standard errors
    of the difference, so a correct engine fails this about once in 150,000 cells)."""
    model = slagraph.compile(MODEL)
    data = reference_data(7)
    tickets, pieces = by_day(data)
    rng = random.Random(11)
    n_ref, n_sim = 150, 2000

    def source_of(account: str, slot: dt.date) -> dt.date:
        first = slot.replace(day=1)
        days = (first.replace(month=first.month + 1) - first).days if first.month < 12 else 31
        return first + dt.timedelta(days=rng.randrange(days))

    expected = tally(model, [materialise(data, tickets, pieces, source_of) for _ in range(n_ref)])
    sim = model.simulate(as_input(data), runs=n_sim, seed=5, as_of=AS_OF)
    varied = 0
    for row in sim.nodes:
        if row["kind"] == "total":
            continue
        p_sim = row["p_breach"]
        p_ref = expected[(row["account"], row["period"], row["node"])][0] / n_ref
        se = np.sqrt(p_sim * (1 - p_sim) / n_sim + p_ref * (1 - p_ref) / n_ref)
        assert abs(p_sim - p_ref) <= 4.5 * se + 1.5 / n_ref, (row, p_ref)
        varied += 0.05 < p_sim < 0.95
    assert varied >= 5


# ----------------------------------------------------------------------- properties


def test_same_seed_same_output_other_seed_differs() -> None:
    model = slagraph.compile(MODEL)
    data = as_input(reference_data(3))
    a = model.simulate(data, runs=50, seed=1, as_of=AS_OF).rows()
    b = model.simulate(data, runs=50, seed=1, as_of=AS_OF).rows()
    c = model.simulate(data, runs=50, seed=2, as_of=AS_OF).rows()
    assert a == b
    assert a != c


def _same_rows(a: list[dict], b: list[dict]) -> None:
    """Equal, floats up to the order of summation (sums accumulate chunk by chunk)."""
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.keys() == y.keys()
        for key, value in x.items():
            if isinstance(value, float):
                assert value == pytest.approx(y[key], rel=1e-12, abs=1e-12), (x, key)
            else:
                assert value == y[key], (x, key)


def test_chunking_does_not_change_the_runs() -> None:
    model = slagraph.compile(MODEL)
    data = as_input(reference_data(3))
    for method, chunk in (("bootstrap", 7), ("poisson", 4)):
        whole = simulate(model.ir, data, runs=30, seed=4, as_of=AS_OF, method=method)
        pieces = simulate(model.ir, data, runs=30, seed=4, as_of=AS_OF, method=method, chunk=chunk)
        _same_rows(whole.rows(), pieces.rows())


def test_breach_is_certain_where_the_data_leaves_no_doubt() -> None:
    """acct0: every ticket is fast (no day can fail `fast`); acct1: every ticket is slow
    (every resample fails it). Bootstrap and Poisson both give exactly 0 and 1."""
    tickets = []
    for day in range(59):
        for account, minutes in (("acct0", 30), ("acct1", 600)):
            created = START + dt.timedelta(days=day, hours=2)
            tickets.append(
                {
                    "account": account,
                    "priority": "P2",
                    "created": iso(created),
                    "solved": iso(created + dt.timedelta(minutes=minutes)),
                }
            )
    data = {
        "tickets": tickets,
        "outages": [],
        "accounts": [{"account": "acct0", "fee": 1.0}, {"account": "acct1", "fee": 1.0}],
    }
    model = slagraph.compile(MODEL)
    for method in ("bootstrap", "poisson"):
        sim = model.simulate(as_input(data), runs=200, seed=9, method=method, as_of=AS_OF)
        fast = {
            (r["account"], r["period"]): r
            for r in sim.nodes
            if r["node"] == "customer.support.fast" and r["period"] != "2026-03"
        }
        for period in ("2026-01", "2026-02"):
            assert fast[("acct0", period)]["p_breach"] == 0.0
            assert fast[("acct0", period)]["p_breach_low"] == 0.0
            assert fast[("acct1", period)]["p_breach"] == 1.0
            assert fast[("acct1", period)]["p_breach_high"] == 1.0


def test_drivers_and_totals() -> None:
    model = slagraph.compile(MODEL)
    sim = model.simulate(as_input(reference_data(3)), runs=100, seed=1, as_of=AS_OF)
    drivers = {(d["node"], d["member"]): d for d in sim.drivers}
    # the master is met exactly when `support` is: every master breach is a support breach
    assert drivers[("customer", "customer.support")]["coincidence"] == 1.0
    assert ("customer.support", "customer.support.up") in drivers
    totals = [r for r in sim.nodes if r["kind"] == "total" and r["node"] == "customer"]
    # as of midnight on April 1: no empty April (SPEC §6.4)
    assert [t["period"] for t in totals] == ["2026-01", "2026-02", "2026-03"]
    for t in totals:
        per_account = [
            r for r in sim.nodes if r["node"] == "customer" and r["period"] == t["period"]
        ]
        per_account = [r for r in per_account if r["kind"] == "master"]
        assert t["expected_credit"] == pytest.approx(sum(r["expected_credit"] for r in per_account))
        assert t["credit_p99"] >= t["credit_p50"] >= 0
        assert t["p_breach"] >= max(r["p_breach"] for r in per_account)


def test_change_is_applied_before_resampling() -> None:
    model = slagraph.compile(MODEL)
    data = as_input(reference_data(3))
    base = model.simulate(data, runs=100, seed=1, as_of=AS_OF)
    better = model.simulate(data, runs=100, seed=1, as_of=AS_OF, changes=["drop outages"])
    up = {(r["account"], r["period"]): r for r in better.nodes if r["node"].endswith(".up")}
    assert all(r["p_breach"] == 0.0 for r in up.values())
    assert any(r["p_breach"] > 0 for r in base.nodes if r["node"].endswith(".up"))


def test_usage_errors() -> None:
    model = slagraph.compile(MODEL)
    data = as_input(reference_data(3))
    with pytest.raises(slagraph.SlaUsageError, match="method must be one of"):
        model.simulate(data, runs=2, method="jackknife")
    with pytest.raises(slagraph.SlaUsageError, match="runs must be between 1 and 1,000,000, got 0"):
        model.simulate(data, runs=0)
    with pytest.raises(slagraph.SlaUsageError, match="period must be one of"):
        model.simulate(data, runs=2, block="hourly")


# ------------------------------------------------------------------------------ CLI


def test_cli_table_and_jsonl() -> None:
    spec = ROOT / "examples" / "spec"
    runner = CliRunner()
    args = ["simulate", str(spec / "model.sla"), "--data", str(spec / "data"), "--runs", "30"]
    table = runner.invoke(main, args)
    assert table.exit_code == 0, table.output
    assert "30 bootstrap runs, seed 0" in table.output
    assert "drivers: how often each member is breached when its parent is" in table.output
    # stdout only: on a loaded machine the estimate of a long run goes to stderr
    lines = runner.invoke(main, [*args, "--format", "jsonl", "--seed", "4"]).stdout.splitlines()
    rows = [json.loads(x) for x in lines]
    kinds = {r["kind"] for r in rows}
    assert {"master", "sla", "objective", "total", "driver"} <= kinds
    again = runner.invoke(main, [*args, "--format", "jsonl", "--seed", "4"]).stdout
    assert again.splitlines() == lines
    csv_out = runner.invoke(main, [*args, "--format", "csv", "--method", "poisson"])
    assert csv_out.exit_code == 0
    assert csv_out.stdout.splitlines()[0].startswith("kind,account,period,node,observed,final,runs")


def test_cli_errors() -> None:
    spec = ROOT / "examples" / "spec"
    runner = CliRunner()
    base = ["simulate", str(spec / "model.sla"), "--data", str(spec / "data")]
    missing = runner.invoke(main, base)
    assert missing.exit_code == 2
    assert "--runs" in missing.output
    bad = runner.invoke(main, [*base, "--runs", "5", "--change", "drop nothing"])
    assert bad.exit_code == 1
    assert "--change 1" in bad.output


def test_cli_skips_bad_rows_and_says_so(tmp_path: Path) -> None:
    import shutil

    spec = ROOT / "examples" / "spec"
    data = tmp_path / "data"
    shutil.copytree(spec / "data", data)
    with open(data / "tickets.csv", "a", encoding="utf-8") as f:
        f.write("acme,email,not-a-time,,\n")
    runner = CliRunner()
    args = ["simulate", str(spec / "model.sla"), "--data", str(data), "--runs", "5"]
    failed = runner.invoke(main, args)
    assert failed.exit_code == 1
    assert "tickets" in failed.output and "created" in failed.output
    skipped = runner.invoke(main, [*args, "--on-bad-rows", "skip", "--format", "jsonl"])
    assert skipped.exit_code == 0
    assert "skipped 1 bad row in stream 'tickets'" in skipped.stderr
    sim = slagraph.load(spec / "model.sla").simulate(str(data), runs=5, on_bad_rows="skip")
    assert sim.bad_rows == {"tickets": 1}


def test_drivers_average_only_over_the_accounts_a_child_covers() -> None:
    """`vip` covers `big` only: P(vip breached) in gold's drivers is vip's P(breach) on
    big's row — not half of it, as when `small`, which vip leaves out, counted as a met
    cell."""
    from tests.test_desk import COVERED, covered_data

    model = slagraph.compile(COVERED)
    result = model.simulate(covered_data(), runs=40, seed=1, as_of="2026-03-31T00:00:00Z")
    rows = result.rows()
    drivers = {(r["node"], r["member"]): r for r in rows if r["kind"] == "driver"}
    vip_row = next(
        r
        for r in rows
        if r["kind"] != "driver" and r["node"] == "gold.vip" and r["account"] == "big"
    )
    assert 0 < vip_row["p_breach"] < 1
    assert drivers[("gold", "gold.vip")]["p_member_breach"] == vip_row["p_breach"]
