"""The `slagraph` command. Thin: parse arguments, call the public API, print.

Exit codes (SPEC §4): 0 success, 1 DSL or data error, 2 usage error. A `SlaError` is
printed as its message (with location and caret); no traceback reaches the user.
"""

from __future__ import annotations

import datetime as dt
import errno
import io
import os
import signal
import sys
import warnings
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

import slagraph
from slagraph import process
from slagraph.errors import SlaError, SlaUsageError, SlaWarning

_err = Console(stderr=True, highlight=False, soft_wrap=True)


def _guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn slagraph errors into a message on stderr and exit code 1 (2 for usage)."""

    @wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            with warnings.catch_warnings():  # restores the hooks below on the way out
                warnings.simplefilter("always", SlaWarning)
                warnings.showwarning = _show_warning
                return func(*args, **kwargs)
        except SlaUsageError as error:
            _err.print(f"[red]error:[/red] {error}", markup=True)
            sys.exit(2)
        except SlaError as error:
            _err.print(str(error), markup=False)
            sys.exit(1)
        except MemoryError as error:
            detail = f" ({error})" if str(error) else ""
            _err.print(
                f"error: out of memory{detail}; evaluate the data in parts: accounts are "
                "independent, so split the largest stream's file by account and "
                "concatenate the outputs",
                markup=False,
            )
            sys.exit(1)
        except KeyboardInterrupt:
            _err.print("interrupted", markup=False)
            sys.exit(130)

    return run


def _load(file: Path) -> slagraph.Model:
    """`slagraph.load`, with the process tuning the CLI opts in to (slagraph/process.py):
    the library itself never changes its host's malloc or garbage collector."""
    process.tune_malloc()
    with process.gc_paused():
        return slagraph.load(file)


_plain_showwarning = warnings.showwarning


def _show_warning(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
    """slagraph's own warnings as one line on stderr; any other as Python shows it."""
    if issubclass(category, SlaWarning):
        _err.print(f"[yellow]warning:[/yellow] {escape(str(message))}", markup=True)
    else:
        _plain_showwarning(message, category, *args, **kwargs)


WRITE_CHUNK = 1 << 20  # characters per write: far below any single write()'s limit


def _emit(text: str) -> None:
    """Write `text` to stdout in bounded chunks, every write checked: one write of over
    2 GiB is cut short by the kernel, and a full disk or a closed pipe must end in an
    error and exit 1, never in truncated output and exit 0."""
    out = sys.stdout.buffer
    try:
        sys.stdout.flush()
        for at in range(0, len(text), WRITE_CHUNK):
            chunk = text[at : at + WRITE_CHUNK].encode("utf-8")
            view = memoryview(chunk)
            while view:
                written = out.write(view)
                if written is None or written <= 0:
                    raise OSError(errno.EIO, "short write")
                view = view[written:]
        out.flush()
    except OSError as error:
        _silence_stdout()
        reason = error.strerror or str(error)
        _err.print(f"error: cannot write output: {reason}; what was written is incomplete")
        sys.exit(1)


def _silence_stdout() -> None:
    """After a failed write, point stdout at /dev/null so that the interpreter's own flush
    at exit does not fail again with a traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


_FILE = click.Path(dir_okay=False, path_type=Path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(slagraph.__version__, prog_name="slagraph")
def main() -> None:
    """slagraph: hierarchical, multilevel SLA rules, compiled to a graph and evaluated fast."""


@main.command()
@click.argument("file", type=_FILE)
@_guarded
def check(file: Path) -> None:
    """Parse and compile FILE; print errors, or a one-line summary."""
    model = _load(file)
    agreements = model.ir.agreements
    objectives = sum(len(a.objectives) for a in agreements.values())
    click.echo(
        f"ok: {file}: {len(agreements)} agreements, {objectives} objectives, "
        f"roots: {', '.join(model.roots) or '(none)'}"
    )


@main.command()
@click.argument("file", type=_FILE)
@click.option("--check", "check_only", is_flag=True, help="Exit 1 if FILE is not formatted.")
@click.option("--write", "-w", is_flag=True, help="Rewrite FILE in place.")
@_guarded
def fmt(file: Path, check_only: bool, write: bool) -> None:
    """Print FILE in canonical layout (or check it, or rewrite it)."""
    from slagraph.syntax.format import format_source
    from slagraph.syntax.parser import parse_file

    source = parse_file(file).source
    formatted = format_source(source, str(file))
    if check_only:
        if formatted != source:
            _err.print(f"would reformat {file}", markup=False)
            sys.exit(1)
        click.echo(f"ok: {file} is formatted")
    elif write:
        if formatted != source:
            file.write_text(formatted, encoding="utf-8")
            click.echo(f"reformatted {file}")
    else:
        click.echo(formatted, nl=False)


@main.command()
@click.argument("file", type=_FILE)
@click.option(
    "--format",
    "fmt_",
    type=click.Choice(["dot", "mermaid", "json"]),
    default="mermaid",
    show_default=True,
)
@_guarded
def graph(file: Path, fmt_: str) -> None:
    """Print the dependency graph: masters → SLAs → objectives → streams."""
    from slagraph.compiler import render

    model = _load(file)
    click.echo(
        {"dot": render.to_dot, "mermaid": render.to_mermaid, "json": render.to_json}[fmt_](
            model.graph
        ),
        nl=False,
    )


def _report_skipped(bad_rows: dict[str, int]) -> None:
    """On stderr, what `--on-bad-rows skip` left out, per stream (nothing is dropped silently)."""
    for stream, count in sorted(bad_rows.items()):
        _err.print(
            f"skipped {count} bad row{'s' if count != 1 else ''} in stream '{stream}'", markup=False
        )


_STATUS_STYLE = {"met": "green", "at_risk": "yellow", "breached": "bold red", "no_data": "dim"}


def _print_table(result: Any) -> None:
    from rich.table import Table

    out = Console(highlight=False)
    if not out.is_terminal:  # piped: wide enough that nothing is cut, no colour codes
        out = Console(highlight=False, width=200, color_system=None)
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    for name in (
        "account",
        "period",
        "node",
        "status",
        "value",
        "target",
        "budget",
        "credit",
        "amount",
    ):
        table.add_column(
            name,
            justify="right"
            if name in ("value", "target", "budget", "credit", "amount")
            else "left",
        )
    previous = None
    in_progress = False
    for row in result.iter_rows(units=True):
        if row["kind"] == "termination":
            out.print(
                f"[bold red]termination right[/] {row['node']} for {row['account']} "
                f"from {row['period']}: {row['target']} breached in {row['rule']}"
            )
            continue
        if row["kind"] == "bad_rows":  # reported on stderr by the command
            continue
        key = (row["account"], row["period"])
        depth = row["node"].count(".")
        label = "  " * depth + row["node"].rsplit(".", 1)[-1]
        status = row["status"] + (" (earned back)" if row["earned_back"] else "")
        in_progress = in_progress or not row["final"]
        table.add_row(
            row["account"] if key != previous else "",
            _period(row) if key != previous else "",
            label,
            f"[{_STATUS_STYLE[row['status']]}]{status}[/]",
            _fmt_value(row, "value"),
            _fmt_value(row, "target"),
            "" if row["budget_used"] is None else f"{row['budget_used']:.0%}",
            "" if not row["credit_pct"] else f"{row['credit_pct']:.2%}",
            "" if not row["credit"] else f"{row['credit']:,.2f}",
        )
        previous = key
    out.print(table)
    if in_progress:
        out.print(IN_PROGRESS_LEGEND)


IN_PROGRESS_LEGEND = (
    "* in progress: the period ends after as-of; its statuses and credits are what would "
    "apply if it ended now, and nothing is owed for it yet"
)


def _period(row: dict[str, Any]) -> str:
    """A period label, starred while the period is in progress (`final: false`)."""
    return row["period"] if row.get("final", True) else f"{row['period']}*"


def _print_as_of(as_of: int | None) -> None:
    """The as-of used, on stderr (table formats): a default as-of is chosen from the data."""
    if as_of is None:
        return
    seconds, frac = divmod(int(as_of), 1_000_000_000)
    text = dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        text += f".{frac:09d}".rstrip("0")
    _err.print(f"as of {text}Z", markup=False)


def _fmt_value(row: dict[str, Any], key: str) -> str:
    value = row[key] if key != "value" or row["kind"] == "objective" else row["score"]
    if value is None:
        return ""
    unit = row.get("unit")
    if row["kind"] != "objective" or unit == "ratio":
        return f"{value:.3%}"
    if unit == "duration":
        return _duration(value)
    return f"{value:,.6g}"


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    parts = [(s // 86400, "d"), (s % 86400 // 3600, "h"), (s % 3600 // 60, "m"), (s % 60, "s")]
    text = "".join(f"{n}{u}" for n, u in parts if n)
    return text or "0s"


_DATA = click.Path(exists=True, path_type=Path)
_data_option = click.option(
    "--data",
    "source",
    required=True,
    type=_DATA,
    help="Folder of NAME.csv/.parquet/.jsonl files, or a SQLite file.",
)
_as_of_option = click.option("--as-of", help="Evaluate as of this time (ISO 8601 with offset).")
_from_option = click.option("--from", "start", help="First period to report, e.g. 2026-01.")
_to_option = click.option("--to", "end", help="Last period to report, e.g. 2026-03.")
_format_option = click.option(
    "--format",
    "fmt_",
    type=click.Choice(["table", "json", "jsonl", "csv"]),
    default="table",
    show_default=True,
)
_bad_rows_option = click.option(
    "--on-bad-rows", type=click.Choice(["error", "skip"]), default="error", show_default=True
)


@main.command(name="eval")
@click.argument("file", type=_FILE)
@_data_option
@_as_of_option
@_from_option
@_to_option
@_format_option
@_bad_rows_option
@click.option("--every", help="Step of rolling windows, e.g. 1h (default: each local midnight).")
@_guarded
def eval_(
    file: Path,
    source: Path,
    as_of: str | None,
    start: str | None,
    end: str | None,
    fmt_: str,
    on_bad_rows: str,
    every: str | None,
) -> None:
    """Evaluate FILE on the event data in SOURCE."""
    model = _load(file)
    result = model.evaluate(
        str(source), as_of=as_of, start=start, end=end, on_bad_rows=on_bad_rows, every=every
    )
    _report_skipped(result.bad_rows)
    if fmt_ == "table":
        _print_as_of(result.as_of)
        _print_table(result)
    else:
        text = {"json": result.to_json, "jsonl": result.to_jsonl, "csv": result.to_csv}[fmt_]()
        _emit(text)


@main.command(name="alerts")
@click.argument("file", type=_FILE)
@_data_option
@_as_of_option
@click.option("--from", "start", help="First instant replayed (default: 7 days before --to).")
@click.option("--to", "end", help="End of the replay, exclusive (default: as-of).")
@click.option("--step", default="1m", show_default=True, help="How often conditions are checked.")
@_format_option
@_bad_rows_option
@_guarded
def alerts_(
    file: Path,
    source: Path,
    as_of: str | None,
    start: str | None,
    end: str | None,
    step: str,
    fmt_: str,
    on_bad_rows: str,
) -> None:
    """When each burn-rate alert of FILE held, per account, on the data in SOURCE."""
    model = _load(file)
    result = model.alerts(
        str(source), as_of=as_of, start=start, end=end, step=step, on_bad_rows=on_bad_rows
    )
    if fmt_ != "table":
        _emit({"json": result.to_json, "jsonl": result.to_jsonl, "csv": result.to_csv}[fmt_]())
        return
    from rich.table import Table

    out = Console(highlight=False)
    if not out.is_terminal:
        out = Console(highlight=False, width=200, color_system=None)
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    for name in ("node", "account", "alert", "start", "end"):
        table.add_column(name)
    for row in result.rows():
        table.add_row(row["node"], row["account"], row["alert"], row["start"], row["end"])
    if len(result):
        out.print(table)
    else:
        out.print("no alert held")


@main.command()
@click.argument("file", type=_FILE)
@click.argument("node", required=False)
@_data_option
@click.option("--account", required=True, help="The account to explain.")
@click.option("--period", required=True, help="The period label, e.g. 2026-02.")
@_as_of_option
@click.option(
    "--format", "fmt_", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@_guarded
def explain(
    file: Path,
    node: str | None,
    source: Path,
    account: str,
    period: str,
    as_of: str | None,
    fmt_: str,
) -> None:
    """Why NODE (a dotted path; default: the first root) is met or breached, down to the
    records that failed it."""
    import json

    model = _load(file)
    result = model.evaluate(str(source), as_of=as_of)
    why = result.explain(account, period, node)
    if fmt_ == "json":
        click.echo(json.dumps(why.to_dict(), indent=1, ensure_ascii=False))
    else:
        click.echo(why.text())


def _print_whatif(result: Any, show_all: bool) -> None:
    from rich.table import Table

    out = Console(highlight=False)
    if not out.is_terminal:
        out = Console(highlight=False, width=200, color_system=None)
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    for name in ("account", "period", "node", "status", "value", "credit", "amount"):
        table.add_column(name)
    shown = 0
    in_progress = False
    for row in result.rows(all=show_all):
        if row["kind"] == "termination":
            out.print(
                f"[bold]termination[/] {row['node']} for {row['account']} "
                f"({row['target']} breached in {row['rule']}): "
                f"{row['base_period'] or 'none'} → {row['whatif_period'] or 'none'}"
            )
            continue
        shown += 1

        def pair(field: str, fmt: Any, row: dict[str, Any] = row) -> str:
            b, w = row[f"base_{field}"], row[f"whatif_{field}"]
            text_b = "" if b is None else fmt(b)
            text_w = "" if w is None else fmt(w)
            return text_b if text_b == text_w else f"{text_b} → [bold]{text_w}[/]"

        value_field = "value" if row["kind"] == "objective" else "score"
        in_progress = in_progress or row.get("final") is False
        table.add_row(
            row["account"],
            _period(row),
            row["node"],
            pair("status", str),
            pair(value_field, lambda v: f"{v:.6g}"),
            pair("credit_pct", lambda v: f"{v:.2%}"),
            pair("credit", lambda v: f"{v:,.2f}"),
        )
    if shown:
        out.print(table)
        if in_progress:
            out.print(IN_PROGRESS_LEGEND)
    else:
        out.print("no differences" if not show_all else "no rows")


@main.command()
@click.argument("file", type=_FILE)
@_data_option
@click.option(
    "--change",
    "changes",
    multiple=True,
    required=True,
    help="A change, e.g. 'outages += 2h where service == \"db\"' (repeatable).",
)
@_as_of_option
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed for the random share of `volume` changes.",
)
@click.option("--all", "show_all", is_flag=True, help="Show every row, not only differences.")
@_format_option
@_guarded
def whatif(
    file: Path,
    source: Path,
    changes: tuple[str, ...],
    as_of: str | None,
    seed: int,
    show_all: bool,
    fmt_: str,
) -> None:
    """Re-evaluate FILE under changed data and show what differs from the base."""
    model = _load(file)
    result = model.whatif(str(source), list(changes), as_of=as_of, seed=seed)
    if fmt_ == "table":
        _print_as_of(result.as_of)
        _print_whatif(result, show_all)
    else:
        method = {"json": result.to_json, "jsonl": result.to_jsonl, "csv": result.to_csv}[fmt_]
        _emit(method(all=show_all))


@main.command()
@click.argument("file", type=_FILE)
@_data_option
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The HTML file to write ('-' for stdout).",
)
@_as_of_option
@_from_option
@_to_option
@click.option("--title", help="Page title (default: 'SLA report — FILE').")
@click.option(
    "--max-records",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="Failing records listed per breached or at-risk cell.",
)
@_bad_rows_option
@_guarded
def report(
    file: Path,
    source: Path,
    output: Path,
    as_of: str | None,
    start: str | None,
    end: str | None,
    title: str | None,
    max_records: int,
    on_bad_rows: str,
) -> None:
    """Write a self-contained HTML report of FILE on SOURCE: the agreement tree per
    period, a heat map, error budgets, credits, termination rights and, one click away,
    the records behind every breach."""
    from slagraph.report import render

    model = _load(file)
    result = model.evaluate(str(source), as_of=as_of, start=start, end=end, on_bad_rows=on_bad_rows)
    _report_skipped(result.bad_rows)
    page = render(result, model, title=title, source=str(source), max_records=max_records)
    if str(output) == "-":
        _emit(page)
        return
    try:
        output.write_text(page, encoding="utf-8")
    except OSError as error:
        raise SlaUsageError(f"cannot write {output}: {error.strerror or error}") from None
    accounts = len({row["account"] for row in result.iter_rows() if "account" in row})
    click.echo(f"wrote {output} ({accounts} accounts, {len(page.encode()) / 1024:,.0f} KiB)")


def _print_simulation(result: Any, everything: bool) -> None:
    from rich.table import Table

    out = Console(highlight=False)
    if not out.is_terminal:
        out = Console(highlight=False, width=200, color_system=None)
    out.print(
        f"{result.runs:,} {result.method} runs, seed {result.seed}"
        + (
            f", days resampled within each {result.block} period"
            if result.method == "bootstrap"
            else ""
        )
    )
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    for name in ("account", "period", "node", "observed", "P(breach)", "95% interval"):
        table.add_column(name)
    for name in ("E(credit)", "P50", "P95", "P99"):
        table.add_column(name, justify="right")
    quiet = 0
    in_progress = False

    def money(v: Any) -> str:
        return "" if v is None else f"{v:,.2f}"

    for row in result.nodes:
        if row["kind"] == "objective" and not everything:
            continue
        if not everything and row["p_breach"] == 0 and not row["expected_credit"]:
            quiet += 1
            continue
        observed = row["observed"] or ""
        style = _STATUS_STYLE.get(observed, "")
        in_progress = in_progress or row.get("final") is False
        table.add_row(
            row["account"],
            _period(row),
            row["node"],
            f"[{style}]{observed}[/]" if style else observed,
            f"{row['p_breach']:.1%}",
            f"{row['p_breach_low']:.1%}–{row['p_breach_high']:.1%}",
            money(row["expected_credit"]),
            money(row["credit_p50"]),
            money(row["credit_p95"]),
            money(row["credit_p99"]),
        )
    out.print(table)
    if in_progress:
        out.print(IN_PROGRESS_LEGEND)
    if quiet:
        out.print(f"({quiet} sla/master cells never breached in any run; --all shows them)")
    drivers = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    for name in ("node", "member", "P(node breached)", "P(member breached)", "coincidence"):
        drivers.add_column(name)
    for row in result.drivers:
        if row["coincidence"] is None:
            continue
        drivers.add_row(
            row["node"],
            row["member"],
            f"{row['p_breach']:.1%}",
            f"{row['p_member_breach']:.1%}",
            f"{row['coincidence']:.1%}",
        )
    if drivers.row_count:
        out.print()
        out.print("drivers: how often each member is breached when its parent is")
        out.print(drivers)


ESTIMATE_SECONDS = 30.0  # say what a simulation will cost when it runs longer than this
ESTIMATE_BYTES = 1 << 30  # … or holds more memory than this


def _estimate_thresholds() -> tuple[float, float]:
    """`SLAGRAPH_ESTIMATE_SECONDS` (docs/cli.md) lowers or raises the time threshold;
    the memory one scales with it (0 prints the estimate for every run)."""
    raw = os.environ.get("SLAGRAPH_ESTIMATE_SECONDS")
    if raw is None:
        return ESTIMATE_SECONDS, ESTIMATE_BYTES
    try:
        seconds = max(float(raw), 0.0)
    except ValueError:
        raise SlaUsageError(
            f"SLAGRAPH_ESTIMATE_SECONDS must be a number of seconds, got {raw!r}"
        ) from None
    return seconds, ESTIMATE_BYTES * seconds / ESTIMATE_SECONDS


def _duration_words(seconds: float) -> str:
    if seconds < 90:
        return f"{max(round(seconds), 1)} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def _bytes_words(n: float) -> str:
    if n >= 1 << 30:
        return f"{n / (1 << 30):.1f} GiB"
    return f"{max(round(n / (1 << 20)), 1)} MiB"


def estimate_line(est: Any) -> str:
    """`simulating 200,000 runs × 40 accounts: about 13 min, 1.2 GiB (…)`."""
    return (
        f"simulating {est.runs:,} runs × {est.accounts:,} accounts: about "
        f"{_duration_words(est.seconds)} more, {_bytes_words(est.bytes)} "
        f"(estimated from the first {est.pilot_runs:,} runs)"
    )


def _print_estimate(est: Any) -> None:
    seconds, size = _estimate_thresholds()
    if est.seconds >= seconds or est.bytes >= size:
        _err.print(estimate_line(est), markup=False)


@main.command()
@click.argument("file", type=_FILE)
@_data_option
@click.option("--runs", type=int, required=True, help="Number of runs (1 to 1,000,000).")
@click.option(
    "--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Random seed."
)
@click.option(
    "--method",
    type=click.Choice(["bootstrap", "poisson"]),
    default="bootstrap",
    show_default=True,
    help="bootstrap: resample each account's days within each period; poisson: each "
    "record (or downtime episode) occurs a Poisson(1) number of times.",
)
@click.option(
    "--change",
    "changes",
    multiple=True,
    help="Change the data first, as in `whatif` (repeatable).",
)
@click.option(
    "--period",
    "block",
    type=click.Choice(["daily", "weekly", "monthly", "quarterly", "yearly"]),
    help="The period within which bootstrap resamples days "
    "(default: the finest period of the model above daily).",
)
@_as_of_option
@_from_option
@_to_option
@click.option("--all", "everything", is_flag=True, help="Table: show objectives and quiet cells.")
@_format_option
@_bad_rows_option
@_guarded
def simulate(
    file: Path,
    source: Path,
    runs: int,
    seed: int,
    method: str,
    changes: tuple[str, ...],
    block: str | None,
    as_of: str | None,
    start: str | None,
    end: str | None,
    everything: bool,
    fmt_: str,
    on_bad_rows: str,
) -> None:
    """Monte Carlo: breach probabilities and credit exposure of FILE on resampled SOURCE."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    model = _load(file)
    kwargs: dict[str, Any] = dict(
        runs=runs,
        seed=seed,
        method=method,
        changes=list(changes),
        block=block,
        as_of=as_of,
        start=start,
        end=end,
        on_bad_rows=on_bad_rows,
    )
    kwargs["on_estimate"] = _print_estimate
    if _err.is_terminal:
        columns = (
            TextColumn("simulating"),
            BarColumn(),
            TextColumn("{task.completed:,}/{task.total:,} runs"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=_err, transient=True) as bar:
            task = bar.add_task("runs", total=runs)
            result = model.simulate(
                str(source), progress=lambda done, _: bar.update(task, completed=done), **kwargs
            )
    else:
        result = model.simulate(str(source), **kwargs)
    _report_skipped(result.bad_rows)
    if fmt_ == "table":
        _print_as_of(result.as_of)
        _print_simulation(result, everything)
    else:
        method_ = {"json": result.to_json, "jsonl": result.to_jsonl, "csv": result.to_csv}[fmt_]
        _emit(method_())


_interrupted = False


def _on_interrupt(signum: int, frame: object) -> None:
    """Ctrl-C while a command runs: remembered, then raised as usual so that `_guarded`
    prints `interrupted` and exits 130. Remembered because code the command calls may
    catch the KeyboardInterrupt and drop it (an import that swallows errors, a callback
    whose exceptions are ignored); `run` then still ends with 130, never 0."""
    global _interrupted
    _interrupted = True
    raise KeyboardInterrupt


# Commands that read data: they reach pyarrow's lazy `import pandas`, which runs inside a
# Cython function that prints and drops any exception, a KeyboardInterrupt included.
_READS_DATA = {"eval", "explain", "report", "whatif", "simulate"}


def _preload(args: list[str]) -> None:
    """Import what the command will need while `__main__`'s start-up handler (print
    `interrupted`, exit 130 at once) is still in place, so that no Ctrl-C lands inside an
    import, where a library may catch it and carry on (docs/cli.md, Exit codes)."""
    import slagraph.model  # noqa: F401  numpy, pyarrow, networkx, lark: every command

    if _READS_DATA.intersection(args[:3]):
        import pandas  # noqa: F401
        import pyarrow.pandas_compat  # noqa: F401

        import slagraph.engine  # noqa: F401


def run() -> None:
    """The console script (via `slagraph/__main__.py`, which guards the imports): run
    the command; whatever it returned, an interrupt means exit code 130."""
    _preload(sys.argv[1:])
    signal.signal(signal.SIGINT, _on_interrupt)
    try:
        main(prog_name="slagraph")
        code: Any = 0
    except SystemExit as done:
        code = done.code
    except KeyboardInterrupt:  # outside a command: while click parses the arguments
        _interrupted_exit()
    if _interrupted and code != 130:
        _interrupted_exit()
    sys.exit(code)


def _interrupted_exit() -> None:
    _silence_stdout()  # what was printed is not to be taken as complete
    _err.print("interrupted", markup=False)
    sys.exit(130)
