"""The broken-file corpus: every file in tests/broken/ must fail with exactly the message
in its `.expected` twin (file:line:col, kind, message, source line, caret).

To add a case: write `tests/broken/NAME.sla`, run
`python tests/test_broken.py NAME` to print the current message, read it, and save it as
`tests/broken/NAME.expected` only if it is what a user should see.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import slagraph
from slagraph.errors import SlaCompileError, SlaSyntaxError

BROKEN = Path(__file__).parent / "broken"
CASES = sorted(p.stem for p in BROKEN.glob("*.sla"))


def message(name: str) -> str:
    path = BROKEN / f"{name}.sla"
    try:
        slagraph.compile(path.read_text(encoding="utf-8"), f"broken/{name}.sla")
    except slagraph.SlaError as error:
        return str(error) + "\n"
    raise AssertionError(f"{name}.sla compiled without error")


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30
    assert sum(c.startswith("syntax_") for c in CASES) >= 8
    assert sum(c.startswith("compile_") for c in CASES) >= 22


@pytest.mark.parametrize("name", CASES)
def test_broken_file_message(name: str) -> None:
    expected = (BROKEN / f"{name}.expected").read_text(encoding="utf-8")
    assert message(name) == expected


@pytest.mark.parametrize("name", CASES)
def test_broken_file_error_kind(name: str) -> None:
    kind = SlaSyntaxError if name.startswith("syntax_") else SlaCompileError
    with pytest.raises(kind):
        slagraph.compile((BROKEN / f"{name}.sla").read_text(encoding="utf-8"))


if __name__ == "__main__":
    for case in sys.argv[1:] or CASES:
        print(f"== {case}\n{message(case)}")
