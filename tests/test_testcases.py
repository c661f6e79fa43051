"""`slagraph test` (SPEC §6.8): test files, their errors, the report, the pre-commit hooks.

Every example folder's own test files run here, so CI runs them; fixtures in
tests/fixtures/testcases hold a deliberately wrong test file (its report is snapshotted)
and malformed ones.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml  # pyyaml: a dependency of dask[distributed], in the test extra
from click.testing import CliRunner

import slagraph
from slagraph import testcases
from slagraph.cli import main
from slagraph.errors import SlaTestFileError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
FIXTURES = Path("tests/fixtures/testcases")  # relative to ROOT: the report names it so
FOLDERS = sorted(p for p in EXAMPLES.iterdir() if p.is_dir() and list(p.glob("*.sla")))


def summary(out: str) -> str:
    """The words of a report's last line, `=== 3 passed, 1 failed ===`."""
    found = re.fullmatch(r"=+ (.*?) =+", out.rstrip().split("\n")[-1])
    assert found, out
    return found.group(1)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output + result.stderr
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def test_every_example_folder_is_covered() -> None:
    """Every example folder has test files, and every agreement in it has its own."""
    assert len(FOLDERS) >= 9
    for sla in EXAMPLES.glob("*/*.sla"):
        assert sla.with_name(sla.stem + testcases.SUFFIX).is_file(), sla


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_example_folder_tests_pass(folder: Path) -> None:
    """`slagraph test FOLDER` on each example: every case passes, each with a status,
    and a credit where the example's agreements have credits."""
    code, out, err = run("test", str(folder))
    assert (code, err) == (0, ""), out
    assert re.fullmatch(r"\d+ passed", summary(out)), out
    files = [testcases.read_case_file(f) for f in testcases.test_files(folder)]
    checks = {c.field for f in files for case in f.cases for e in case.expects for c in e.checks}
    assert "status" in checks
    statement = re.compile(r"^\s*(credit|at_risk)\b", re.M)
    credits = any(statement.search(sla.read_text("utf-8")) for sla in folder.glob("*.sla"))
    assert ("credit" in checks or "credit_pct" in checks) == credits


def test_authoring_page_shows_the_real_test_file() -> None:
    """docs/authoring.md's example test file is examples/tutorial/step2.sla-test.toml."""
    page = (ROOT / "docs" / "authoring.md").read_text("utf-8")
    shown = page.split("## Test files", 1)[1].split("```text\n", 1)[1].split("```\n", 1)[0]
    assert shown == (EXAMPLES / "tutorial" / "step2.sla-test.toml").read_text("utf-8")


def test_wrong_expectation_fails_like_pytest(at_root: None) -> None:
    """A failed field shows expected and got; a missing row says what there is; bad
    inline data is an error at the test file's line; exit 1; the whole text is the
    snapshot in wrong.expected.txt."""
    code, out, err = run("test", str(FIXTURES / "wrong.sla-test.toml"))
    assert (code, err) == (1, "")
    assert out == (FIXTURES / "wrong.expected.txt").read_text("utf-8")
    assert summary(out) == "1 passed, 1 failed, 1 error"


def test_each_wrong_field_is_reported(tmp_path: Path) -> None:
    """Flipping any one asserted field of a passing example case makes it fail, naming
    that field: the comparisons can fail."""
    source = (EXAMPLES / "customer_support" / "model.sla-test.toml").read_text("utf-8")
    model = EXAMPLES / "customer_support" / "model.sla"
    flips = {
        'value = "20%"': ('value = "25%"', 'value: expected "25%", got 0.2 (20%)'),
        "credit = 180000": ("credit = 180001", "credit: expected 180001, got 180000.0"),
        'credit_pct = "10%"': ('credit_pct = "5%"', 'credit_pct: expected "5%", got 0.1 (10%)'),
        'value = "8h"': ('value = "7h"', 'value: expected "7h", got 28800.0 (8h)'),
        'status = "no_data"': ('status = "met"', "status: expected met, got no_data"),
    }
    for old, (new, message) in flips.items():
        assert old in source, old
        tests = tmp_path / "flipped.sla-test.toml"
        tests.write_text(source.replace(old, new, 1), encoding="utf-8")
        code, out, _ = run("test", str(model), str(tests))
        assert code == 1, old
        assert f"    {message}\n" in out
        assert summary(out) == "2 passed, 1 failed"


def test_termination_expectations(tmp_path: Path) -> None:
    """`termination = true/false` on a period, and without one (any period)."""
    model = EXAMPLES / "tutorial" / "step2.sla"
    source = (EXAMPLES / "tutorial" / "step2.sla-test.toml").read_text("utf-8")
    wrong = source.replace(
        'period = "2026-07"\ntermination = true', 'period = "2026-06"\ntermination = true'
    ).replace('period = "2026-06"\ntermination = false', "termination = false")
    tests = tmp_path / "t.sla-test.toml"
    tests.write_text(wrong, encoding="utf-8")
    code, out, _ = run("test", str(model), str(tests))
    assert code == 1
    rule = "2026-07 (3 consecutive periods)"
    assert f"termination: expected a right to terminate in 2026-06, got {rule}" in out
    assert f"termination: expected no right to terminate, got {rule}" in out


BAD = {
    "bad_toml": "bad_toml.sla-test.toml:6: not valid TOML: Illegal character '\\n' (column 27)",
    "bad_key": "bad_key.sla-test.toml:10: case 'a misspelt key': unknown key 'stauts' "
    "(did you mean 'status'?)",
    "bad_status": "bad_status.sla-test.toml:10: case 'an unknown status': 'status' must be "
    "one of met, at_risk, breached, no_data, got 'breach' (did you mean 'breached'?)",
    "bad_value": "bad_value.sla-test.toml:10: case 'a value that is no number': 'value' must "
    'be a number, "null", a percentage like "97.5%" or a duration like "4h", got '
    '"ninety percent"',
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_malformed_test_file_is_a_located_error(at_root: None, name: str) -> None:
    code, out, err = run("test", str(FIXTURES / f"{name}.sla-test.toml"))
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {FIXTURES}/{BAD[name]}"), err


def test_located_errors_of_the_api(tmp_path: Path) -> None:
    """The same errors as `SlaTestFileError` values, with file, line and case."""
    tests = tmp_path / "x.sla-test.toml"
    cases = {
        '[[case]]\nname = "a"\n[[case.expect]]\nnode = "n"\naccount = "a"\nperiod = "p"\n': (
            3,
            "a",
            "this expectation asserts nothing",
        ),
        '[[case]]\nname = "a"\nas_of = 2026-01-01T00:00:00\n[[case.expect]]\n': (
            3,
            "a",
            "'as_of' needs an offset",
        ),
        '[[case]]\nname = "a"\nas_of = "tomorrow"\n[[case.expect]]\n': (
            3,
            "a",
            "'as_of' 'tomorrow' is not a time",
        ),
        'title = "x"\n': (1, None, "unknown key 'title'"),
        "[data]\ntickets = 3\n[[case]]\n": (2, None, "data 'tickets' must be CSV text"),
        '[[case]]\nname = "a"\n\n[[case.expect]]\nnode = "n"\naccount = "x"\nstatus = "met"\n': (
            4,
            "a",
            "an expectation of a row needs 'period'",
        ),
        '[[case]]\nname = "a"\nexpect = [{node = "n", account = "x", value = true}]\n': (
            3,
            "a",
            "'value' must be a number",
        ),
    }
    for text, (line, case, message) in cases.items():
        tests.write_text(text, encoding="utf-8")
        with pytest.raises(SlaTestFileError) as caught:
            testcases.read_case_file(tests)
        assert (caught.value.line, caught.value.case) == (line, case), text
        assert caught.value.message.startswith(message), caught.value.message
        assert str(caught.value).startswith(f"{tests}:{line}: ")


def test_model_test_api() -> None:
    """`Model.test` runs test files against the model itself; `str()` is the report."""
    model = slagraph.load(EXAMPLES / "multilevel" / "model.sla")
    report = model.test(EXAMPLES / "multilevel")
    assert report.ok and report.counts() == {"passed": 2}
    assert summary(str(report)) == "2 passed"
    wrong = model.test(ROOT / FIXTURES / "wrong.sla-test.toml")  # another model's cases
    assert not wrong.ok and wrong.counts() == {"error": 3}
    assert "missing column" in (wrong.outcomes[0].error or "")


def test_streams_a_case_leaves_out_are_empty(tmp_path: Path) -> None:
    """Only the streams a case is about need data: the others read as empty tables."""
    tests = tmp_path / "model.sla-test.toml"
    tests.write_text(
        """
[data]
accounts = "account,segment,fee\\nacme,x,100\\n"

[[case]]
name = "nothing happened"
as_of = 2026-02-01T00:00:00Z
account = "acme"
period = "2026-01"
[case.data]
outages = "account,service,start,end\\nacme,pos,2026-01-05T00:00:00Z,2026-01-05T01:00:00Z\\n"

[[case.expect]]
node = "group_msa.stores.service_desk.first_reply"
status = "no_data"
value = "null"
""",
        encoding="utf-8",
    )
    code, out, _ = run("test", str(EXAMPLES / "multilevel" / "model.sla"), str(tests))
    assert code == 0, out


def test_arguments(tmp_path: Path) -> None:
    """No test file beside a model, a folder without test files, and an orphan test file
    are usage errors (exit 2); `--each` pairs each argument with its own model."""
    lone = tmp_path / "lone.sla"
    lone.write_text((EXAMPLES / "tutorial" / "step1.sla").read_text("utf-8"), encoding="utf-8")
    code, _, err = run("test", str(lone))
    assert code == 2 and f"no test file for {lone}: looked for {tmp_path}/lone.sla-test.toml" in err
    code, _, err = run("test", str(lone), str(tmp_path))
    assert code == 2 and "no test files (*.sla-test.toml) in" in err
    orphan = tmp_path / "orphan.sla-test.toml"
    orphan.write_text((EXAMPLES / "tutorial" / "step1.sla-test.toml").read_text("utf-8"), "utf-8")
    code, _, err = run("test", str(orphan))
    assert code == 2 and "which model does it test?" in err
    tutorial = EXAMPLES / "tutorial"
    code, out, _ = run(
        "test", "--each", str(tutorial / "step1.sla"), str(tutorial / "step2.sla-test.toml")
    )
    assert code == 0 and summary(out) == "3 passed"


def hooks() -> list[dict[str, object]]:
    loaded = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))
    assert isinstance(loaded, list)
    return loaded


def test_pre_commit_hooks_shape() -> None:
    by_id = {h["id"]: h for h in hooks()}
    assert sorted(by_id) == ["slagraph-check", "slagraph-fmt", "slagraph-test"]
    assert by_id["slagraph-fmt"]["entry"] == "slagraph fmt --check"
    for hook in by_id.values():
        assert hook["language"] == "python" and str(hook["entry"]).startswith("slagraph ")
        assert re.search(str(hook["files"]), "agreements/support.sla")
        assert not re.search(str(hook["files"]), "agreements/support.sla.bak")
    assert re.search(str(by_id["slagraph-test"]["files"]), "support.sla-test.toml")


@pytest.mark.parametrize("hook", hooks(), ids=lambda h: str(h["id"]))
def test_pre_commit_hook_entries_run(hook: dict[str, object]) -> None:
    """Each hook's entry, as pre-commit runs it (the files matching `files`, several at
    once), in a process of its own: exit 0 on formatted, passing examples, 1 on a failure."""
    tutorial = EXAMPLES / "tutorial"
    files = [str(p) for p in sorted(tutorial.iterdir()) if re.search(str(hook["files"]), p.name)]
    assert len(files) >= 2
    entry = shlex.split(str(hook["entry"]))
    assert entry[0] == "slagraph"
    command = [sys.executable, "-m", "slagraph", *entry[1:]]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([*command, *files], capture_output=True, text=True, env=env, cwd=ROOT)
    assert (done.returncode, done.stderr) == (0, ""), done.stdout
    bad = {
        "slagraph-check": "tests/broken/compile_unknown_calendar.sla",
        "slagraph-fmt": "examples/spec/model.sla",
        "slagraph-test": str(FIXTURES / "wrong.sla-test.toml"),
    }[str(hook["id"])]
    done = subprocess.run(
        [*command, *files, bad], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr


def test_check_and_fmt_take_several_files(at_root: None) -> None:
    """One line per file; a bad file does not stop the others; the worst exit code."""
    good = "examples/tutorial/step1.sla"
    code, out, err = run("check", good, "tests/broken/compile_unknown_calendar.sla", "nope.sla")
    assert code == 2
    assert out == f"ok: {good}: 1 agreements, 1 objectives, roots: respuesta\n"
    assert "unknown calendar 'busines'" in err and "cannot read nope.sla" in err
    code, out, err = run("fmt", "--check", good, "examples/spec/model.sla")
    assert (code, out, err) == (
        1,
        f"ok: {good} is formatted\n",
        "would reformat examples/spec/model.sla\n",
    )
    code, _, err = run("fmt", good, good)
    assert code == 2 and "--check / --write for several" in err
