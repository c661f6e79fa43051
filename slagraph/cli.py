"""The `slagraph` command. Thin: parse arguments, call the public API, print.

Exit codes (SPEC §4): 0 success, 1 DSL or data error, 2 usage error. A `SlaError` is
printed as its message (with location and caret); no traceback reaches the user.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click
from rich.console import Console

import slagraph
from slagraph.errors import SlaError, SlaUsageError

_err = Console(stderr=True, highlight=False, soft_wrap=True)


def _guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn slagraph errors into a message on stderr and exit code 1 (2 for usage)."""

    @wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SlaUsageError as error:
            _err.print(f"[red]error:[/red] {error}", markup=True)
            sys.exit(2)
        except SlaError as error:
            _err.print(str(error), markup=False)
            sys.exit(1)

    return run


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
    model = slagraph.load(file)
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
    "--format", "fmt_", type=click.Choice(["dot", "mermaid", "json"]), default="mermaid",
    show_default=True,
)
@_guarded
def graph(file: Path, fmt_: str) -> None:
    """Print the dependency graph: masters → SLAs → objectives → streams."""
    from slagraph.compiler import render

    model = slagraph.load(file)
    click.echo({"dot": render.to_dot, "mermaid": render.to_mermaid, "json": render.to_json}[
        fmt_](model.graph), nl=False)


def _not_yet(name: str, issue: str) -> Callable[..., None]:
    @click.pass_context
    def command(ctx: click.Context, **_: Any) -> None:
        _err.print(f"'slagraph {name}' is not yet available ({issue}).", markup=False)
        ctx.exit(2)

    return command


for _name, _help, _issue in (
    ("eval", "Evaluate a model on event data (coming with the evaluator).", "evaluator"),
    ("explain", "Explain why a node is met or breached.", "evaluator"),
    ("whatif", "Re-evaluate under changed data.", "what-if"),
    ("simulate", "Monte Carlo breach probabilities and credit exposure.", "what-if"),
    ("report", "Self-contained HTML compliance report.", "report"),
):
    main.command(
        name=_name,
        help=_help,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )(_not_yet(_name, _issue))
