"""`slagraph diff`: two versions of an agreement on the same data, and what changes."""

from __future__ import annotations

from pathlib import Path

import click

from slagraph.cli.common import (
    FILE,
    as_of_option,
    bad_rows_option,
    data_option,
    emit,
    format_option,
    from_option,
    guarded,
    load_model,
    print_as_of,
    threads_option,
    to_option,
)
from slagraph.cli.group import main
from slagraph.cli.whatif import objective_units, print_pairs


@main.command()
@click.argument("old", type=FILE)
@click.argument("new", type=FILE)
@data_option
@as_of_option
@from_option
@to_option
@click.option("--all", "show_all", is_flag=True, help="Show every row, not only differences.")
@format_option
@bad_rows_option
@threads_option
@guarded
def diff(
    old: Path,
    new: Path,
    source: Path | str,
    as_of: str | None,
    start: str | None,
    end: str | None,
    show_all: bool,
    fmt_: str,
    on_bad_rows: str,
) -> None:
    """Evaluate OLD and NEW on the same data and show what changes: status, value,
    credit, terminations, and per account the money of ended periods."""
    before, after = load_model(old), load_model(new)
    result = before.diff(
        after, str(source), as_of=as_of, on_bad_rows=on_bad_rows, start=start, end=end
    )
    if fmt_ == "table":
        print_as_of(result.as_of)
        print_pairs(result, show_all, {**objective_units(before), **objective_units(after)})
    else:
        method = {"json": result.to_json, "jsonl": result.to_jsonl, "csv": result.to_csv}[fmt_]
        emit(method(all=show_all))
