"""The documentation runs: every example in the docs is checked against the code.

What is run (CONTRIBUTING.md, "The docs test", says the same for authors):

* every ```sla block of docs/*.md and README.md is compiled with `slagraph.compile`; in
  docs/language.md on its own if it declares what it uses, else after the prelude (the
  block that follows the line `<!-- docs-test: prelude -->`, stated once at the top of
  the page); on every other page on its own;
* every ```python block of docs/*.md is executed, in a fresh namespace, with the working
  directory a temporary folder in which `examples/` links to the repository's, so
  relative paths like "examples/spec/model.sla" work and any file a block writes lands
  in the temporary folder;
* every ```console or ```bash block of docs/cli.md, docs/embedding.md, docs/tutorial.md,
  docs/authoring.md and README.md whose
  first line starts with `$ slagraph` is run through the real command. Lines starting
  with `$ ` are commands; other lines are output. The exit code must be 0, unless the
  block shows it with `$ echo $?` followed by the number. When output is pasted, the real
  output (stdout, then stderr) must start with the same first line.

Nothing is skipped silently. A block that must not run is fenced ```text (output, error
messages, grammar sketches) or ```json; any other fence language in the scanned files
fails `test_every_fence_is_known`. Every ```python block runs.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

import slagraph
from slagraph.cli import main

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
LANGUAGE = DOCS / "language.md"
CLI_PAGES = [
    DOCS / "cli.md",
    DOCS / "embedding.md",
    DOCS / "tutorial.md",
    ROOT / "README.md",
    DOCS / "authoring.md",
]
KNOWN_FENCES = {"sla", "python", "console", "bash", "text", "json", ""}
PRELUDE_MARK = "<!-- docs-test: prelude -->"


# (page, start of the block's first line): why it cannot run. These pages belong to other
# authors; the blocks are API sketches, not programs.
class Block:
    """One fenced block of a Markdown page."""

    def __init__(self, page: Path, line: int, lang: str, text: str, after: str) -> None:
        self.page = page
        self.line = line  # 1-based line of the opening fence
        self.lang = lang
        self.text = text
        self.after = after  # the last non-blank line before the fence

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def first_line(self) -> str:
        return next((ln for ln in self.text.splitlines() if ln.strip()), "")


_FENCE = re.compile(r"^```(\S*)\s*$")


def blocks(page: Path) -> list[Block]:
    """Fenced blocks (``` at the start of a line) with their language and position."""
    found: list[Block] = []
    if not page.is_file():  # reported by test_pages_have_examples
        return found
    lines = page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m:
            start = i
            i += 1
            body = []
            while i < len(lines) and lines[i].rstrip() != "```":
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise AssertionError(f"{page}:{start + 1}: unclosed ``` fence")
            before = next((ln for ln in reversed(lines[:start]) if ln.strip()), "")
            found.append(Block(page, start + 1, m.group(1), "\n".join(body) + "\n", before))
        i += 1
    return found


def _params(items: list[Block]) -> list[object]:
    return [pytest.param(b, id=b.name) for b in items]


# --------------------------------------------------------------------------- the pages


def scanned_pages() -> list[Path]:
    return sorted({*DOCS.glob("*.md"), ROOT / "README.md"})


def test_every_fence_is_known() -> None:
    """A typo in a fence (```pyhton) would otherwise skip a block without a word."""
    for page in scanned_pages():
        for block in blocks(page):
            assert block.lang in KNOWN_FENCES, f"{block.name}: unknown fence ```{block.lang}"


def test_pages_have_examples() -> None:
    """The pages this test covers exist and hold what they are checked for."""
    for page in (LANGUAGE, *CLI_PAGES, DOCS / "architecture.md"):
        assert page.is_file(), page
    assert len(sla_blocks()) >= 20
    assert len(python_blocks()) >= 10
    assert len(cli_blocks()) >= 10
    assert prelude().strip()


# --------------------------------------------------------------------------- sla blocks


def prelude() -> str:
    found = [b for b in blocks(LANGUAGE) if b.after.strip() == PRELUDE_MARK]
    assert len(found) == 1, f"docs/language.md needs exactly one block after {PRELUDE_MARK}"
    assert found[0].lang == "sla"
    return found[0].text


def sla_blocks() -> list[Block]:
    return [b for page in scanned_pages() for b in blocks(page) if b.lang == "sla"]


@pytest.mark.parametrize("block", _params(sla_blocks()))
def test_sla_block_compiles(block: Block) -> None:
    """On its own, or after the prelude; the error of the prelude attempt is shown."""
    try:
        slagraph.compile(block.text, block.name)
        return
    except slagraph.SlaError:
        pass
    if block.after.strip() == PRELUDE_MARK:
        raise AssertionError("the prelude must compile on its own")
    if block.page != LANGUAGE:  # only language.md has a prelude
        slagraph.compile(block.text, block.name)
    text = prelude() + "\n" + block.text
    try:
        slagraph.compile(text, block.name + " (after the prelude)")
    except slagraph.SlaError as error:
        raise AssertionError(f"{block.name} does not compile:\n{error}") from None


def test_prelude_does_not_compile_blocks_that_stand_alone() -> None:
    """The prelude compiles alone: it is declarations only, so it cannot hide a block."""
    model = slagraph.compile(prelude(), "prelude")
    assert model.roots == ()


# --------------------------------------------------------------------------- python blocks


def python_blocks() -> list[Block]:
    return [b for page in sorted(DOCS.glob("*.md")) for b in blocks(page) if b.lang == "python"]


@pytest.mark.parametrize("block", _params(python_blocks()))
def test_python_block_runs(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    code = compile(block.text, block.name, "exec")
    exec(code, {"__name__": "__docs__"})  # noqa: S102 - our own documentation


# --------------------------------------------------------------------------- CLI blocks


def cli_blocks() -> list[Block]:
    out = []
    for page in CLI_PAGES:
        for block in blocks(page):
            if block.lang in ("console", "bash") and block.first_line.startswith("$ slagraph"):
                out.append(block)
    return out


def test_console_blocks_in_cli_pages_are_commands() -> None:
    """In docs/cli.md and docs/embedding.md a ```console block is always run: one that
    does not start with `$ slagraph` would be skipped, so it is an error."""
    for page in CLI_PAGES[:2]:
        for block in blocks(page):
            if block.lang == "console":
                assert block.first_line.startswith("$ slagraph"), block.name


def _sessions(block: Block) -> list[tuple[list[str], list[str], int]]:
    """(argv, pasted output lines, expected exit code) per `$ slagraph` command."""
    sessions: list[tuple[list[str], list[str], int]] = []
    lines = block.text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("$ slagraph"):
            argv = shlex.split(line[2:], comments=True)[1:]
            output: list[str] = []
            i += 1
            while i < len(lines) and not lines[i].startswith("$ "):
                output.append(lines[i])
                i += 1
            code = 0
            if i < len(lines) and lines[i].strip() == "$ echo $?":
                code = int(lines[i + 1].strip())
                i += 2
            sessions.append((argv, output, code))
        elif line.startswith("$ "):
            raise AssertionError(f"{block.name}: only slagraph commands run here: {line}")
        else:
            i += 1
    return sessions


def _first(text: str) -> str:
    return next((ln.rstrip() for ln in text.splitlines() if ln.strip()), "")


@pytest.mark.parametrize("block", _params(cli_blocks()))
def test_cli_block_runs(block: Block, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setitem(os.environ, "COLUMNS", "200")
    for argv, pasted, code in _sessions(block):
        result = CliRunner().invoke(main, argv)
        shown = f"$ slagraph {shlex.join(argv)}"
        assert "Traceback" not in result.output, f"{block.name}: {shown}\n{result.output}"
        assert result.exit_code == code, (
            f"{block.name}: {shown} exited {result.exit_code}, the page says {code}\n"
            f"{result.stdout}{result.stderr}"
        )
        if any(ln.strip() for ln in pasted):
            real = result.stdout + result.stderr
            assert _first("\n".join(pasted)) == _first(real), (
                f"{block.name}: {shown}: the pasted output starts differently from the real "
                f"output:\n{_first(chr(10).join(pasted))!r}\n{_first(real)!r}"
            )
