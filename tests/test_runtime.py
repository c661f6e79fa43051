"""The runtime boundary (slagraph/runtime.py): the caller bounds the threads a call uses.

Thread starts are counted on the real `threading.Thread.start`; the data is large enough
(≥ `PARALLEL_MIN_RECORDS` records) that the default runtime does use worker threads.
"""

from __future__ import annotations

import threading
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

import slagraph
from slagraph import runtime

MODEL = """
stream incidents { account: text, priority: text, opened: time, resolved: time? }
sla desk {
    objective fix = share(incidents where priority == "P1", resolved - opened <= 4h) >= 90%
    objective n   = count(incidents) >= 10
    objective avg = mean(incidents, resolved - opened) <= 3h
}
"""
N = 300_000


def data() -> dict[str, Any]:
    rng = np.random.default_rng(7)
    opened = np.datetime64("2026-01-01T00:00:00", "s") + rng.integers(0, 90 * 86400, N)
    resolved = opened + rng.integers(0, 8 * 3600, N)
    accounts = np.array([f"acct{i:02d}" for i in range(40)], dtype=object)
    return {
        "incidents": {
            "account": accounts[rng.integers(0, 40, N)].tolist(),
            "priority": np.array(["P1", "P2", "P3"], dtype=object)[rng.integers(0, 3, N)].tolist(),
            "opened": opened.astype("datetime64[ns]").astype("int64").tolist(),
            "resolved": resolved.astype("datetime64[ns]").astype("int64").tolist(),
        }
    }


@pytest.fixture(scope="module")
def model_and_data() -> tuple[slagraph.Model, Any]:
    model = slagraph.compile(MODEL)
    raw = data()
    import pyarrow as pa

    table = pa.table(
        {
            "account": raw["incidents"]["account"],
            "priority": raw["incidents"]["priority"],
            "opened": pa.array(raw["incidents"]["opened"], pa.timestamp("ns", tz="UTC")),
            "resolved": pa.array(raw["incidents"]["resolved"], pa.timestamp("ns", tz="UTC")),
        }
    )
    return model, {"incidents": table}


class CountingStarts:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started: list[str] = []
        original = threading.Thread.start

        def start(thread: threading.Thread) -> None:
            self.started.append(thread.name)
            original(thread)

        monkeypatch.setattr(threading.Thread, "start", start)


def test_one_thread_starts_no_thread(model_and_data, monkeypatch) -> None:
    model, frames = model_and_data
    expected = model.evaluate(frames).rows()
    starts = CountingStarts(monkeypatch)
    rows = model.evaluate(frames, threads=1).rows()
    assert starts.started == []
    assert rows == expected


def test_threads_bound_the_pool_and_none_outlive_the_call(model_and_data, monkeypatch) -> None:
    model, frames = model_and_data
    before = threading.active_count()
    starts = CountingStarts(monkeypatch)
    model.evaluate(frames, threads=2)
    slagraph_threads = [n for n in starts.started if n.startswith("slagraph")]
    assert slagraph_threads, "a call on this much data uses its threads"
    assert len(set(slagraph_threads)) <= 2 * 3  # at most 2 per step (load, extremes, walk)
    assert threading.active_count() == before


class Recording(Executor):
    """A caller's executor that runs tasks on its own pool and counts them."""

    def __init__(self, workers: int) -> None:
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="host")
        self.tasks = 0
        self.lock = threading.Lock()

    def submit(self, fn, /, *args, **kwargs) -> Future:  # type: ignore[override]
        with self.lock:
            self.tasks += 1
        return self.pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, **kwargs: Any) -> None:
        self.pool.shutdown(wait)


def test_the_caller_s_executor_does_the_work(model_and_data, monkeypatch) -> None:
    model, frames = model_and_data
    expected = model.evaluate(frames, threads=1).rows()
    host = Recording(1)  # one worker: nested work must stay inline, never deadlock
    try:
        host.submit(lambda: None).result()  # its thread exists before we count
        starts = CountingStarts(monkeypatch)
        rows = model.evaluate(frames, executor=host).rows()
        again = model.whatif(frames, ['drop incidents where priority == "P3"'], executor=host)
    finally:
        host.shutdown()
    assert host.tasks > 1
    assert [n for n in starts.started if n.startswith("slagraph")] == []
    assert rows == expected
    assert again.rows()


def test_one_model_in_eight_threads(model_and_data) -> None:
    model, frames = model_and_data
    expected = model.evaluate(frames, threads=1).rows()
    results: list[Any] = [None] * 8
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            results[i] = model.evaluate(frames, threads=1).rows()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(r == expected for r in results)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"threads": 0}, "threads must be a whole number ≥ 1, got 0"),
        ({"threads": 2.5}, "threads must be a whole number ≥ 1, got 2.5"),
        ({"threads": 2, "executor": ThreadPoolExecutor(1)}, "not both"),
        ({"executor": object()}, "executor must be a concurrent.futures.Executor"),
    ],
)
def test_bad_runtime_arguments_are_usage_errors(kwargs, message) -> None:
    model = slagraph.compile(MODEL)
    with pytest.raises(slagraph.SlaUsageError) as error:
        model.evaluate(
            {"incidents": {"account": [], "priority": [], "opened": [], "resolved": []}},
            as_of="2026-01-01T00:00:00Z",
            **kwargs,
        )
    assert message in str(error.value)


def test_no_runtime_is_left_behind_after_a_call(model_and_data) -> None:
    model, frames = model_and_data
    model.evaluate(frames, threads=1)
    assert runtime.current().threads is None and runtime.current().executor is None


def test_cli_threads_option_sets_the_runtime_of_the_command(tmp_path) -> None:
    import click
    from click.testing import CliRunner

    from slagraph.cli.common import threads_option

    seen: list[int | None] = []

    @click.command()
    @threads_option
    def probe() -> None:
        seen.append(runtime.current().threads)

    runner = CliRunner()
    assert runner.invoke(probe, ["--threads", "3"]).exit_code == 0
    assert runner.invoke(probe, []).exit_code == 0
    bad = runner.invoke(probe, ["--threads", "0"])
    assert bad.exit_code == 2 and "--threads" in bad.output
    assert seen == [3, None]
    assert runtime.current().threads is None  # nothing left set after the command


def test_cli_eval_threads_give_the_same_bytes(tmp_path) -> None:
    from click.testing import CliRunner

    from slagraph.cli import main

    model = tmp_path / "m.sla"
    model.write_text(MODEL)
    folder = tmp_path / "data"
    folder.mkdir()
    rows = data()["incidents"]
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "account": rows["account"],
            "priority": rows["priority"],
            "opened": pa.array(rows["opened"], pa.timestamp("ns", "UTC")),
            "resolved": pa.array(rows["resolved"], pa.timestamp("ns", "UTC")),
        }
    )
    pq.write_table(table, folder / "incidents.parquet")
    runner = CliRunner()
    outputs = []
    for threads in ("1", "2"):
        args = ["eval", str(model), "--data", str(folder), "--format", "jsonl"]
        result = runner.invoke(main, [*args, "--threads", threads])
        assert result.exit_code == 0, result.output
        outputs.append(result.stdout_bytes)
    assert outputs[0] == outputs[1] and outputs[0].count(b"\n") > 100
