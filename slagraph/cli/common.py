"""What every command shares: error handling and exit codes, checked output, the common
options, and how statuses, values and periods are shown."""

from __future__ import annotations

import datetime as dt
import errno
import functools
import io
import os
import sys
import warnings
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

import slagraph
from slagraph import process
from slagraph.errors import SlaError, SlaUsageError, SlaWarning

if TYPE_CHECKING:
    from rich.console import Console


class _ErrConsole:
    """stderr's rich `Console`, made on first use: importing rich and sizing a console
    is a large share of `slagraph --version` and of a `check` that prints no error."""

    @functools.cached_property
    def console(self) -> Console:
        from rich.console import Console

        return Console(stderr=True, highlight=False, soft_wrap=True)

    def print(self, *objects: Any, **kwargs: Any) -> None:
        self.console.print(*objects, **kwargs)

    @property
    def is_terminal(self) -> bool:
        return self.console.is_terminal


err = _ErrConsole()


def stdout_console() -> Console:
    """The console tables print to; piped, wide enough that nothing is cut and without
    colour codes."""
    from rich.console import Console

    out = Console(highlight=False)
    if not out.is_terminal:
        out = Console(highlight=False, width=200, color_system=None)
    return out


def guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn slagraph errors into a message on stderr and exit code 1 (2 for usage)."""

    @wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            with warnings.catch_warnings():  # restores the hooks below on the way out
                warnings.simplefilter("always", SlaWarning)
                warnings.showwarning = _show_warning
                return func(*args, **kwargs)
        except SlaUsageError as error:
            err.print(f"[red]error:[/red] {error}", markup=True)
            sys.exit(2)
        except SlaError as error:
            err.print(str(error), markup=False)
            sys.exit(1)
        except MemoryError as error:
            detail = f" ({error})" if str(error) else ""
            err.print(
                f"error: out of memory{detail}; evaluate the data in parts: accounts are "
                "independent, so split the largest stream's file by account and "
                "concatenate the outputs",
                markup=False,
            )
            sys.exit(1)
        except KeyboardInterrupt:
            err.print("interrupted", markup=False)
            sys.exit(130)

    return run


def load_model(file: Path) -> slagraph.Model:
    """`slagraph.load`, with the process tuning the CLI opts in to (slagraph/process.py):
    the library itself never changes its host's malloc or garbage collector."""
    process.tune_malloc()
    with process.gc_paused():
        return slagraph.load(file)


_plain_showwarning = warnings.showwarning


def _show_warning(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
    """slagraph's own warnings as one line on stderr; any other as Python shows it."""
    if issubclass(category, SlaWarning):
        from rich.markup import escape

        err.print(f"[yellow]warning:[/yellow] {escape(str(message))}", markup=True)
    else:
        _plain_showwarning(message, category, *args, **kwargs)


WRITE_CHUNK = 1 << 20  # characters per write: far below any single write()'s limit


class _Checked:
    """stdout's binary buffer, each write resumed until every byte is out (one write of
    over 2 GiB is cut short by the kernel, a pipe may take less) and bounded in size."""

    def __init__(self, out: Any) -> None:
        self.out = out

    def write(self, data: bytes | memoryview) -> None:
        whole = memoryview(data).cast("B")
        for at in range(0, len(whole), WRITE_CHUNK):
            view = whole[at : at + WRITE_CHUNK]
            while view:
                written = self.out.write(view)
                if written is None or written <= 0:
                    raise OSError(errno.EIO, "short write")
                view = view[written:]


def emit_with(write: Callable[[Any], None]) -> None:
    """Let `write(out)` write the output to stdout, every write checked: a full disk or a
    closed pipe ends in an error and exit 1, never in truncated output and exit 0."""
    try:
        sys.stdout.flush()
        write(_Checked(sys.stdout.buffer))
        sys.stdout.buffer.flush()
    except OSError as error:
        silence_stdout()
        reason = error.strerror or str(error)
        err.print(f"error: cannot write output: {reason}; what was written is incomplete")
        sys.exit(1)


def emit(text: str) -> None:
    """Write `text` to stdout (as `emit_with`), encoded a bounded chunk at a time."""

    def write(out: _Checked) -> None:
        for at in range(0, len(text), WRITE_CHUNK):
            out.write(text[at : at + WRITE_CHUNK].encode("utf-8"))

    emit_with(write)


def silence_stdout() -> None:
    """After a failed write, point stdout at /dev/null so that the interpreter's own flush
    at exit does not fail again with a traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


FILE = click.Path(dir_okay=False, path_type=Path)


def report_skipped(bad_rows: dict[str, int]) -> None:
    """On stderr, what `--on-bad-rows skip` left out, per stream (nothing is dropped silently)."""
    for stream, count in sorted(bad_rows.items()):
        err.print(
            f"skipped {count} bad row{'s' if count != 1 else ''} in stream '{stream}'", markup=False
        )


STATUS_STYLE = {"met": "green", "at_risk": "yellow", "breached": "bold red", "no_data": "dim"}

IN_PROGRESS_LEGEND = (
    "* in progress: the period ends after as-of; its statuses and credits are what would "
    "apply if it ended now, and nothing is owed for it yet"
)


def period_label(row: dict[str, Any]) -> str:
    """A period label, starred while the period is in progress (`final: false`)."""
    return row["period"] if row.get("final", True) else f"{row['period']}*"


def print_as_of(as_of: int | None) -> None:
    """The as-of used, on stderr (table formats): a default as-of is chosen from the data."""
    if as_of is None:
        return
    seconds, frac = divmod(int(as_of), 1_000_000_000)
    text = dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        text += f".{frac:09d}".rstrip("0")
    err.print(f"as of {text}Z", markup=False)


def fmt_value(row: dict[str, Any], key: str) -> str:
    value = row[key] if key != "value" or row["kind"] == "objective" else row["score"]
    if value is None:
        return ""
    unit = row.get("unit")
    if row["kind"] != "objective" or unit == "ratio":
        return f"{value:.3%}"
    if unit == "duration":
        return duration_text(value)
    return f"{value:,.6g}"


def duration_text(seconds: float) -> str:
    s = int(round(seconds))
    parts = [(s // 86400, "d"), (s % 86400 // 3600, "h"), (s % 3600 // 60, "m"), (s % 60, "s")]
    text = "".join(f"{n}{u}" for n, u in parts if n)
    return text or "0s"


class DataSource(click.ParamType):
    """`--data`: an existing folder or file, or a `postgresql://` URI passed through as
    it is (shown with its password hidden if it is wrong)."""

    name = "source"
    _path = click.Path(exists=True, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and value.startswith(("postgresql://", "postgres://")):
            return value
        return self._path.convert(value, param, ctx)


DATA = DataSource()
data_option = click.option(
    "--data",
    "source",
    required=True,
    type=DATA,
    help="Folder of NAME.csv/.parquet/.jsonl files, a SQLite or DuckDB file, or a "
    "postgresql:// URI.",
)
as_of_option = click.option("--as-of", help="Evaluate as of this time (ISO 8601 with offset).")
from_option = click.option("--from", "start", help="First period to report, e.g. 2026-01.")
to_option = click.option("--to", "end", help="Last period to report, e.g. 2026-03.")
format_option = click.option(
    "--format",
    "fmt_",
    type=click.Choice(["table", "json", "jsonl", "csv"]),
    default="table",
    show_default=True,
)
bad_rows_option = click.option(
    "--on-bad-rows", type=click.Choice(["error", "skip"]), default="error", show_default=True
)


def threads_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """`--threads N`: the threads the command may use (default: the CPUs, at most 8, or
    `SLAGRAPH_THREADS`), applied as the runtime of every call the command makes."""

    @wraps(func)
    def run(*args: Any, threads: int | None, **kwargs: Any) -> Any:
        from slagraph import runtime

        with runtime.using(threads=threads):
            return func(*args, **kwargs)

    return click.option(
        "--threads",
        type=click.IntRange(min=1),
        default=None,
        help="Threads to use at most (default: CPUs, at most 8; or SLAGRAPH_THREADS).",
    )(run)


def dask_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """`--workers N` (a local Dask cluster of N processes, one thread each) or
    `--scheduler ADDRESS` (an existing one): the command gets `client=` (None without
    either), connected for the command's duration (docs/distributed.md)."""

    @wraps(func)
    def run(*args: Any, workers: int | None, scheduler: str | None, **kwargs: Any) -> Any:
        if workers is not None and scheduler is not None:
            raise SlaUsageError("give --workers or --scheduler, not both")
        if workers is None and scheduler is None:
            return func(*args, client=None, **kwargs)
        from slagraph import distributed

        with distributed.cluster(workers, scheduler) as client:
            return func(*args, client=client, **kwargs)

    run = click.option(
        "--scheduler",
        metavar="ADDRESS",
        help="Evaluate on the Dask cluster of this scheduler, e.g. tcp://10.0.0.5:8786.",
    )(run)
    return click.option(
        "--workers",
        type=click.IntRange(min=1),
        default=None,
        help="Evaluate on a local Dask cluster of N worker processes (needs slagraph[dask]).",
    )(run)


def partition_progress() -> Any:
    """A context giving `progress(done, total)` for partitions evaluated on Dask: a bar
    on stderr when it is a terminal, else nothing shown."""
    import contextlib

    @contextlib.contextmanager
    def bar() -> Any:
        if not err.is_terminal:
            yield None
            return
        from rich.progress import BarColumn, Progress, TextColumn

        columns = (
            TextColumn("evaluating"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} partitions"),
        )
        with Progress(*columns, console=err.console, transient=True) as shown:
            task = shown.add_task("partitions", total=None)
            yield lambda done, total: shown.update(task, completed=done, total=total)

    return bar()
