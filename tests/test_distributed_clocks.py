"""Models with clocks on Dask: accounts that share an item (a ticket moving between
groups) are kept in one partition, so rows and bad-row counts are those of one process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import distributed
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import slagraph
from slagraph import distributed as dist

ROOT = Path(__file__).resolve().parents[1]
SERVICENOW = ROOT / "examples" / "servicenow"

MODEL = """
stream updates { number: text, state: text, group: text?, at: time } account from group
clock resolution on updates per number by at {
    start when state == "New"
    pause when state == "Waiting"
    stop when state == "Closed"
}
sla desk {
    period monthly
    timezone "UTC"
    objective fast = share(resolution, elapsed <= 4h) >= 60%
    objective many = count(resolution) >= 5
}
"""


def _updates(tickets: int = 300, groups: int = 24, seed: int = 5) -> pd.DataFrame:
    """Tickets of `groups` groups; every fifth moves from group 2k to 2k+1 (so those two
    must share a partition), some updates name no group, one ticket never names one,
    and a few rows are bad (a time that is no time)."""
    rng = np.random.default_rng(seed)
    rows = []
    start = pd.Timestamp("2026-01-01T00:00:00Z")
    for t in range(tickets):  # building the test data, not the code under test
        g = int(rng.integers(groups))
        moved = g - g % 2 + 1 if t % 5 == 0 else g
        opened = start + pd.Timedelta(minutes=int(rng.integers(0, 60 * 24 * 80)))
        steps = [("New", g), ("Waiting", None), ("Active", moved), ("Closed", None)]
        if t == 7:
            steps = [("New", None), ("Closed", None)]
        at = opened
        for state, group in steps:
            rows.append((f"T{t:04d}", state, None if group is None else f"g{group:02d}", at))
            at = at + pd.Timedelta(minutes=int(rng.integers(5, 300)))
    frame = pd.DataFrame(rows, columns=["number", "state", "group", "at"])
    frame["at"] = frame["at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    frame.loc[[11, 230, 777], "at"] = "not a time"
    return frame.sample(frac=1.0, random_state=3).reset_index(drop=True)  # mixed order


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def model() -> slagraph.Model:
    return slagraph.compile(MODEL)


@pytest.fixture(scope="module", params=["csv", "parquet", "memory"])
def data(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    frame = _updates()
    if request.param == "memory":
        return {"updates": frame}
    folder = tmp_path_factory.mktemp(request.param)
    if request.param == "csv":
        frame.to_csv(folder / "updates.csv", index=False)
    else:
        pq.write_table(pa.Table.from_pandas(frame), folder / "updates.parquet", row_group_size=64)
    return str(folder)


def test_plan_keeps_accounts_of_one_item_together(model: slagraph.Model, data: Any) -> None:
    found = dist.plan(model.ir, data, 8)
    assert len(found.subsets) == 8  # cut, not one partition
    where = {a: i for i, s in enumerate(found.subsets) for a in s.accounts.to_pylist()}
    frame = _updates()
    linked = frame.dropna(subset=["group"]).groupby("number")["group"].unique()
    assert (linked.map(len) > 1).sum() > 20  # tickets that moved
    for groups in linked:
        assert len({where[g] for g in groups}) == 1, groups
    assert len(where) == 24


def test_clock_model_gives_one_process_rows_and_bad_rows(
    model: slagraph.Model, data: Any, client: Any
) -> None:
    options: dict[str, Any] = {"as_of": "2026-04-01T00:00:00Z", "on_bad_rows": "skip"}
    with pytest.warns(slagraph.SlaWarning, match="name no account"):
        one = model.evaluate(data, **options)
    spread = model.evaluate(data, client=client, **options)
    assert {"updates": 3} == one.bad_rows == spread.bad_rows
    assert one.to_jsonl() == spread.to_jsonl()
    account = "g03"
    assert (
        one.explain(account, "2026-02", None, None).to_dict()
        == spread.explain(account, "2026-02", None, None).to_dict()
    )


def test_servicenow_example_on_dask(client: Any) -> None:
    """The real export: incidents move between assignment groups, so much that every
    group is linked to every other through some incident: one partition, same rows."""
    model = slagraph.load(SERVICENOW / "model.sla")
    data = str(SERVICENOW / "data")
    options: dict[str, Any] = {"as_of": "2017-03-01T00:00:00Z", "on_bad_rows": "skip"}
    with pytest.warns(slagraph.SlaWarning):
        one = model.evaluate(data, **options)
    spread = model.evaluate(data, client=client, **options)
    assert 1 == len(dist.plan(model.ir, data, 8).subsets)
    assert one.bad_rows == spread.bad_rows
    assert one.to_jsonl() == spread.to_jsonl()
