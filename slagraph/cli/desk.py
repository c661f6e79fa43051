"""What a desk works from: `records` (every record behind an objective, with its verdict)
and `due` (what breaches next), SPEC §6.3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from slagraph.cli.common import (
    FILE,
    as_of_option,
    bad_rows_option,
    data_option,
    duration_text,
    emit_with,
    format_option,
    from_option,
    guarded,
    load_model,
    print_as_of,
    report_skipped,
    stdout_console,
    threads_option,
    to_option,
)
from slagraph.cli.group import main
from slagraph.errors import SlaUsageError

_SECONDS = {"value", "limit", "elapsed", "paused", "left"}  # durations in seconds
_STYLE = {"failed": "red", "breached": "bold red", "pending": "yellow", "paused": "cyan"}


def _print(table: Any, durations: set[str], empty: str) -> None:
    """A pyarrow table on the terminal: durations as 1h30m, times in their own zone."""
    from rich.table import Table

    from slagraph.engine.writers import with_text_times

    out = stdout_console()
    if not table.num_rows:
        out.print(empty)
        return
    shown = with_text_times(table)
    view = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    names = shown.column_names
    for name in names:
        view.add_column(name, justify="right" if name in _SECONDS or name == "row" else "left")
    columns = [shown.column(n).to_pylist() for n in names]
    for i in range(shown.num_rows):  # a terminal's worth of rows: see --limit
        cells = []
        for name, values in zip(names, columns, strict=True):
            v = values[i]
            if v is None:
                cells.append("")
            elif name in durations:
                cells.append(("-" if v < 0 else "") + duration_text(abs(v)))
            elif name in ("verdict", "state") and v in _STYLE:
                cells.append(f"[{_STYLE[v]}]{v}[/]")
            else:
                cells.append(str(v) if not isinstance(v, float) else f"{v:,.6g}")
        view.add_row(*cells)
    out.print(view)


def _durations(table: Any, model: Any, nodes: set[str]) -> set[str]:
    """Which of the seconds columns are durations: all but a number objective's value."""
    names = set(table.column_names) & _SECONDS
    units = {
        f"{inst.path}.{o.name}": o.unit
        for inst in model.ir.plan.instances
        for o in model.ir.agreements[inst.agreement].objectives
    }
    if any(units.get(n) != "duration" for n in nodes if units.get(n) != "ratio"):
        names.discard("value")
    for name in table.column_names:  # a clock's elapsed/paused columns
        if name.split(".")[-1] in ("elapsed", "paused"):
            names.add(name)
    return names


@main.command()
@click.argument("file", type=FILE)
@click.argument("node", required=False)
@click.option("--node", "node_option", help="The node, when not given after FILE.")
@data_option
@click.option("--account", help="Only this account's records.")
@click.option("--period", help="Only this period's records, e.g. 2026-02.")
@as_of_option
@from_option
@to_option
@click.option(
    "--verdict",
    "verdicts",
    multiple=True,
    help="Only records with this verdict (repeatable), e.g. --verdict failed.",
)
@click.option("--limit", type=click.IntRange(min=0), help="At most this many records.")
@format_option
@bad_rows_option
@threads_option
@guarded
def records(
    file: Path,
    node: str | None,
    node_option: str | None,
    source: Path,
    account: str | None,
    period: str | None,
    as_of: str | None,
    start: str | None,
    end: str | None,
    verdicts: tuple[str, ...],
    limit: int | None,
    fmt_: str,
    on_bad_rows: str,
) -> None:
    """Every record behind NODE (an objective, or an sla for all its objectives) with its
    verdict, measured value and source row: the table a desk works from."""
    if (node is None) == (node_option is None):
        raise SlaUsageError("give the node once: `records FILE NODE` or `--node NODE`")
    model = load_model(file)
    result = model.evaluate(str(source), as_of=as_of, on_bad_rows=on_bad_rows)
    report_skipped(result.bad_rows)
    table = result.records(
        node or node_option,  # type: ignore[arg-type]
        account,
        period,
        limit,
        start=start,
        end=end,
        verdict=list(verdicts) or None,
    )
    _write(table, fmt_, as_of=result.as_of, empty="no records", model=model)


@main.command()
@click.argument("file", type=FILE)
@data_option
@as_of_option
@click.option("--within", help="Only what is breached or breaches within this time, e.g. 2h.")
@click.option("--limit", type=click.IntRange(min=0), help="At most this many rows.")
@format_option
@bad_rows_option
@threads_option
@guarded
def due(
    file: Path,
    source: Path,
    as_of: str | None,
    within: str | None,
    limit: int | None,
    fmt_: str,
    on_bad_rows: str,
) -> None:
    """Every open record and running or paused clock cycle that an objective limits, with
    its time left and the instant it breaches (business time; none while paused),
    soonest first."""
    import json

    model = load_model(file)
    table = model.due(str(source), as_of=as_of, within=within, on_bad_rows=on_bad_rows)
    meta = table.schema.metadata or {}
    report_skipped(json.loads(meta.get(b"bad_rows", b"{}")))
    if limit is not None:
        table = table.slice(0, limit)
    used = int(meta[b"as_of"]) if b"as_of" in meta else None
    _write(table, fmt_, as_of=used, empty="nothing open is limited", model=model)


def _write(table: Any, fmt_: str, *, as_of: int | None, empty: str, model: Any) -> None:
    if fmt_ != "table":
        from slagraph.engine.writers import write_table

        emit_with(lambda out: write_table(table, fmt_, out))
        return
    print_as_of(as_of)
    nodes = set(table.column("node").to_pylist()) if table.num_rows else set()
    _print(table, _durations(table, model, nodes), empty)
