"""The evaluator's public contract: row shape, formats, as-of, and account independence."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import attrs
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import slagraph
from slagraph.data import encoding
from slagraph.engine import kernels
from slagraph.engine import result as result_module
from slagraph.engine.result import FIELDS

ROOT = Path(__file__).resolve().parents[1]
MODEL = slagraph.load(ROOT / "examples" / "spec" / "model.sla")
DATA = ROOT / "examples" / "spec" / "data"


def frames() -> dict[str, pd.DataFrame]:
    names = {"crm_leads": "leads"}
    return {
        names.get(p.stem, p.stem): pd.read_csv(p, dtype=str, keep_default_na=False)
        for p in DATA.glob("*.csv")
    }


def test_rows_formats_agree() -> None:
    result = MODEL.evaluate(str(DATA))
    rows = result.rows()
    nodes = [r for r in rows if r.get("kind") in ("master", "sla", "objective")]
    assert len(nodes) == len(result) == result.to_arrow().num_rows
    assert isinstance(result.to_arrow(), pa.Table)
    df = result.to_pandas()
    assert list(df.columns[: len(FIELDS)]) == list(FIELDS)
    assert [json.loads(line) for line in result.to_jsonl().splitlines()] == rows
    assert json.loads(result.to_json())["rows"] == rows
    parsed = list(csv.DictReader(io.StringIO(result.to_csv())))
    assert [(r["account"], r["period"], r["node"]) for r in parsed] == [
        (r["account"], r["period"], r["node"]) for r in nodes
    ]


def test_in_memory_frames_equal_folder() -> None:
    """A dict of DataFrames gives the same rows as the folder of CSV files."""
    data = frames()
    data["accounts"]["fee"] = data["accounts"]["fee"].astype(float)
    data["outages"]["planned"] = data["outages"]["planned"] == "true"
    for name, frame in data.items():
        data[name] = frame.replace({"": None})
    assert MODEL.evaluate(data).rows() == MODEL.evaluate(str(DATA)).rows()


def test_partial_period_at_as_of() -> None:
    """As of mid-February, February is partial: rows exist and no March appears."""
    result = MODEL.evaluate(str(DATA), as_of="2026-02-15T00:00:00Z")
    periods = {r["period"] for r in result.rows() if "period" in r}
    assert periods == {"2026-01", "2026-02"}


def test_accounts_evaluate_independently() -> None:
    """Rows of disjoint account sets, evaluated apart and concatenated, equal one
    evaluation: the property that lets evaluation be spread over workers by account."""
    as_of, since = "2026-03-31T23:59:59Z", "2025-12-01T12:00:00Z"
    whole = MODEL.evaluate(str(DATA), as_of=as_of, since=since)
    assert {r["period"] for r in whole.rows()} == {"2025-12", "2026-01", "2026-02", "2026-03"}
    data = frames()
    parts = []
    for group in (["acme", "initech"], ["globex", "umbrella"]):
        subset = {k: v[v["account"].isin(group)] for k, v in data.items()}
        subset["accounts"] = subset["accounts"].assign(fee=lambda f: f["fee"].astype(float))
        subset["outages"] = subset["outages"].assign(planned=lambda f: f["planned"] == "true")
        subset = {k: v.replace({"": None}) for k, v in subset.items()}
        parts += [
            r
            for r in MODEL.evaluate(subset, as_of=as_of, since=since).rows()
            if r["kind"] != "bad_rows"
        ]
    key = lambda r: (r["account"], r["period"], r["node"], r["kind"])  # noqa: E731
    assert sorted(parts, key=key) == sorted(
        [r for r in whole.rows() if r["kind"] != "bad_rows"], key=key
    )


def test_bad_on_bad_rows_value() -> None:
    with pytest.raises(slagraph.SlaUsageError):
        MODEL.evaluate(str(DATA), on_bad_rows="ignore")


def test_times_after_as_of_are_not_yet_known() -> None:
    """As of 10:30, a reply sent at 11:00 has not happened: the ticket is open, and it has
    waited 30 min (> 15 min), so it fails; as of 11:30 it is closed, late all the same."""
    model = slagraph.compile(
        "stream t { account: text, created: time, reply: time? }\n"
        "sla s { objective fast = share(t, reply - created <= 15m) >= 90% }\n"
    )
    data = {
        "t": {
            "account": ["a", "a"],
            "created": ["2026-01-05T10:00:00Z", "2026-01-05T10:20:00Z"],
            "reply": ["2026-01-05T11:00:00Z", "2026-01-05T10:25:00Z"],
        }
    }
    early = {r["node"]: r for r in model.evaluate(data, as_of="2026-01-05T10:30:00Z").rows()}
    assert early["s.fast"]["value"] == 0.5  # first open and late, second answered in 5 min
    data["t"]["created"][1] = "2026-01-05T10:29:00Z"
    data["t"]["reply"][1] = "2026-01-05T10:45:00Z"  # not yet sent at 10:30: pending
    early = {r["node"]: r for r in model.evaluate(data, as_of="2026-01-05T10:30:00Z").rows()}
    assert early["s.fast"]["value"] == 0.0  # only the first is decided, and it failed
    late = {r["node"]: r for r in model.evaluate(data, as_of="2026-01-05T11:30:00Z").rows()}
    assert late["s.fast"]["value"] == 0.0  # 60 min and 16 min: both late


def test_child_not_covering_an_account_is_absent_in_its_parent() -> None:
    """SPEC §2.3: a child is evaluated for the accounts its parent covers, intersected
    with its own `for`. For `b`, `only_a` is absent: gold is judged on `all_ok` alone."""
    model = slagraph.compile(
        "stream t { account: text, at: time }\n"
        "accounts { account: text, fee: number }\n"
        'sla only_a for accounts where account == "a" {\n'
        "    objective many = count(t) >= 5\n    credit 10% when breached\n}\n"
        "sla all_ok { objective some = count(t) >= 1 }\n"
        "master gold { include only_a, all_ok }\n"
    )
    data = {
        "t": {"account": ["a", "b"], "at": ["2026-01-05T00:00:00Z"] * 2},
        "accounts": {"account": ["a", "b"], "fee": [100.0, 100.0]},
    }
    rows = {(r["account"], r["node"]): r for r in model.evaluate(data).rows()}
    assert rows[("a", "gold")]["met"] is False and rows[("a", "gold")]["score"] == 0.5
    assert rows[("a", "gold")]["credit_pct"] == 0.1
    assert rows[("b", "gold")]["met"] is True and rows[("b", "gold")]["score"] == 1.0
    assert rows[("b", "gold")]["credit_pct"] == 0.0
    assert ("b", "gold.only_a") not in rows  # not reported for an account it does not cover


def test_score_on_either_side_and_negative_literals() -> None:
    model = slagraph.compile(
        "stream t { account: text, at: time, n: number }\n"
        "sla s {\n    objective x = count(t where n in (-1, 2)) >= 2\n"
        "    objective y = count(t where n > -5) >= 1\n    met when 50% <= score\n}\n"
    )
    data = {"t": {"account": ["a", "a"], "at": ["2026-01-05T00:00:00Z"] * 2, "n": [-1.0, 3.0]}}
    rows = {r["node"]: r for r in model.evaluate(data).rows()}
    assert rows["s.x"]["value"] == 1 and rows["s.y"]["value"] == 2
    assert rows["s"]["met"] is True and rows["s"]["score"] == 0.5


def _sorted_pairs_by_python(group: np.ndarray, values: np.ndarray) -> list[tuple[int, float]]:
    return sorted(zip(group.tolist(), values.tolist(), strict=True))


@pytest.mark.parametrize("seed", range(6))
def test_sorted_groups_paths_agree(seed: int) -> None:
    """The general (group, value) order, on integers, floats and values too wide to pack,
    with a one-pass and a multi-pass radix (more than 2^16 groups), equals Python's sort
    of the pairs."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 3000))
    groups = [5, 70_000, 2**40][seed % 3]
    group = rng.integers(0, groups, n)
    ints = rng.integers(-(10**12), 10**12, n) // [1, 10**9][seed % 2]
    wide = np.where(rng.random(n) < 0.5, ints, 2**62 // max(groups, 1))  # overflows a key
    for values in (ints, ints / kernels.NS, wide):
        g, v = kernels._sorted_groups(group, values)
        assert list(zip(g.tolist(), v.tolist(), strict=True)) == _sorted_pairs_by_python(
            group, values
        )


def test_percentile_of_ns_equals_percentile_of_seconds() -> None:
    """Nearest rank on int64 ns (packed path) picks the same record as on float seconds."""
    rng = np.random.default_rng(7)
    group = rng.integers(0, 50, 5000)
    ns = rng.integers(0, 10**13, 5000)
    size = 60
    by_ns = kernels.group_percentile(group, ns, size, 0.95) / kernels.NS
    by_s = kernels.group_percentile(group, ns / kernels.NS, size, 0.95)
    np.testing.assert_array_equal(by_ns, by_s)
    for g in range(size):
        values = np.sort(ns[group == g] / kernels.NS)
        if len(values) == 0:
            assert np.isnan(by_s[g])
        else:
            assert by_s[g] == values[max(int(np.ceil(round(0.95 * len(values), 9))), 1) - 1]


@pytest.mark.parametrize("late_value", [None, "web", "api"])
def test_text_codes_from_first_rows_equal_dictionary_encode(late_value: str | None) -> None:
    """A low-cardinality column is coded from its first rows' values (`_few_values`);
    a value first seen later falls back to `dictionary_encode`. Either way the codes and
    the dictionary (in order of first appearance) are those of `dictionary_encode`."""
    head = ["db", None, "api", "db"] * 20_000
    array = pa.chunked_array([pa.array(head), pa.array(["api", late_value, None])])
    codes, dictionary = encoding.encode_text(array)
    expected = pc.dictionary_encode(array.combine_chunks())
    assert dictionary.tolist() == expected.dictionary.to_pylist()
    assert codes.tolist() == expected.indices.fill_null(-1).to_pylist()


@pytest.mark.parametrize("dense", [True, False])
def test_result_order_is_a_sort_of_unique_keys(dense: bool) -> None:
    rng = np.random.default_rng(3)
    key = rng.permutation(np.unique(rng.integers(0, 5000 if dense else 10**9, 4000)))
    np.testing.assert_array_equal(result_module._order(key), np.argsort(key))


@pytest.mark.parametrize("seed", range(8))
def test_runs_of_time_ordered_instants_equal_searchsorted(seed: int) -> None:
    """`kernels.runs` finds the slices of instants in time order between the bounds (None
    when out of order), and `counts_of_runs` fills their counts in: they must give
    `searchsorted(side="right")`, instants equal to a bound, before and after every
    bound, and repeated, included."""
    rng = np.random.default_rng(seed)
    bounds = np.sort(rng.choice(np.arange(0, 100, 5), int(rng.integers(1, 8)), replace=False))
    t = rng.integers(-10, 110, int(rng.integers(0, 300))) * (1 + seed % 2)
    t = np.concatenate([t, bounds, bounds])
    for instants in (np.sort(t), t, np.sort(t)[::-1], np.sort(t)[: seed % 2]):
        want = np.searchsorted(bounds, instants, side="right")
        found = kernels.runs(bounds, instants)
        in_order = len(instants) < 2 or bool((np.diff(instants) >= 0).all())
        assert (found is not None) == in_order
        if found is not None:
            got = kernels.counts_of_runs(found, len(instants))
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("seed", range(4))
def test_sweep_order_equals_lexsort(seed: int) -> None:
    """Interval sweeps order boundary events as `np.lexsort((d, t, g))` does (ties in all
    three keys are identical events, so the (g, t, d) sequences are compared)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 4000))
    g = rng.integers(0, [3, 70_000][seed % 2], n)
    t = rng.integers(0, 50, n) * [1, 2**57][seed // 2]  # the second: too wide to pack
    d = np.where(rng.random(n) < 0.5, 1, -1)
    got, want = kernels._sweep_order(g, t, d), np.lexsort((d, t, g))
    for a in (g, t, d):
        np.testing.assert_array_equal(a[got], a[want])


@pytest.mark.parametrize("seed", range(8))
def test_sweep_sorted_equals_lexsort(seed: int) -> None:
    """The packed sweep (times in whole seconds, ms or µs) and its argsort fallback
    (sub-µs times, or a key too wide for int64) give the events in `np.lexsort((d, t, g))`
    order, values and all."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 4000))
    g = rng.integers(0, [3, 4000, 70_000, 2**40][seed % 4], n)
    unit = [kernels.NS, 1_000_000, 1_000, 1][seed % 4]
    t = 1_767_225_600 * kernels.NS + rng.integers(0, 10**6, n) * unit
    if seed >= 4:  # offsets of a year and more: the widest keys
        t = t + rng.integers(0, 3, n) * 400 * 86_400 * kernels.NS
    d = np.where(rng.random(n) < 0.5, 1, -1)
    got = kernels._sweep_sorted(g, t, d)
    want = np.lexsort((d, t, g))
    for a, b in zip(got, (g, t, d), strict=True):
        np.testing.assert_array_equal(a, b[want])


def _groups_by_masks(ctx, table, column, grid):
    """Context._groups as first written: period index, masks, `where`."""
    t = table.columns[column].values
    period = grid.index(t)
    placed = (period >= 0) & (t <= ctx.as_of)
    account = table.columns.get("account")
    if account is not None:
        if account.valid is not None:
            placed &= account.valid
        period = account.values.astype(np.int64) * len(grid.labels) + period
    return np.where(placed, period, -1)


@pytest.mark.parametrize("kind", ["monthly", "weekly", "daily"])
@pytest.mark.parametrize("zone", ["UTC", "America/Santiago"])
@pytest.mark.parametrize("in_order", [False, True])
def test_placing_by_lookup_equals_placing_by_masks(kind: str, zone: str, in_order: bool) -> None:
    """`Context._groups` (one searchsorted and a lookup table, or runs of records in time
    order) places every record where the plain mask-and-where version does: before the
    first period, after as-of, exactly on boundaries and as-of, for a stream with
    accounts and a shared one (a nullable account column is a compile error)."""
    from slagraph.engine.context import Context

    text = f"""
    stream ev {{ account: text, at: time }}
    stream shared {{ at: time }}
    sla s {{
        period {kind}
        timezone "{zone}"
        objective n = count(ev) >= 1
        objective m = count(shared) >= 1
    }}
    """
    model = slagraph.compile(text, "placing.sla")
    ir_model = model.ir
    rng = np.random.default_rng(11)
    base = np.datetime64("2026-01-01T00:00:00", "s").astype(np.int64)
    span = 120 * 86_400
    seconds = base + rng.integers(-30 * 86_400, span, 3000)
    grid_edges = np.array([base + 86_400 * k for k in range(0, 120, 7)])
    seconds[: len(grid_edges)] = grid_edges  # some exactly on day/week boundaries
    if in_order:  # as event logs usually come: `kernels.runs` instead of a search per record
        seconds = np.sort(seconds)
    at = [str(np.datetime64(int(s), "s")) + "Z" for s in seconds]
    accounts = rng.choice(["a", "b", "c"], len(at)).tolist()
    from slagraph.engine import load_for

    data = load_for(
        ir_model,
        {
            "ev": {"account": accounts, "at": at},
            "shared": {"at": at},
        },
    )
    as_of = int((base + 90 * 86_400) * kernels.NS)
    ctx = Context(ir_model, data, as_of, int(base * kernels.NS) - 40 * 86_400 * kernels.NS)
    grid = ctx.grid(kind, zone)
    for stream in ("ev", "shared"):
        table = data.tables[stream]
        everything = ctx._groups(table, "at", grid)
        np.testing.assert_array_equal(everything, _groups_by_masks(ctx, table, "at", grid))
        rows = np.flatnonzero(rng.random(len(table)) < 0.3)  # a filter's records only
        np.testing.assert_array_equal(ctx._groups(table, "at", grid, rows), everything[rows])
    # a filtered selection placed alone (its records only) or after the whole stream
    from slagraph.compiler import ir

    cut = int((base + 30 * 86_400) * kernels.NS)
    late = ir.Cmp(">=", ir.Column("at", "time"), ir.Const(cut, "time"))
    for stream in ("ev", "shared"):
        alone = Context(ir_model, data, as_of, ctx.lo).place(ir.Select(stream, late), "at", grid)
        after = Context(ir_model, data, as_of, ctx.lo)
        every = after.place(ir.Select(stream), "at", grid)
        shared = after.place(ir.Select(stream, late), "at", grid)
        np.testing.assert_array_equal(alone.rows, shared.rows)
        np.testing.assert_array_equal(alone.group, shared.group)
        assert 0 < len(alone.rows) < len(every.rows)


def test_text_predicates_on_strings_equal_predicates_on_codes() -> None:
    """A text column is kept as strings until something codes it (`Deferred`); a filter
    evaluated on the strings by Arrow must give the codes path's mask exactly: every
    operator (byte order is Python's `str` order, accents and ñ included), both operand
    sides, `in` / `not in`, nulls (false, and `not` flips them), across chunks."""
    from slagraph.compiler import ir
    from slagraph.data.schema import ColumnSpec, StreamSchema
    from slagraph.data.tables import EventTable
    from slagraph.data.validate import convert_column
    from slagraph.engine.predicates import evaluate_predicate

    rng = np.random.default_rng(5)
    words = ["api", "API", "apí", "año", "ano", "b", "", "zz", "Ñandú", "ñandú", None]
    picked = [words[i] for i in rng.integers(0, len(words), 2_000)]
    array = pa.chunked_array([pa.array(picked[:700]), pa.array(picked[700:])])
    spec = ColumnSpec("kind", "text", True)
    schema = StreamSchema("ev", (spec,))
    lazy, problems = convert_column(schema, spec, array, False)
    eager, _ = convert_column(schema, spec, array, False)
    assert not problems and lazy.source is not None and not lazy.source.done
    eager.source.get()  # coded: predicates take the codes path
    tables = {
        way: EventTable("ev", "<memory>", {"kind": column}, np.arange(len(picked)))
        for way, column in (("strings", lazy), ("codes", eager))
    }
    col = ir.Column("kind", "text")
    preds: list[ir.Predicate] = []
    for op in ("==", "!=", "<", "<=", ">", ">="):
        for word in ("api", "año", "Ñandú", "", "m"):
            const = ir.Const(word, "text")
            preds += [ir.Cmp(op, col, const), ir.Cmp(op, const, col)]
    preds += [
        ir.IsIn(col, ("api", "ñandú", "nope")),
        ir.IsIn(col, ("api", "ñandú"), negated=True),
        ir.Negate(ir.Cmp("==", col, ir.Const("b", "text"))),
    ]
    python_ops = {
        "==": str.__eq__,
        "!=": str.__ne__,
        "<": str.__lt__,
        "<=": str.__le__,
        ">": str.__gt__,
        ">=": str.__ge__,
    }
    for pred in preds:
        by_strings = evaluate_predicate(pred, tables["strings"])
        by_codes = evaluate_predicate(pred, tables["codes"])
        np.testing.assert_array_equal(by_strings, by_codes, err_msg=str(pred))
        if isinstance(pred, ir.Cmp) and isinstance(pred.right, ir.Const):
            fn, word = python_ops[pred.op], pred.right.value
            expected = [v is not None and bool(fn(v, word)) for v in picked]
            assert by_strings.tolist() == expected, pred
    assert not lazy.source.done  # nothing above needed the codes
    assert lazy.to_list() == picked  # coding on demand gives the values back


def test_time_bounds_found_while_loading_are_the_known_extremes() -> None:
    """Time columns carry their (earliest, latest) known value from the loader (Arrow's
    `min_max`), which the probe then reuses: they must be the extremes of the non-null
    values, and a column that as-of hides values in must not keep stale ones."""
    from slagraph.engine import _as_known_at, load_for
    from slagraph.engine.context import _column_extremes

    model = slagraph.compile(
        """
        stream ev { account: text, at: time, done: time? }
        sla s { objective n = count(ev) >= 1 }
        """,
        "bounds.sla",
    ).ir
    at = pa.array([5, 1, 9, 3], pa.timestamp("s", "UTC"))
    done = pa.array([None, 8000, None, 4000], pa.timestamp("ms", "UTC"))
    data = load_for(
        model, {"ev": pa.table({"account": ["a", "b", "a", "b"], "at": at, "done": done})}
    )
    columns = data.tables["ev"].columns
    assert columns["at"].bounds == (1 * kernels.NS, 9 * kernels.NS)
    assert columns["done"].bounds == (4 * kernels.NS, 8 * kernels.NS)
    for name in ("at", "done"):
        recomputed = _column_extremes(attrs.evolve(columns[name], bounds=None))
        assert recomputed == columns[name].bounds
    hidden = _as_known_at(model, data, 5 * kernels.NS, 9 * kernels.NS)
    done_then = hidden.tables["ev"].columns["done"]
    assert done_then.bounds is None and _column_extremes(done_then) == (4 * kernels.NS,) * 2


def test_malloc_tuned_once_on_glibc_and_left_alone_when_asked() -> None:
    """`process.tune_malloc` (the CLI's opt-in) sets glibc's thresholds once per process
    (True where libc is glibc, as on the Linux machines CI and users run);
    SLAGRAPH_MALLOC=system opts out. Run in child processes: this one stays untuned."""
    import os
    import platform
    import subprocess
    import sys

    is_glibc = platform.libc_ver()[0] == "glibc"
    code = "from slagraph import process; print(process.tune_malloc(), process.tune_malloc())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == [str(is_glibc)] * 2, out.stderr
    env = {**os.environ, "SLAGRAPH_MALLOC": "system"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False"], out.stderr
    env["SLAGRAPH_MALLOC"] = "off"  # not a choice: said, not ignored
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert "SLAGRAPH_MALLOC must be 'tuned' (the default) or 'system', got 'off'" in out.stderr


@pytest.mark.parametrize("seed", range(8))
def test_ranked_values_by_packed_keys_equal_python(seed: int) -> None:
    """min, max and nearest-rank percentiles per group pick from a packed sort
    (`kernels._packed`: the coarsest unit dividing the values' distances, int32 keys when they
    fit, int64 otherwise, the general sort when even int64 overflows); each path must
    pick what Python picks from the sorted values of each group."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 4000))
    size = [7, 3000, 70_000, 2**20][seed % 4]
    unit = [kernels.NS, 1_000_000, 1_000, 1][seed % 4]
    group = rng.integers(0, size, n)
    values = rng.integers(-(10**6), 10**6, n) * unit
    if seed >= 6:  # spans that overflow int64 keys: the general path
        values[: n // 2] = rng.integers(-(2**61), 2**61, n // 2)
    if seed == 4:
        values[0] += 1  # one value off the unit: a finer unit is used
    if seed == 5:
        values += 7  # all off the unit by the same: still whole units apart, the unit packs
    by_group: dict[int, list[int]] = {}
    for g, v in zip(group.tolist(), values.tolist(), strict=True):
        by_group.setdefault(g, []).append(v)
    for q in (0.5, 0.95, 0.99):
        got = kernels.group_percentile(group, values, size, q)
        for g, vs in by_group.items():
            vs = sorted(vs)
            rank = max(int(np.ceil(round(q * len(vs), 9))), 1)
            assert got[g] == float(vs[rank - 1])
    low, high = kernels.group_min(group, values, size), kernels.group_max(group, values, size)
    for g, vs in by_group.items():
        assert (low[g], high[g]) == (float(min(vs)), float(max(vs)))
    empty = np.setdiff1d(np.arange(size), group)
    assert np.isnan(low[empty]).all() and np.isnan(high[empty]).all()


@pytest.mark.parametrize("seed", range(6))
def test_unit_check_by_blocks_equals_whole_array_check(seed: int) -> None:
    """`kernels._whole` checks steps·unit == offset a block at a time; any block size
    must agree with the check on the whole array, wherever the odd value sits."""
    rng = np.random.default_rng(seed)
    offset = rng.integers(0, 10**6, int(rng.integers(0, 50))) * 1000
    if len(offset) and seed % 2:
        offset[int(rng.integers(0, len(offset)))] += 1
    steps = offset // 1000
    want = bool(np.array_equal(steps * 1000, offset))
    for block in (1, 3, 7, 64):
        assert kernels._whole(steps, 1000, offset, block) is want


def test_packing_refuses_spans_that_wrap_int64() -> None:
    """Values more than 2^63 apart would wrap in `t − low` and could still look divisible
    by the unit (2^64 − 10^9 apart here): min, max and interval sweeps must take the
    general path and give the true answer."""
    low = -(2**63) + 5
    high = low + 2**64 - 10**9  # both valid int64 instants
    v = np.array([low, high], np.int64)
    g = np.zeros(2, np.int64)
    assert kernels.group_min(g, v, 1)[0] == float(low)
    assert kernels.group_max(g, v, 1)[0] == float(high)
    acc, start, end = kernels.coverage(np.zeros(1, np.int64), v[:1], v[1:], 1)
    assert (acc.tolist(), start.tolist(), end.tolist()) == ([0], [low], [high])


def test_columns_nothing_reads_are_never_converted() -> None:
    """Typed timestamps and plain strings stay in Arrow until read (`Deferred`): after an
    evaluation that measures replies only, the `solved` column was checked (nulls, type,
    extremes) but never copied, the filter column never coded; both convert on demand."""
    from slagraph.engine import evaluate, load_for

    model = slagraph.compile(
        """
        stream tickets { account: text, channel: text, created: time, first_reply: time?,
                         solved: time? }
        sla s { objective fast = share(tickets where channel == "chat",
                                       first_reply - created <= 2m) >= 90% }
        """,
        "deferred.sla",
    ).ir
    ts = pa.timestamp("s", "UTC")
    table = pa.table(
        {
            "account": ["a", "b", "a"],
            "channel": ["chat", "email", "chat"],
            "created": pa.array([0, 60, 120], ts),
            "first_reply": pa.array([30, None, 400], ts),
            "solved": pa.array([None, 900, 800], ts),
        }
    )
    data = load_for(model, {"tickets": table})
    measured = [data.tables["tickets"].columns[c].source for c in ("created", "first_reply")]
    assert all(s is not None and s.done for s in measured)  # copied while loading
    result = evaluate(model, data, as_of="1970-01-02T00:00:00Z")
    fast = result.to_pandas().query("node == 's.fast'").set_index("account")["value"]
    assert fast["a"] == 0.5 and np.isnan(fast["b"])  # a: 30 s met, 280 s not; b: no chat
    solved, channel = (data.tables["tickets"].columns[c] for c in ("solved", "channel"))
    assert solved.source is not None and not solved.source.done
    assert channel.source is not None and not channel.source.done
    assert solved.bounds == (800 * kernels.NS, 900 * kernels.NS)
    assert solved.to_list()[1:] == [900 * kernels.NS, 800 * kernels.NS]
    assert solved.valid is not None and solved.valid.tolist() == [False, True, True]
    assert channel.to_list() == ["chat", "email", "chat"] and channel.source.done


def test_a_placeholder_date_far_before_the_data_is_warned(tmp_path) -> None:
    """One 1970-01-01 among 2026 tickets: the evaluation still runs as asked (every period
    from 1970), but says so, naming the stream, row, column and value; data whose times
    are spread evenly is not warned about."""
    import shutil
    import warnings

    from slagraph.errors import SlaWarning

    spec = Path(__file__).parent.parent / "examples" / "spec"
    data = tmp_path / "data"
    shutil.copytree(spec / "data", data)
    model = slagraph.load(spec / "model.sla")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.evaluate(data)  # as shipped: no warning
    tickets = (
        (data / "tickets.csv")
        .read_text()
        .replace("2026-01-01T15:11:40Z", "1970-01-01T00:00:00Z", 1)
    )
    (data / "tickets.csv").write_text(tickets)
    with pytest.warns(
        SlaWarning,
        match=r"^stream 'tickets', row 1, column 'created': the evaluation starts at 1970-01-01T00",
    ):
        model.evaluate(data)
