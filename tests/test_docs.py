"""The documentation runs: every example in the docs is checked against the code.

What is run (CONTRIBUTING.md, "The docs test", says the same for authors):

* every ```sla block of docs/*.md, docs/es/*.md and README.md is compiled with
  `slagraph.compile`; in docs/language.md on its own if it declares what it uses, else
  after the prelude (the block that follows the line `<!-- docs-test: prelude -->`, stated
  once at the top of the page); on every other page on its own;
* every ```python block of docs/*.md and docs/es/*.md is executed, in a fresh namespace,
  with the working directory a temporary folder in which `examples/` links to the
  repository's, so relative paths like "examples/spec/model.sla" work and any file a block
  writes lands in the temporary folder;
* every ```console or ```bash block of docs/cli.md, docs/embedding.md, docs/tutorial.md,
  docs/authoring.md, docs/es/tutorial.md and README.md whose
  first line starts with `$ slagraph` is run through the real command. Lines starting
  with `$ ` are commands; other lines are output. The exit code must be 0, unless the
  block shows it with `$ echo $?` followed by the number. When output is pasted, the real
  output (stdout, then stderr) must start with the same first line.

A translated page (docs/es/tutorial.md) holds the same fenced blocks as its original, one to
one and in order, so an example changed in one language only fails
`test_translation_has_the_same_blocks`. Every relative link of the scanned pages leads to a
file that exists, and a `#fragment` to one of its headings.

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
TUTORIAL = DOCS / "tutorial.md"
TUTORIAL_ES = DOCS / "es" / "tutorial.md"
CLI_PAGES = [
    DOCS / "cli.md",
    DOCS / "embedding.md",
    TUTORIAL,
    ROOT / "README.md",
    DOCS / "authoring.md",
    TUTORIAL_ES,
]
# translated page: its original; both must hold the same fenced blocks in the same order
TRANSLATIONS = {TUTORIAL_ES: TUTORIAL}
KNOWN_FENCES = {"sla", "python", "console", "bash", "text", "json", ""}
PRELUDE_MARK = "<!-- docs-test: prelude -->"


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
        page = self.page.relative_to(ROOT) if self.page.is_relative_to(ROOT) else self.page
        return f"{page}:{self.line}"

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


def doc_pages() -> list[Path]:
    """docs/*.md and the translations in docs/<language>/*.md."""
    return sorted({*DOCS.glob("*.md"), *(DOCS / "es").glob("*.md")})


def scanned_pages() -> list[Path]:
    return sorted({*doc_pages(), ROOT / "README.md"})


def test_every_fence_is_known() -> None:
    """A typo in a fence (```pyhton) would otherwise skip a block without a word."""
    for page in scanned_pages():
        for block in blocks(page):
            assert block.lang in KNOWN_FENCES, f"{block.name}: unknown fence ```{block.lang}"


def test_pages_have_examples() -> None:
    """The pages this test covers exist and hold what they are checked for."""
    for page in (LANGUAGE, *CLI_PAGES, *TRANSLATIONS, DOCS / "architecture.md"):
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
    return [b for page in doc_pages() for b in blocks(page) if b.lang == "python"]


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


# --------------------------------------------------------------------------- translations


def _first_difference(a: str, b: str) -> str:
    left, right = a.splitlines(), b.splitlines()
    for n, (x, y) in enumerate(zip(left, right, strict=False), start=1):
        if x != y:
            return f"line {n} of the block:\n  original:    {x!r}\n  translation: {y!r}"
    n = min(len(left), len(right)) + 1
    return f"line {n} of the block: one has {len(left)} lines, the other {len(right)}"


def _differences(original: list[Block], translated: list[Block]) -> list[str]:
    """Where two pages' fenced blocks stop matching, one message per differing pair."""
    found = []
    for n, (a, b) in enumerate(zip(original, translated, strict=False), start=1):
        if a.lang != b.lang:
            found.append(f"block {n}: {b.name} is ```{b.lang}, {a.name} is ```{a.lang}")
        elif a.text != b.text:
            where = _first_difference(a.text, b.text)
            found.append(f"block {n}: {b.name} differs from {a.name}, {where}")
    for a in original[len(translated) :]:
        found.append(f"{a.name}: ```{a.lang} block {a.first_line!r} is not in the translation")
    for b in translated[len(original) :]:
        found.append(f"{b.name}: ```{b.lang} block {b.first_line!r} is not in the original")
    return found


@pytest.mark.parametrize(
    ("translated", "original"),
    [pytest.param(t, o, id=str(t.relative_to(ROOT))) for t, o in TRANSLATIONS.items()],
)
def test_translation_has_the_same_blocks(translated: Path, original: Path) -> None:
    """Commands, code and outputs are not translated: a block changed in one language only
    (a new output, a renamed file) fails here, naming the block and its first changed line."""
    theirs, ours = blocks(original), blocks(translated)
    assert ours, f"{translated} has no fenced blocks"
    problems = _differences(theirs, ours)
    assert not problems, (
        f"{translated.relative_to(ROOT)} no longer mirrors {original.relative_to(ROOT)}; "
        "change both pages:\n" + "\n".join(problems)
    )


def test_block_comparison_names_the_differing_block(tmp_path: Path) -> None:
    """The comparison itself can fail: a changed output line, a changed fence and a block
    missing at the end are each reported with the block's position."""
    en = tmp_path / "en.md"
    es = tmp_path / "es.md"
    sla = "```sla\nsla a {}\n```\n"
    en.write_text("A\n\n```console\n$ slagraph check x\nok\n```\n\n" + sla, "utf-8")
    es.write_text("Una\n\n```console\n$ slagraph check x\nbien\n```\n", "utf-8")
    found = _differences(blocks(en), blocks(es))
    assert len(found) == 2
    assert "block 1" in found[0] and "'ok'" in found[0] and "'bien'" in found[0]
    assert "not in the translation" in found[1] and "sla a {}" in found[1]
    es.write_text("```bash\n$ slagraph check x\nok\n```\n\n" + sla, "utf-8")
    found = _differences(blocks(en), blocks(es))
    assert len(found) == 1 and "```bash" in found[0] and "```console" in found[0]
    es.write_text(en.read_text("utf-8").replace("A\n", "Una\n"), "utf-8")
    assert _differences(blocks(en), blocks(es)) == []


def test_original_links_to_its_translation() -> None:
    """A reader of the English page finds the translation, and README lists it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for translated, original in TRANSLATIONS.items():
        target = os.path.relpath(translated, original.parent)
        assert f"]({target})" in original.read_text(encoding="utf-8"), (original, target)
        assert str(translated.relative_to(ROOT)) in readme, translated


# --------------------------------------------------------------------------- links

_LINK = re.compile(r"\]\(([^()\s]+)\)")
_CODE_SPAN = re.compile(r"`[^`]*`")


def _prose(page: Path) -> list[tuple[int, str]]:
    """(line number, text) of the lines outside fenced blocks, inline code removed."""
    out, fenced = [], False
    for n, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        if _FENCE.match(line) or (fenced and line.rstrip() == "```"):
            fenced = not fenced
            continue
        if not fenced:
            out.append((n, _CODE_SPAN.sub("", line)))
    return out


def anchors(page: Path) -> set[str]:
    """The #fragments a heading gets on GitHub: lower case, punctuation dropped, spaces
    to hyphens, a repeated heading numbered -1, -2, ..."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    fenced = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if _FENCE.match(line) or (fenced and line.rstrip() == "```"):
            fenced = not fenced
            continue
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if fenced or not m:
            continue
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", m.group(1))
        slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        found.add(slug if n == 0 else f"{slug}-{n}")
    return found


def broken_links(page: Path) -> list[str]:
    """The relative links of a page whose file, or whose #heading, does not exist."""
    broken = []
    for n, line in _prose(page):
        for target in _LINK.findall(line):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
                continue
            path, _, fragment = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            where = f"{page.relative_to(ROOT) if page.is_relative_to(ROOT) else page}:{n}"
            if not file.exists():
                broken.append(f"{where}: ({target}): no file {path}")
            elif fragment and file.suffix == ".md" and fragment not in anchors(file):
                broken.append(f"{where}: ({target}): no heading #{fragment} in {path or page.name}")
    return broken


def test_relative_links_resolve() -> None:
    """A link from docs/es/ must climb to ../language.md: a page moved or a link copied
    from another folder would otherwise send readers to a 404."""
    broken = [problem for page in scanned_pages() for problem in broken_links(page)]
    assert not broken, "\n".join(broken)


def test_link_check_finds_broken_links(tmp_path: Path) -> None:
    """The check itself can fail: a missing file and a missing heading are reported, links
    in code are not links, and GitHub's heading fragments (accents kept) are understood."""
    (tmp_path / "es").mkdir()
    headings = "# Períodos en curso\n\n## 3. Sub-SLA, con `créditos`\n"
    (tmp_path / "other.md").write_text(headings, "utf-8")
    page = tmp_path / "es" / "page.md"
    page.write_text(
        "[ok](../other.md#períodos-en-curso) [ok](../other.md#3-sub-sla-con-créditos)\n"
        "[gone](other.md) [no heading](../other.md#periods-in-progress) [self](#top)\n"
        "`[code](nowhere.md)` [web](https://example.org/x.md)\n\n# Top\n\n"
        "```text\n[fenced](nowhere.md)\n```\n",
        "utf-8",
    )
    found = broken_links(page)
    assert len(found) == 2, found
    assert "(other.md): no file other.md" in found[0]
    assert "no heading #periods-in-progress in ../other.md" in found[1]
