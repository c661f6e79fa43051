"""What-if: each change kind moves the numbers by exactly the hand-computed amount."""

from __future__ import annotations

from pathlib import Path

import attrs
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import slagraph

ROOT = Path(__file__).resolve().parents[1]
MODEL = slagraph.load(ROOT / "examples" / "spec" / "model.sla")
DATA = str(ROOT / "examples" / "spec" / "data")


def pairs(changes: list[str], **kw: object) -> dict[tuple[str, str, str], dict]:
    result = MODEL.whatif(DATA, changes, **kw)  # type: ignore[arg-type]
    return {
        (r["account"], r["period"], r["node"]): r
        for r in result.rows(all=True)
        if r["kind"] != "termination"
    }


def test_no_op_change_reproduces_evaluate() -> None:
    """The base side of the stacked evaluation is exactly `evaluate`, and nothing differs."""
    result = MODEL.whatif(DATA, ['drop incidents where priority == "P9"'])
    assert result.rows() == []
    direct = {
        (r["account"], r["period"], r["node"]): r
        for r in MODEL.evaluate(DATA).rows()
        if r["kind"] in ("master", "sla", "objective")
    }
    both = pairs(['drop incidents where priority == "P9"'])
    assert set(both) == set(direct)
    for key, row in direct.items():
        for field in ("status", "met", "value", "score", "budget_used", "credit_pct", "credit"):
            assert both[key][f"base_{field}"] == row[field], (key, field)


def test_added_outage_changes_uptime_status_and_credit_by_hand() -> None:
    """3 h of API outage on Saturday 2026-01-10 for acme. Acme's January is Santiago's:
    2026-01-01T03:00Z → 2026-02-01T03:00Z = 2,678,400 s, minus maintenance (Sundays
    02:00–04:00 UTC: Jan 4, 11, 18, 25 = 8 h, and Feb 1 02:00–03:00 = 1 h) = 2,646,000 s
    measured. Uptime drops by 10,800 / 2,646,000; below 99.9% the 10% tier applies, on
    top of the incidents' flat 5%: 15% of the 20,000 fee = 3,000."""
    outages = pd.read_csv(Path(DATA) / "outages.csv")
    acme_api = outages[(outages.account == "acme") & (outages.service == "api")]
    start, end = "2026-01-10T14:00:00Z", "2026-01-10T17:00:00Z"
    assert not ((acme_api.start < end) & (acme_api.end.fillna("9") > start)).any()
    p = pairs([f'add outages account="acme" service="api" start={start} duration=3h planned=false'])
    up = p[("acme", "2026-01", "gold.acme.availability.api_up")]
    assert up["base_value"] - up["whatif_value"] == pytest.approx(10800 / 2646000, abs=1e-12)
    assert (up["base_status"], up["whatif_status"]) == ("met", "breached")
    assert up["whatif_credit_pct"] == 0.10
    acme = p[("acme", "2026-01", "gold.acme")]
    assert (acme["base_credit_pct"], acme["whatif_credit_pct"]) == (0.05, pytest.approx(0.15))
    assert acme["whatif_credit"] == pytest.approx(3000.0)
    globex = p[("globex", "2026-01", "gold")]  # the outage was acme's alone
    assert globex["differs"] is False


def test_drop_empties_the_p1_objectives() -> None:
    p = pairs(['drop incidents where priority == "P1"'])
    p1 = [r for k, r in p.items() if k[2].endswith(("p1_response", "p1_resolve"))]
    assert p1 and all(r["whatif_status"] == "no_data" and r["whatif_value"] is None for r in p1)


def test_scaling_a_duration_doubles_the_mean() -> None:
    """Every resolution twice as long: mean(resolved - opened) doubles exactly (as of a
    date after every scaled time, so none is still in the future)."""
    p = pairs(["incidents.resolved - incidents.opened *= 2"], as_of="2026-12-31T00:00:00Z")
    mttr = p[("acme", "2026-01", "gold.acme.incidents.mttr")]
    assert mttr["whatif_value"] == pytest.approx(2 * mttr["base_value"], rel=1e-12)


def test_volume_and_seeds() -> None:
    doubled = pairs(["leads volume *= 2"])
    vol = doubled[("acme", "2026-01", "gold.lead_handoff.volume")]
    assert vol["whatif_value"] == 2 * vol["base_value"]
    a = MODEL.whatif(DATA, ["leads volume *= 1.5"], seed=1).rows(all=True)
    b = MODEL.whatif(DATA, ["leads volume *= 1.5"], seed=1).rows(all=True)
    c = MODEL.whatif(DATA, ["leads volume *= 1.5"], seed=2).rows(all=True)
    assert a == b and a != c


def test_set_fee_reprices_credits() -> None:
    p = pairs(['set accounts.fee = 5000 where account == "acme"'])
    row = p[("acme", "2026-02", "gold.acme")]
    assert row["base_credit"] == pytest.approx(0.15 * 20000)
    assert row["whatif_credit"] == pytest.approx(0.15 * 5000)
    assert p[("globex", "2026-02", "gold")]["differs"] is False


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            'outage += 2h where service == "db"',
            "--change 1:1:1: compile error: unknown stream 'outage' (did you mean 'outages'?)",
        ),
        ('outages += 2h where service = "db"', "--change 1:1:29: syntax error: unexpected '='"),
        (
            'outages += 2h where servce == "db"',
            "--change 1:1:21: compile error: stream 'outages' has no column 'servce' (did you "
            "mean 'service'?)",
        ),
        (
            'add outages account="acme" service="api" start=2026-01-10T00:00Z duration=3h',
            "--change 1:1:1: compile error: add outages: give planned (not nullable)",
        ),
        (
            "incidents.resolved - incidents.priority *= 2",
            "--change 1:1:1: compile error: column 'priority' is text; this change needs time",
        ),
    ],
)
def test_bad_changes_are_located(change: str, message: str) -> None:
    with pytest.raises(slagraph.SlaError) as info:
        MODEL.whatif(DATA, [change])
    assert str(info.value).startswith(message)


def _plain_tables(folder: str) -> dict[str, object]:
    """The example CSVs as plain-string / typed Arrow tables (not dictionary-encoded), so
    that loading defers text coding and timestamp copies (`Deferred`)."""
    import glob
    import os

    import pyarrow.csv as pcsv

    options = pcsv.ConvertOptions(strings_can_be_null=True)
    return {
        os.path.basename(f)[:-4]: pcsv.read_csv(f, convert_options=options)
        for f in glob.glob(os.path.join(folder, "*.csv"))
    }


@pytest.mark.parametrize(
    "changes",
    [
        ['set incidents.priority = "P1" where priority == "P3"'],  # a value already there
        ['set incidents.priority = "P7" where priority == "P3"'],  # a new value
        ['set outages.start = 2025-12-01T00:00:00Z where service == "api"', "outages += 2000h"],
        ["incidents.resolved - incidents.opened *= 50"],
    ],
)
def test_changes_to_deferred_columns_evaluate_as_from_files(changes) -> None:
    """Changes rebuild columns with `attrs.evolve`; a column still deferred (text not yet
    coded, a timestamp still in Arrow, with extremes found while loading) must not keep
    its Arrow source, its old extremes or lose its dictionary on the way (a review found
    both: text set to an existing value read as null; periods and as-of masking followed
    the extremes from before the change). Plain in-memory tables must give the rows
    the CSV folder gives, whose text is read dictionary-encoded."""
    folder = str(ROOT / "examples" / "spec" / "data")
    model = slagraph.load(ROOT / "examples" / "spec" / "model.sla")
    for as_of in (None, "2026-03-01T00:00:00Z"):
        from_files = model.whatif(folder, changes, as_of=as_of).rows()
        from_memory = model.whatif(_plain_tables(folder), changes, as_of=as_of).rows()
        assert from_memory == from_files


def test_evolved_columns_drop_their_source_and_bounds() -> None:
    from slagraph.data.tables import Column, Deferred

    strings = pa.chunked_array([pa.array(["a", "b", None, "a"])])
    text = Column(
        "text",
        None,
        np.array([True, True, False, True]),
        source=Deferred(
            strings, lambda a: (np.array([0, 1, -1, 0], np.int32), np.array(["a", "b"], object))
        ),
    )
    recoded = attrs.evolve(text, values=np.array([1, 1, -1, 0], np.int32))
    assert recoded.source is None and recoded.dictionary.tolist() == ["a", "b"]
    grown = attrs.evolve(text, dictionary=np.array(["a", "b", "c"], object))
    assert grown.source is None and grown.values.tolist() == [0, 1, -1, 0]
    assert grown.dictionary.tolist() == ["a", "b", "c"]
    ns = pa.chunked_array([pa.array([5, 9], pa.timestamp("ns", "UTC"))])
    time = Column(
        "time",
        None,
        None,
        bounds=(5, 9),
        source=Deferred(ns, lambda a: (np.array([5, 9], np.int64), None)),
    )
    moved = attrs.evolve(time, values=np.array([1, 9], np.int64))
    assert moved.source is None and moved.bounds is None
    assert attrs.evolve(time, valid=np.array([True, False]), bounds=None).bounds is None
    assert Column("time", np.array([1]), None, bounds=(1, 1)).bounds is None  # no source


def test_changed_times_move_the_extremes_and_as_of_masking() -> None:
    """After a change moves times, the evaluation's extremes and its as-of masking follow
    the changed values, not the extremes the loader found before the change."""
    from slagraph.engine import known_at, load_for
    from slagraph.engine.context import Context
    from slagraph.whatif.changes import apply, parse_changes

    model = slagraph.load(ROOT / "examples" / "spec" / "model.sla").ir
    data = load_for(model, str(ROOT / "examples" / "spec" / "data"))
    rng = np.random.default_rng(0)
    early = ['set outages.start = 2025-12-01T00:00:00Z where service == "api"']
    moved = apply(model, data, parse_changes(model, early), rng)
    start = moved.tables["outages"].columns["start"]
    probe = Context(model, moved, 0, 0)
    assert probe.data_lo == int(start.values[start.is_valid()].min())
    assert probe.data_lo <= int(np.datetime64("2025-12-01T00:00:00", "ns").astype(np.int64))
    stretched = apply(
        model, data, parse_changes(model, ["incidents.resolved - incidents.opened *= 50"]), rng
    )
    at = known_at(model, stretched, "2026-04-01T00:00:00Z")
    known, as_of = at.data, at.as_of
    resolved = known.tables["incidents"].columns["resolved"]
    assert not ((resolved.values > as_of) & resolved.is_valid()).any()
