"""The benchmark peers compute what slagraph computes (benchmarks/peers.py).

On a small generated dataset (20 accounts × 3 months: overlapping, month-spanning and
still-open outages, open incidents and tickets, bursts), each peer — pandas, DuckDB,
Polars — must give slagraph's numbers for every node of benchmarks/spec_subset.sla:
values to 1e-9, `met` flags equal, credits equal, the master's score equal. Otherwise the
timings in docs/performance.md would compare different work.

DuckDB and Polars come with the `test` and `bench` extras; without them those two cases
skip and say so (~3.5 s in all with them).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import slagraph
from benchmarks import peers
from benchmarks.generate import generate

SUBSET = Path(__file__).resolve().parents[1] / "benchmarks" / "spec_subset.sla"


@pytest.fixture(scope="module")
def data():  # type: ignore[no-untyped-def]
    tables, as_of = generate(20_000, accounts=20, months=3, seed=7)
    return tables, as_of


@pytest.fixture(scope="module")
def expected(data) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    tables, as_of = data
    rows = slagraph.load(SUBSET).evaluate(tables, as_of=as_of).to_pandas()
    rows = rows[rows["node"].isin(peers.COVERED)]
    rows = rows[["account", "period", "node", "value", "met", "credit_pct", "score"]].copy()
    rows.loc[rows["node"] != "all", "score"] = np.nan  # peers score the master only
    return rows.sort_values(["account", "period", "node"]).reset_index(drop=True)


def test_data_has_the_hard_cases(data) -> None:  # type: ignore[no-untyped-def]
    tables, as_of = data
    o = tables["outages"].to_pandas()
    assert o["end"].isna().sum() >= 1  # still open at as-of
    month_end = o["start"].dt.month != (o["end"] - pd.Timedelta(1, "s")).dt.month
    assert month_end.sum() >= 1  # spans a month end
    o = o.dropna(subset=["end"]).sort_values(["account", "service", "start"])
    prev_end = o.groupby(["account", "service"])["end"].shift()
    assert (o["start"] < prev_end).sum() >= 1  # overlapping outages
    i = tables["incidents"].to_pandas()
    assert i["resolved"].isna().sum() >= 1 and i["responded"].isna().sum() >= 1
    assert tables["tickets"].to_pandas()["first_reply"].isna().sum() >= 1
    assert tables["crm_leads"].to_pandas()["contacted"].isna().sum() >= 1


def test_slagraph_covers_every_peer_node(expected) -> None:  # type: ignore[no-untyped-def]
    assert sorted(expected["node"].unique()) == peers.COVERED
    assert len(expected) == 20 * 3 * len(peers.COVERED)
    # a variety of outcomes, or the comparison proves little
    assert expected["met"].any() and not expected["met"].all()
    assert (expected["credit_pct"] > 0).any()
    assert expected["value"].notna().any()


def _available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


PEERS = [
    pytest.param("pandas", id="pandas"),
    pytest.param(
        "duckdb",
        id="duckdb",
        marks=pytest.mark.skipif(
            not _available("duckdb"),
            reason="duckdb not installed (pip install -e '.[test]')",
        ),
    ),
    pytest.param(
        "polars",
        id="polars",
        marks=pytest.mark.skipif(
            not _available("polars"),
            reason="polars not installed (pip install -e '.[test]')",
        ),
    ),
]


@pytest.mark.parametrize("name", PEERS)
def test_peer_equals_slagraph(name: str, data, expected) -> None:  # type: ignore[no-untyped-def]
    tables, as_of = data
    native = getattr(peers, f"prepare_{name}")(tables)
    wide = getattr(peers, f"{name}_peer")(native, as_of)
    assert list(wide.columns) == peers.COLUMNS
    got = peers.long_form(wide)
    assert len(got) == len(expected)
    for key in ("account", "period", "node"):
        assert (got[key].to_numpy() == expected[key].to_numpy()).all(), key
    for column in ("value", "credit_pct", "score"):
        a = got[column].to_numpy(dtype=float)
        b = expected[column].to_numpy(dtype=float)
        close = np.isclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True)
        assert close.all(), f"{name} {column}:\n{expected[~close].head(10)}\n{a[~close][:10]}"
    same = got["met"].to_numpy(dtype=bool) == expected["met"].to_numpy(dtype=bool)
    assert same.all(), f"{name} met:\n{expected[~same].head(10)}"


@pytest.mark.parametrize("name", PEERS)
def test_peer_from_parquet(name: str, data, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The read-and-evaluate entry points give the same frame as the in-memory ones."""
    from benchmarks.generate import write

    tables, as_of = data
    write(tables, tmp_path, ("parquet",))
    from_files = getattr(peers, f"{name}_parquet")(tmp_path, as_of)
    in_memory = getattr(peers, f"{name}_peer")(getattr(peers, f"prepare_{name}")(tables), as_of)
    pd.testing.assert_frame_equal(
        peers.long_form(from_files), peers.long_form(in_memory), check_dtype=False
    )
