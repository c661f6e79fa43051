"""The `slagraph` command group; each command module adds itself to it."""

from __future__ import annotations

import click

import slagraph


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(slagraph.__version__, prog_name="slagraph")
def main() -> None:
    """slagraph: hierarchical, multilevel SLA rules, compiled to a graph and evaluated fast."""
