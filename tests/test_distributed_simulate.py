"""`simulate` on Dask (slagraph/distributed/): the runs cut into contiguous ranges,
simulated on a real local cluster, merged into the same rows as one process, to the bit."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import slagraph
from slagraph import distributed
from slagraph.cli import main
from slagraph.distributed import task_pieces
from slagraph.engine import load_for
from slagraph.simulate import chunk_bounds
from slagraph.simulate import simulate as simulate_one

SPEC = Path(__file__).resolve().parent.parent / "examples" / "spec"


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    with distributed.cluster(workers=2) as c:
        yield c


@pytest.mark.parametrize("method", ["bootstrap", "poisson"])
def test_the_same_rows_as_one_process(client, method: str) -> None:  # type: ignore[no-untyped-def]
    model = slagraph.load(SPEC / "model.sla")
    data = str(SPEC / "data")
    one = model.simulate(data, runs=40, seed=3, method=method)
    on_dask = model.simulate(data, runs=40, seed=3, method=method, client=client)
    assert on_dask.to_jsonl() == one.to_jsonl()


def test_chunks_cut_between_tasks_sum_as_one_process(client) -> None:  # type: ignore[no-untyped-def]
    """One process's chunks (7 runs) cut across 5 tasks, and a pilot chunk first."""
    model = slagraph.load(SPEC / "model.sla")
    data = str(SPEC / "data")
    for pilot in (False, True):
        one = simulate_one(
            model.ir,
            data,
            runs=40,
            seed=3,
            chunk=7 if not pilot else 40,
            on_estimate=(lambda e: None) if pilot else None,
        )
        on_dask = distributed.simulate(
            model.ir,
            data,
            client,
            runs=40,
            seed=3,
            chunk=7 if not pilot else 40,
            pilot=pilot,
            tasks=5,
        )
        assert on_dask.to_jsonl() == one.to_jsonl()


def test_task_pieces_cover_every_run_once() -> None:
    bounds = chunk_bounds(40, 7, True)
    assert bounds[0] == (0, 1)
    for tasks in (1, 3, 8, 40, 100):
        pieces = [p for mine in task_pieces(bounds, tasks) for p in mine]
        assert [(lo, hi) for _, lo, hi, _ in pieces][0][0] == 0
        runs = [r for _, lo, hi, _ in pieces for r in range(lo, hi)]
        assert runs == list(range(40))


def test_cli_workers_gives_the_same_output() -> None:
    args = ["simulate", str(SPEC / "model.sla"), "--data", str(SPEC / "data"), "--runs", "40"]
    args += ["--seed", "3", "--format", "jsonl"]
    runner = CliRunner()
    one = runner.invoke(main, args)
    assert one.exit_code == 0, one.output
    on_dask = runner.invoke(main, [*args, "--workers", "2"])
    assert on_dask.exit_code == 0, on_dask.output
    assert on_dask.stdout == one.stdout


def test_an_open_dataset_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    model = slagraph.load(SPEC / "model.sla")
    dataset = load_for(model.ir, str(SPEC / "data"), "error")
    with pytest.raises(slagraph.SlaUsageError, match="on Dask"):
        model.simulate(dataset, runs=4, client=client)


def test_a_mapping_of_tables_with_changes(client) -> None:  # type: ignore[no-untyped-def]
    """In-memory tables are shipped to the workers; changes are applied there alike."""
    from tests.test_simulate import AS_OF, MODEL, as_input, reference_data

    model = slagraph.compile(MODEL)
    data = as_input(reference_data(3))
    options = dict(runs=30, seed=4, as_of=AS_OF, changes=["drop outages"], method="poisson")
    one = model.simulate(data, **options)
    assert model.simulate(data, client=client, **options).to_jsonl() == one.to_jsonl()
