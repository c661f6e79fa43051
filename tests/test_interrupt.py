"""Ctrl-C: the command exits 130 with `interrupted` on stderr and no traceback, whenever
the interrupt comes: during start-up (the imports of numpy, pyarrow and pandas take about
a second) or while the command runs; never 0 (docs/cli.md, Exit codes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from slagraph import cli

ROOT = Path(__file__).resolve().parents[1]
MODEL = str(ROOT / "examples" / "spec" / "model.sla")
DATA = str(ROOT / "examples" / "spec" / "data")
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
COMMAND = [sys.executable, "-m", "slagraph", "eval", MODEL, "--data", DATA]


def _interpreter_start() -> float:
    """How long this machine's Python takes before it runs a module's first line: the
    window no program controls (slagraph/__main__.py). Under load it can exceed 50 ms."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], env=ENV, check=True)
    return time.perf_counter() - began


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX")
@pytest.mark.parametrize("delay", [0.05, 0.1, 0.2, 0.4, 0.7, 1.0])
def test_ctrl_c_at_any_moment_exits_130_without_traceback(delay: float) -> None:
    delay = max(delay, 3 * _interpreter_start())
    child = subprocess.Popen(COMMAND, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(delay)
    finished = child.poll() is not None
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert not finished, f"the command ended within {delay:.2f} s: make it longer"
    stderr = err.decode()
    assert "Traceback" not in stderr
    # `as of …` (table format, docs/cli.md) may already be on stderr when the Ctrl-C
    # comes; nothing else may be, and `interrupted` is the last line
    lines = stderr.splitlines()
    assert child.returncode == 130 and lines[-1:] == ["interrupted"], stderr
    assert all(line.startswith("as of ") for line in lines[:-1]), stderr
    assert out == b""


def test_an_interrupt_swallowed_by_the_command_still_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A library may catch the KeyboardInterrupt and carry on (pyarrow's lazy `import
    pandas` runs in a Cython function that prints and drops exceptions); the command then
    completes, but `run` remembers the Ctrl-C and exits 130, not 0."""
    previous = signal.getsignal(signal.SIGINT)
    monkeypatch.setattr(sys, "argv", ["slagraph", "check", MODEL])
    monkeypatch.setattr(cli, "_interrupted", True)  # as `_on_interrupt` leaves it
    try:
        with pytest.raises(SystemExit) as done:
            cli.run()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert done.value.code == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_run_exits_0_without_an_interrupt(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    previous = signal.getsignal(signal.SIGINT)
    monkeypatch.setattr(sys, "argv", ["slagraph", "check", MODEL])
    try:
        with pytest.raises(SystemExit) as done:
            cli.run()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("ok: ")


def test_import_slagraph_loads_nothing_heavy() -> None:
    """The entry point installs its handler right after `import slagraph`: that import
    must not pull numpy, pyarrow or pandas in (the public names load on first use)."""
    code = (
        "import sys, slagraph, slagraph.__main__; "
        "print(sorted({'numpy', 'pyarrow', 'pandas', 'click'} & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=ENV, capture_output=True, text=True, check=True
    )
    assert done.stdout == "[]\n"
