"""The faults corpus: every folder in tests/faults/ is one bad input or fault, run through
the command line, and must end with exactly the exit code and stderr in its `expected`.

A case folder holds `args` (one line of command-line arguments, split like a shell;
`{case}` stands for the case folder), whatever files the case needs, and `expected`:
its first line `exit N`, then the exact text written to stderr (`{case}` substituted).
Stdout is compared too when the folder has `expected.stdout`.

To add a case: make the folder, run `python tests/test_faults.py NAME` to print what
happens now, read it, and save it as `expected` only if it is what a user should see.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from slagraph.cli import main

FAULTS = Path(__file__).parent / "faults"
CASES = sorted(p.name for p in FAULTS.iterdir() if (p / "args").exists())


def run(name: str) -> tuple[int, str, str]:
    case = FAULTS / name
    args = shlex.split((case / "args").read_text(encoding="utf-8").replace("{case}", str(case)))
    result = CliRunner().invoke(main, args, prog_name="slagraph", catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def expected(name: str) -> tuple[int, str]:
    case = FAULTS / name
    head, _, rest = (case / "expected").read_text(encoding="utf-8").partition("\n")
    assert head.startswith("exit "), f"{name}/expected must start with 'exit N'"
    return int(head.split()[1]), rest.replace("{case}", str(case))


@pytest.mark.parametrize("name", CASES)
def test_fault(name: str) -> None:
    code, stdout, stderr = run(name)
    want_code, want_stderr = expected(name)
    assert (code, stderr) == (want_code, want_stderr)
    out = FAULTS / name / "expected.stdout"
    if out.exists():
        assert stdout == out.read_text(encoding="utf-8").replace("{case}", str(FAULTS / name))


if __name__ == "__main__":
    for case in sys.argv[1:] or CASES:
        code, stdout, stderr = run(case)
        print(f"== {case}\nexit {code}\n{stderr}", end="")
