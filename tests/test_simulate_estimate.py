"""A long `simulate` says what it will cost before the bulk of the runs: the estimate is
extrapolated from a short pilot chunk (slagraph/simulate: `estimate`), and the CLI prints
it on stderr when the run is long or large (docs/cli.md, simulate)."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import slagraph
import slagraph.simulate as simulation
from slagraph.cli import estimate_line, main
from slagraph.simulate import Estimate, estimate

ROOT = Path(__file__).resolve().parents[1]
MODEL = str(ROOT / "examples" / "spec" / "model.sla")
DATA = str(ROOT / "examples" / "spec" / "data")


def test_estimate_extrapolates_the_pilot() -> None:
    """200,000 runs × 40 accounts from a 250-run pilot of 1 s: the rest at the pilot's
    rate; memory = before + the scaled working set + what each run keeps."""
    mib = 2**20
    e = estimate(200_000, 40, 250, 1.0, 960, 300 * mib, 310 * mib, 5_000)
    assert e.seconds == pytest.approx(199_750 / 250)
    working = simulation.WORKING_FACTOR * 10 * mib * 5_000 / 250
    assert e.bytes == int(300 * mib + working + simulation.KEPT_FACTOR * 200_000 * 960)
    assert doctest.testmod(simulation).failed == 0


def test_estimate_line_reads_as_documented() -> None:
    e = Estimate(runs=200_000, accounts=40, pilot_runs=273, seconds=185.0, bytes=1288490189)
    assert estimate_line(e) == (
        "simulating 200,000 runs × 40 accounts: about 3 min more, 1.2 GiB "
        "(estimated from the first 273 runs)"
    )


def test_the_cli_prints_the_estimate_when_over_the_threshold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A small run with the threshold set to 0 by the documented variable."""
    monkeypatch.setenv("SLAGRAPH_ESTIMATE_SECONDS", "0")
    args = ["simulate", MODEL, "--data", DATA, "--runs", "400", "--format", "jsonl"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0
    assert re.fullmatch(
        r"simulating 400 runs × 4 accounts: about \d+ (s|min) more, [\d.]+ (MiB|GiB) "
        r"\(estimated from the first \d+ runs\)\n",
        result.stderr,
    )


def test_a_short_run_prints_no_estimate() -> None:
    """In a process of its own, as the command runs: the estimate counts what the
    process holds, and a test runner's process can hold more than a gigabyte by itself."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "SLAGRAPH_ESTIMATE_SECONDS"}
    args = ["simulate", MODEL, "--data", DATA, "--runs", "400", "--format", "jsonl"]
    done = subprocess.run(
        [sys.executable, "-m", "slagraph", *args], capture_output=True, text=True, env=env
    )
    assert (done.returncode, done.stderr) == (0, "")


def test_the_pilot_is_part_of_the_result() -> None:
    """With `on_estimate` the first chunk is a short pilot; the runs are the same ones:
    only the order floats are summed in changes."""
    model = slagraph.load(MODEL)
    seen: list[Estimate] = []
    plain = model.simulate(DATA, runs=300, seed=2)
    piloted = model.simulate(DATA, runs=300, seed=2, on_estimate=seen.append)
    assert len(seen) == 1 and seen[0].pilot_runs < 300
    for a, b in zip(plain.rows(), piloted.rows(), strict=True):
        assert a.keys() == b.keys()
        for key, value in a.items():
            if isinstance(value, float):
                assert b[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key
            else:
                assert b[key] == value, key


def test_a_bad_threshold_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLAGRAPH_ESTIMATE_SECONDS", "soon")
    args = ["simulate", MODEL, "--data", DATA, "--runs", "400", "--format", "jsonl"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 2
    assert "SLAGRAPH_ESTIMATE_SECONDS must be a number of seconds, got 'soon'" in result.stderr


def test_a_host_that_peaked_earlier_does_not_inflate_the_estimate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The process's peak RSS may come from the host's own work long before (it did in
    the test suite: 15 GiB estimated for 400 runs); the pilot counts it only if the
    pilot itself raised it."""
    monkeypatch.setattr(simulation, "_peak_bytes", lambda: 64 * 2**30)
    seen: list[Estimate] = []
    slagraph.load(MODEL).simulate(DATA, runs=400, on_estimate=seen.append)
    assert seen[0].bytes < 4 * 2**30
