"""Commands that evaluate a model on data: eval, alerts, explain, report."""

from __future__ import annotations

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
    emit_with,
    fmt_value,
    format_option,
    from_option,
    guarded,
    load_model,
    partition_progress,
    period_label,
    print_as_of,
    report_skipped,
    stdout_console,
    threads_option,
    to_option,
)
from slagraph.cli.group import main
from slagraph.errors import SlaUsageError


def _print_table(result: Any) -> None:
    from rich.table import Table

    out = stdout_console()
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    versioned = "version" in result.fields  # which version judged: SPEC §6.6
    for name in (
        "account",
        "period",
        "node",
        *(("version",) if versioned else ()),
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
            period_label(row) if key != previous else "",
            label,
            *((row["version"] or "",) if versioned else ()),
            f"[{STATUS_STYLE[row['status']]}]{status}[/]",
            fmt_value(row, "value"),
            fmt_value(row, "target"),
            "" if row["budget_used"] is None else f"{row['budget_used']:.0%}",
            "" if not row["credit_pct"] else f"{row['credit_pct']:.2%}",
            "" if not row["credit"] else f"{row['credit']:,.2f}",
        )
        previous = key
    out.print(table)
    if in_progress:
        out.print(IN_PROGRESS_LEGEND)


@main.command(name="eval")
@click.argument("file", type=FILE)
@data_option
@as_of_option
@from_option
@to_option
@format_option
@bad_rows_option
@click.option("--every", help="Step of rolling windows, e.g. 1h (default: each local midnight).")
@threads_option
@guarded
@dask_options
def eval_(
    file: Path,
    source: Path | str,
    as_of: str | None,
    start: str | None,
    end: str | None,
    fmt_: str,
    on_bad_rows: str,
    every: str | None,
    client: Any,
) -> None:
    """Evaluate FILE on the event data in SOURCE."""
    model = load_model(file)
    options: dict[str, Any] = dict(
        as_of=as_of, start=start, end=end, on_bad_rows=on_bad_rows, every=every
    )
    if client is None:
        result = model.evaluate(str(source), **options)
    else:
        from slagraph import distributed

        with partition_progress() as progress:
            result = distributed.evaluate(
                model.ir, str(source), client, progress=progress, **options
            )
    report_skipped(result.bad_rows)
    if fmt_ == "table":
        print_as_of(result.as_of)
        _print_table(result)
    else:
        emit_with(
            {"json": result.write_json, "jsonl": result.write_jsonl, "csv": result.write_csv}[fmt_]
        )


@main.command(name="alerts")
@click.argument("file", type=FILE)
@data_option
@as_of_option
@click.option("--from", "start", help="First instant replayed (default: 7 days before --to).")
@click.option("--to", "end", help="End of the replay, exclusive (default: as-of).")
@click.option("--step", default="1m", show_default=True, help="How often conditions are checked.")
@format_option
@bad_rows_option
@threads_option
@guarded
def alerts_(
    file: Path,
    source: Path | str,
    as_of: str | None,
    start: str | None,
    end: str | None,
    step: str,
    fmt_: str,
    on_bad_rows: str,
) -> None:
    """When each burn-rate alert of FILE held, per account, on the data in SOURCE."""
    model = load_model(file)
    result = model.alerts(
        str(source), as_of=as_of, start=start, end=end, step=step, on_bad_rows=on_bad_rows
    )
    if fmt_ != "table":
        emit({"json": result.to_json, "jsonl": result.to_jsonl, "csv": result.to_csv}[fmt_]())
        return
    from rich.table import Table

    out = stdout_console()
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
@click.argument("file", type=FILE)
@click.argument("node", required=False)
@data_option
@click.option("--account", required=True, help="The account to explain.")
@click.option("--period", required=True, help="The period label, e.g. 2026-02.")
@as_of_option
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=20,
    show_default=True,
    help="Failing records listed per objective (all of them: `slagraph records`).",
)
@click.option(
    "--format", "fmt_", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@bad_rows_option
@threads_option
@guarded
def explain(
    file: Path,
    node: str | None,
    source: Path | str,
    account: str,
    period: str,
    as_of: str | None,
    limit: int,
    fmt_: str,
    on_bad_rows: str,
) -> None:
    """Why NODE (a dotted path; default: the first root) is met or breached, down to the
    records that failed it."""
    import json

    model = load_model(file)
    result = model.evaluate(str(source), as_of=as_of, on_bad_rows=on_bad_rows)
    report_skipped(result.bad_rows)
    why = result.explain(account, period, node, limit)
    if fmt_ == "json":
        click.echo(json.dumps(why.to_dict(), indent=1, ensure_ascii=False))
    else:
        click.echo(why.text())


@main.command()
@click.argument("file", type=FILE)
@data_option
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The HTML file to write ('-' for stdout).",
)
@as_of_option
@from_option
@to_option
@click.option("--title", help="Page title (default: 'SLA report — FILE').")
@click.option(
    "--max-records",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="Failing records listed per breached or at-risk cell.",
)
@click.option(
    "--max-charts",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="Error-budget burn-down charts drawn (one per objective with a budget and account).",
)
@bad_rows_option
@threads_option
@guarded
def report(
    file: Path,
    source: Path | str,
    output: Path,
    as_of: str | None,
    start: str | None,
    end: str | None,
    title: str | None,
    max_records: int,
    max_charts: int,
    on_bad_rows: str,
) -> None:
    """Write a self-contained HTML report of FILE on SOURCE: the agreement tree per
    period, a heat map, error budgets, credits, termination rights and, one click away,
    the records behind every breach."""
    from slagraph.report import render

    model = load_model(file)
    result = model.evaluate(str(source), as_of=as_of, start=start, end=end, on_bad_rows=on_bad_rows)
    report_skipped(result.bad_rows)
    from slagraph.data.databases import redact

    shown = redact(str(source))  # a postgresql:// URI goes into the page without its password
    page = render(
        result, model, title=title, source=shown, max_records=max_records, max_charts=max_charts
    )
    if str(output) == "-":
        emit(page)
        return
    try:
        output.write_text(page, encoding="utf-8")
    except OSError as error:
        raise SlaUsageError(f"cannot write {output}: {error.strerror or error}") from None
    accounts = len({row["account"] for row in result.iter_rows() if "account" in row})
    click.echo(f"wrote {output} ({accounts} accounts, {len(page.encode()) / 1024:,.0f} KiB)")
