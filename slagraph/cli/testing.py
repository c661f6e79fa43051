"""`slagraph test`: an agreement's own test cases (SPEC §6.8; docs/authoring.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from slagraph.cli.common import emit, guarded, load_model
from slagraph.cli.group import main


@main.command(name="test")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--each",
    is_flag=True,
    help="Take each argument on its own: a .sla with the test file beside it, a test file "
    "with its model (what the pre-commit hook passes: the changed files).",
)
@guarded
def test_command(paths: tuple[Path, ...], each: bool) -> None:
    """Run test cases: `slagraph test FILE.sla [TESTS…]`.

    TESTS are test files (NAME.sla-test.toml) or folders of them; without TESTS, the
    NAME.sla-test.toml beside FILE.sla. Test files alone (or anything with --each) run
    each against its `model = "…"` or the NAME.sla beside it. Exit 0 when every case
    passes, 1 when one fails (or the model does not compile), 2 for a bad test file.
    """
    from slagraph import testcases

    pairs = testcases.pairs(paths, each=each)
    models = {model: load_model(model) for model in dict.fromkeys(m for m, _ in pairs)}
    report = testcases.Report(tuple(testcases.run_cases(models[m], f, str(m)) for m, f in pairs))
    emit(str(report))
    if not report.ok:
        sys.exit(1)
