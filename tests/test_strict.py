"""`slagraph check --strict`: every file in tests/strict/ must give exactly the warnings in
its `.expected` twin (empty when the file is clean). A case with a folder of the same name
is checked against that folder as data (`check --strict --data`).

To add a case: write `tests/strict/NAME.sla`, run `python tests/test_strict.py NAME` to
print the current warnings, read them, and save them as `tests/strict/NAME.expected` only
if they are what a user should see.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import slagraph
from slagraph.cli import main
from slagraph.compiler.strict import combined

STRICT = Path(__file__).parent / "strict"
CASES = sorted(p.stem for p in STRICT.glob("*.sla"))


def message(name: str) -> str:
    path = STRICT / f"{name}.sla"
    model = slagraph.compile(path.read_text(encoding="utf-8"), f"strict/{name}.sla")
    data = STRICT / name
    return "".join(f"{w}\n" for w in model.warnings(data if data.is_dir() else None))


@pytest.mark.parametrize("name", CASES)
def test_strict_warnings(name: str) -> None:
    expected = (STRICT / f"{name}.expected").read_text(encoding="utf-8")
    assert message(name) == expected


def test_every_check_has_a_case() -> None:
    model = slagraph.compile("")
    assert model.warnings() == []
    codes = {
        w.code
        for name in CASES
        for w in slagraph.compile((STRICT / f"{name}.sla").read_text(encoding="utf-8")).warnings(
            STRICT / name if (STRICT / name).is_dir() else None
        )
    }
    assert codes == {
        "series-targets",
        "no-budget",
        "trivial-target",
        "unused",
        "credit-tier",
        "no-accounts",
    }


def test_block_diagram_maths() -> None:
    assert combined("series", 1, [0.999, 0.999]) == pytest.approx(0.998001)
    assert combined("parallel", 1, [0.99, 0.99]) == pytest.approx(0.9999)
    assert combined("k_of_n", 2, [0.99, 0.99]) == pytest.approx(0.9801)
    assert combined("k_of_n", 1, [0.9, 0.9]) == pytest.approx(combined("parallel", 1, [0.9, 0.9]))
    assert combined("k_of_n", 2, [0.9, 0.8, 0.7]) == pytest.approx(
        0.9 * 0.8 * 0.7 + 0.1 * 0.8 * 0.7 + 0.9 * 0.2 * 0.7 + 0.9 * 0.8 * 0.3
    )


def test_cli_strict_exit_codes() -> None:
    runner = CliRunner()
    warned = str(STRICT / "series_targets.sla")
    plain = runner.invoke(main, ["check", warned])
    assert plain.exit_code == 0, plain.output
    assert plain.output.startswith("ok: ") and "warning" not in plain.output
    strict = runner.invoke(main, ["check", "--strict", warned])
    assert strict.exit_code == 1
    assert "7:101: warning: objective 'platform.up' needs >= 99.9%" in strict.output
    assert "99.8001%" in strict.output
    assert strict.output.rstrip().endswith("1 warning")
    clean = runner.invoke(main, ["check", "--strict", str(STRICT / "clean.sla")])
    assert clean.exit_code == 0 and clean.output.startswith("ok: ")


def test_cli_strict_data() -> None:
    runner = CliRunner()
    file, data = str(STRICT / "no_accounts.sla"), str(STRICT / "no_accounts")
    without = runner.invoke(main, ["check", "--strict", file])
    assert without.exit_code == 0, without.output  # the coverage check needs the data
    warned = runner.invoke(main, ["check", "--strict", "--data", data, file])
    assert warned.exit_code == 1
    assert "4:37: warning: sla 'availability' covers no account" in warned.output
    assert "gold_only" not in warned.output
    assert runner.invoke(main, ["check", "--data", data, file]).exit_code == 2


if __name__ == "__main__":
    for case in sys.argv[1:] or CASES:
        print(f"== {case}\n{message(case)}")
