"""Compare the test suite's TextMate engine with VS Code's own, character by character.

tests/test_editor_grammar.py runs the grammar in textmate-grammar-python, a port. This
script runs the same texts (the test's corpus, its hand-picked sample, bad snippets and
compiler names, plus tests/broken/) through vscode-textmate as well and reports every
non-blank character whose innermost scope differs. It needs Node.js; not part of CI:

    cd editors/crosscheck && npm install && cd ../..
    python editors/crosscheck/crosscheck.py
"""

from __future__ import annotations

import contextlib
import json
import logging
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
GRAMMAR = ROOT / "editors" / "slagraph.tmLanguage.json"

Scopes = dict[tuple[int, int], str]


def corpus() -> dict[str, str]:
    """Every text the test tokenises, and the broken files (whose lexing must agree too)."""
    sys.path.insert(0, str(ROOT / "tests"))
    import test_editor_grammar as t

    texts = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8-sig") for p in t.sla_files()}
    texts.update(t.fences())
    texts["sample"] = t.SAMPLE
    texts.update({f"bad {i}": src for i, (src, _) in enumerate(t.BAD)})
    texts.update({f"name {w}": snippet for w, snippet, _ in t.compiler_names()})
    for path in sorted((ROOT / "tests" / "broken").glob("*.sla")):
        texts[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8", errors="replace")
    return texts


def by_char(tokens: list[tuple[int, int, str, list[str]]]) -> Scopes:
    """Innermost scope of each non-blank character: the engines split tokens differently."""
    return {
        (line, col + k): scopes[-1]
        for line, col, text, scopes in tokens
        for k, ch in enumerate(text)
        if not ch.isspace()
    }


def python_engine(texts: dict[str, str]) -> dict[str, Scopes]:
    with contextlib.chdir(tempfile.mkdtemp()):  # it makes .textmate_cache in the cwd
        from textmate_grammar.parsers.base import LanguageParser
    logging.getLogger("textmate_grammar").setLevel(logging.ERROR)
    parser = LanguageParser(json.loads(GRAMMAR.read_text(encoding="utf-8")))
    out = {}
    for name, text in texts.items():
        element = parser.parse_string(text)
        flat = element.flatten() if element is not None else []
        out[name] = by_char([(ln, col, content, sc) for (ln, col), content, sc in flat])
    return out


def vscode_engine(texts: dict[str, str]) -> dict[str, Scopes]:
    done = subprocess.run(
        ["node", str(HERE / "tokenize.js"), str(GRAMMAR)],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
        cwd=HERE,
    )
    return {name: by_char(tokens) for name, tokens in json.loads(done.stdout).items()}


def main() -> int:
    texts = corpus()
    ours, theirs = python_engine(texts), vscode_engine(texts)
    differ = 0
    for name in texts:
        keys = sorted(set(ours[name]) | set(theirs[name]))
        bad = [(k, ours[name].get(k), theirs[name].get(k)) for k in keys]
        bad = [b for b in bad if b[1] != b[2]]
        if bad:
            differ += 1
            print(f"{name}: {len(bad)} characters differ, first {bad[:3]}")
    chars = sum(len(s) for s in theirs.values())
    print(f"{len(texts)} texts, {chars} non-blank characters, {differ} texts differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
