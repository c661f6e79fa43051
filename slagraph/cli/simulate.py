"""`slagraph simulate`: Monte Carlo over resampled data, with a progress bar and an
estimate of the cost before a long run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from slagraph.cli.common import (
    FILE,
    IN_PROGRESS_LEGEND,
    STATUS_STYLE,
    as_of_option,
    bad_rows_option,
    dask_options,
    data_option,
    emit,
    err,
    format_option,
    from_option,
    guarded,
    load_model,
    period_label,
    print_as_of,
    report_skipped,
    stdout_console,
    threads_option,
    to_option,
)
from slagraph.cli.group import main
from slagraph.errors import SlaUsageError


def _print_simulation(result: Any, everything: bool) -> None:
    from rich.table import Table

    out = stdout_console()
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
        style = STATUS_STYLE.get(observed, "")
        in_progress = in_progress or row.get("final") is False
        table.add_row(
            row["account"],
            period_label(row),
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
        err.print(estimate_line(est), markup=False)


@main.command()
@click.argument("file", type=FILE)
@data_option
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
@as_of_option
@from_option
@to_option
@click.option("--all", "everything", is_flag=True, help="Table: show objectives and quiet cells.")
@format_option
@bad_rows_option
@threads_option
@guarded
@dask_options
def simulate(
    file: Path,
    source: Path | str,
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
    client: Any,
) -> None:
    """Monte Carlo: breach probabilities and credit exposure of FILE on resampled SOURCE."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    model = load_model(file)
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
    if client is not None:  # the same rows: chunks summed as one process sums them
        kwargs["client"] = client
    if err.is_terminal:
        columns = (
            TextColumn("simulating"),
            BarColumn(),
            TextColumn("{task.completed:,}/{task.total:,} runs"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=err.console, transient=True) as bar:
            task = bar.add_task("runs", total=runs)
            result = model.simulate(
                str(source), progress=lambda done, _: bar.update(task, completed=done), **kwargs
            )
    else:
        result = model.simulate(str(source), **kwargs)
    report_skipped(result.bad_rows)
    if fmt_ == "table":
        print_as_of(result.as_of)
        _print_simulation(result, everything)
    else:
        method_ = {"json": result.to_json, "jsonl": result.to_jsonl, "csv": result.to_csv}[fmt_]
        emit(method_())
