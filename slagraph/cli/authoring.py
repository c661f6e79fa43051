"""Commands on model files alone: check, fmt, graph (`test`: cli/testing.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from slagraph.cli.common import DATA, FILE, err, guarded, load_model
from slagraph.cli.group import main
from slagraph.errors import SlaError, SlaUsageError


@main.command()
@click.argument("files", nargs=-1, required=True, type=FILE, metavar="FILE...")
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
def check(files: tuple[Path, ...], strict: bool, source: object) -> None:
    """Parse and compile each FILE; print errors, or a one-line summary per file."""
    if source is not None and not strict:
        raise SlaUsageError("--data is read only with --strict")
    code = each_file(files, lambda file: _check(file, strict, source))
    if code:
        sys.exit(code)


def _check(file: Path, strict: bool, source: object) -> int:
    model = load_model(file)
    if strict:
        found = model.warnings(source)
        if found:
            for warning in found:
                err.print(str(warning), markup=False)
            err.print(
                f"strict: {file}: {len(found)} warning{'s' if len(found) != 1 else ''}",
                markup=False,
            )
            return 1
    agreements = model.ir.agreements
    objectives = sum(len(a.objectives) for a in agreements.values())
    click.echo(
        f"ok: {file}: {len(agreements)} agreements, {objectives} objectives, "
        f"roots: {', '.join(model.roots) or '(none)'}"
    )
    return 0


def each_file(files: tuple[Path, ...], run: Callable[[Path], int]) -> int:
    """`run` on each file (pre-commit passes every changed one): one file's error is
    printed as `guarded` prints it and the next file is still done; the exit code is the
    worst (2 usage, 1 error or finding, 0)."""
    if len(files) == 1:
        return run(files[0])  # its errors reach `guarded` itself
    worst = 0
    for file in files:
        try:
            code = run(file)
        except SlaUsageError as error:
            err.print(f"[red]error:[/red] {error}", markup=True)
            code = 2
        except SlaError as error:
            err.print(str(error), markup=False)
            code = 1
        worst = max(worst, code)
    return worst


@main.command()
@click.argument("files", nargs=-1, required=True, type=FILE, metavar="FILE...")
@click.option("--check", "check_only", is_flag=True, help="Exit 1 if a FILE is not formatted.")
@click.option("--write", "-w", is_flag=True, help="Rewrite each FILE in place.")
@guarded
def fmt(files: tuple[Path, ...], check_only: bool, write: bool) -> None:
    """Print FILE in canonical layout (or check files, or rewrite them)."""
    if len(files) > 1 and not (check_only or write):
        raise SlaUsageError("give one FILE to print, or --check / --write for several")
    code = each_file(files, lambda file: _fmt(file, check_only, write))
    if code:
        sys.exit(code)


def _fmt(file: Path, check_only: bool, write: bool) -> int:
    from slagraph.syntax.format import format_source
    from slagraph.syntax.parser import parse_file

    source = parse_file(file).source
    formatted = format_source(source, str(file))
    if check_only:
        if formatted != source:
            err.print(f"would reformat {file}", markup=False)
            return 1
        click.echo(f"ok: {file} is formatted")
    elif write:
        if formatted != source:
            file.write_text(formatted, encoding="utf-8")
            click.echo(f"reformatted {file}")
    else:
        click.echo(formatted, nl=False)
    return 0


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
