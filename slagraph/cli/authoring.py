"""Commands on a model file alone: check, fmt, graph."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from slagraph.cli.common import DATA, FILE, err, guarded, load_model
from slagraph.cli.group import main
from slagraph.errors import SlaUsageError


@main.command()
@click.argument("file", type=FILE)
@click.option(
    "--strict",
    is_flag=True,
    help="Also warn about targets that cannot be met or are trivially met, credit tiers "
    "that never apply, and unused streams and calendars; exit 1 on any warning.",
)
@click.option(
    "--data",
    "source",
    type=DATA,
    help="With --strict: also warn about a `for accounts where` no account of this "
    "source's accounts table satisfies.",
)
@guarded
def check(file: Path, strict: bool, source: object) -> None:
    """Parse and compile FILE; print errors, or a one-line summary."""
    model = load_model(file)
    if source is not None and not strict:
        raise SlaUsageError("--data is read only with --strict")
    if strict:
        found = model.warnings(source)
        if found:
            for warning in found:
                err.print(str(warning), markup=False)
            err.print(
                f"strict: {file}: {len(found)} warning{'s' if len(found) != 1 else ''}",
                markup=False,
            )
            sys.exit(1)
    agreements = model.ir.agreements
    objectives = sum(len(a.objectives) for a in agreements.values())
    click.echo(
        f"ok: {file}: {len(agreements)} agreements, {objectives} objectives, "
        f"roots: {', '.join(model.roots) or '(none)'}"
    )


@main.command()
@click.argument("file", type=FILE)
@click.option("--check", "check_only", is_flag=True, help="Exit 1 if FILE is not formatted.")
@click.option("--write", "-w", is_flag=True, help="Rewrite FILE in place.")
@guarded
def fmt(file: Path, check_only: bool, write: bool) -> None:
    """Print FILE in canonical layout (or check it, or rewrite it)."""
    from slagraph.syntax.format import format_source
    from slagraph.syntax.parser import parse_file

    source = parse_file(file).source
    formatted = format_source(source, str(file))
    if check_only:
        if formatted != source:
            err.print(f"would reformat {file}", markup=False)
            sys.exit(1)
        click.echo(f"ok: {file} is formatted")
    elif write:
        if formatted != source:
            file.write_text(formatted, encoding="utf-8")
            click.echo(f"reformatted {file}")
    else:
        click.echo(formatted, nl=False)


@main.command()
@click.argument("file", type=FILE)
@click.option(
    "--format",
    "fmt_",
    type=click.Choice(["dot", "mermaid", "json"]),
    default="mermaid",
    show_default=True,
)
@guarded
def graph(file: Path, fmt_: str) -> None:
    """Print the dependency graph: masters → SLAs → objectives → streams."""
    from slagraph.compiler import render

    model = load_model(file)
    click.echo(
        {"dot": render.to_dot, "mermaid": render.to_mermaid, "json": render.to_json}[fmt_](
            model.graph
        ),
        nl=False,
    )
