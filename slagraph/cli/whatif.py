"""`slagraph whatif`: the same data under changes, and what differs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from slagraph.cli.common import (
    FILE,
    IN_PROGRESS_LEGEND,
    as_of_option,
    bad_rows_option,
    dask_options,
    data_option,
    emit,
    fmt_value,
    format_option,
    from_option,
    guarded,
    load_model,
    partition_progress,
    period_label,
    print_as_of,
    stdout_console,
    threads_option,
    to_option,
)
from slagraph.cli.group import main


def objective_units(model: Any) -> dict[str, str]:
    """Each objective path's unit, so values print as `eval` prints them."""
    return {
        f"{inst.path}.{o.name}": o.unit
        for inst in model.ir.plan.instances
        for o in model.ir.agreements[inst.agreement].objectives
    }


def print_pairs(result: Any, show_all: bool, units: dict[str, str]) -> None:
    """The paired rows as one table (`base → changed` where they differ), terminations
    and (for `diff`) money lines after it; `result.side` names the changed side."""
    from rich.table import Table

    side = result.side
    money = []

    out = stdout_console()
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
                f"{row['base_period'] or 'none'} → {row[f'{side}_period'] or 'none'}"
            )
            continue
        if row["kind"] == "money":
            money.append(row)
            continue
        shown += 1

        def pair(field: str, fmt: Any, row: dict[str, Any] = row) -> str:
            b, w = row[f"base_{field}"], row[f"{side}_{field}"]
            text_b = "" if b is None else fmt(b)
            text_w = "" if w is None else fmt(w)
            return text_b if text_b == text_w else f"{text_b} → [bold]{text_w}[/]"

        value_field = "value" if row["kind"] == "objective" else "score"
        unit = units.get(row["node"], "") if row["kind"] == "objective" else "ratio"

        def value(v: float, unit: str = unit) -> str:  # as eval's table shows it
            return fmt_value({"kind": "objective", "unit": unit, "value": v}, "value")

        in_progress = in_progress or row.get("final") is False
        table.add_row(
            row["account"],
            period_label(row),
            row["node"],
            pair("status", str),
            pair(value_field, value),
            pair("credit_pct", lambda v: f"{v:.2%}"),
            pair("credit", lambda v: f"{v:,.2f}"),
        )
    if shown:
        out.print(table)
        if in_progress:
            out.print(IN_PROGRESS_LEGEND)
    else:
        out.print("no differences" if not show_all else "no rows")
    for row in money:
        out.print(
            f"[bold]money[/] {row['account']}: credits of ended periods "
            f"{row['base_credit']:,.2f} → {row['new_credit']:,.2f} "
            f"({row['difference']:+,.2f})"
        )


@main.command()
@click.argument("file", type=FILE)
@data_option
@click.option(
    "--change",
    "changes",
    multiple=True,
    required=True,
    help="A change, e.g. 'outages += 2h where service == \"db\"' (repeatable).",
)
@as_of_option
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed for the random share of `volume` changes.",
)
@from_option
@to_option
@click.option("--all", "show_all", is_flag=True, help="Show every row, not only differences.")
@format_option
@bad_rows_option
@threads_option
@guarded
@dask_options
def whatif(
    file: Path,
    source: Path | str,
    changes: tuple[str, ...],
    as_of: str | None,
    seed: int,
    start: str | None,
    end: str | None,
    show_all: bool,
    fmt_: str,
    on_bad_rows: str,
    client: Any,
) -> None:
    """Re-evaluate FILE under changed data and show what differs from the base."""
    model = load_model(file)
    options: dict[str, Any] = dict(
        as_of=as_of, seed=seed, on_bad_rows=on_bad_rows, start=start, end=end
    )
    if client is None:
        result = model.whatif(str(source), list(changes), **options)
    else:
        from slagraph import distributed

        with partition_progress() as progress:
            result = distributed.whatif(
                model.ir, str(source), list(changes), client, progress=progress, **options
            )
    if fmt_ == "table":
        print_as_of(result.as_of)
        print_pairs(result, show_all, objective_units(model))
    else:
        method = {"json": result.to_json, "jsonl": result.to_jsonl, "csv": result.to_csv}[fmt_]
        emit(method(all=show_all))
