"""Output is written in bounded, checked chunks: a full disk or a short write ends in an
error on stderr and exit 1, never in truncated output and exit 0 (one write of over
2 GiB is cut short by the kernel)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from slagraph import cli
from slagraph.cli import common

ROOT = Path(__file__).parent.parent
EVAL = ["eval", "examples/spec/model.sla", "--data", "examples/spec/data", "--format", "jsonl"]


def test_a_full_disk_is_an_error_not_exit_0() -> None:
    code = "from slagraph.cli import main; main()"
    with open("/dev/full", "wb") as full:
        out = subprocess.run(
            [sys.executable, "-c", code, *EVAL],
            cwd=ROOT,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert out.returncode == 1
    assert out.stderr == (
        "error: cannot write output: No space left on device; what was written is incomplete\n"
    )


class _Short(io.RawIOBase):
    """A stream that takes at most 7 bytes a write, then fails after `limit` bytes."""

    def __init__(self, limit: int) -> None:
        self.data = bytearray()
        self.limit = limit

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:  # type: ignore[override]
        if len(self.data) >= self.limit:
            raise OSError(28, "No space left on device")
        taken = bytes(b[:7])
        self.data += taken
        return len(taken)


class _Stdout:
    def __init__(self, raw: _Short) -> None:
        self.buffer = raw

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        raise io.UnsupportedOperation


def test_short_writes_are_resumed_and_every_byte_arrives(monkeypatch) -> None:
    raw = _Short(limit=10**9)
    monkeypatch.setattr(sys, "stdout", _Stdout(raw))
    monkeypatch.setattr(common, "WRITE_CHUNK", 100)
    text = "".join(f"línea {i}\n" for i in range(1000))
    common.emit(text)
    assert raw.data.decode("utf-8") == text


def test_a_failing_write_exits_1(monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "stdout", _Stdout(_Short(limit=50)))
    with pytest.raises(SystemExit) as stop:
        common.emit("x" * 1000)
    assert stop.value.code == 1


def test_running_out_of_memory_says_how_much_and_what_to_split(monkeypatch) -> None:
    from click.testing import CliRunner

    import slagraph

    def exhausted(*args, **kwargs):
        raise MemoryError("Unable to allocate 7.45 GiB for an array with shape (1000000000,)")

    monkeypatch.setattr(slagraph.Model, "evaluate", exhausted)
    result = CliRunner().invoke(cli.main, EVAL, catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "error: out of memory (Unable to allocate 7.45 GiB for an array with shape "
        "(1000000000,)); evaluate the data in parts"
    )


def test_ctrl_c_is_exit_130_with_no_traceback(monkeypatch) -> None:
    from click.testing import CliRunner

    import slagraph

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(slagraph.Model, "evaluate", interrupted)
    result = CliRunner().invoke(cli.main, EVAL, catch_exceptions=False)
    assert (result.exit_code, result.stderr, result.stdout) == (130, "interrupted\n", "")
