"""An agreement's own test cases (SPEC §6.8, `slagraph test`): small inline data and the
statuses, values and credits expected of it, for CI and pre-commit.

    model = slagraph.load("support.sla")
    report = model.test("support.sla-test.toml")     # Model.test uses this package
    print(report); report.ok

`cases` reads a test file (`NAME.sla-test.toml`, TOML) into values with located errors;
`run` evaluates each case and compares. docs/authoring.md, "Test files", is the format.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from slagraph.errors import SlaTestFileError, SlaUsageError
from slagraph.testcases.cases import (
    SUFFIX,
    Case,
    CaseFile,
    Check,
    Expectation,
    model_beside,
    read_case_file,
)
from slagraph.testcases.run import CaseOutcome, Failure, FileOutcome, Report, run_case, run_cases

__all__ = [
    "SUFFIX",
    "Case",
    "CaseFile",
    "CaseOutcome",
    "Check",
    "Expectation",
    "Failure",
    "FileOutcome",
    "Report",
    "pairs",
    "read_case_file",
    "run_case",
    "run_cases",
    "test_files",
]


def pairs(paths: Sequence[str | Path], each: bool = False) -> list[tuple[Path, CaseFile]]:
    """Which model each test file runs against, from `slagraph test`'s arguments.

    * `FILE.sla TESTS…` (one `.sla` first, no other; not `each`): every test file named
      or found in the folders named runs against FILE.
    * Otherwise (and always with `each`, what the pre-commit hook passes: the changed
      files) each argument on its own: a `.sla` runs its `NAME.sla-test.toml` beside it;
      a test file runs against its `model = "…"`, else the `NAME.sla` beside it; a
      folder, every `*.sla-test.toml` under it, each so.
    """
    given = [Path(p) for p in paths]
    if not given:
        raise SlaUsageError("give a model FILE.sla, test files or folders")
    models = [p for p in given if p.suffix == ".sla"]
    if not each and given[0].suffix == ".sla" and len(given) > 1 and len(models) == 1:
        files = [f for p in given[1:] for f in test_files(p)]
        return _unique([(given[0], read_case_file(f)) for f in files])
    found: list[tuple[Path, CaseFile]] = []
    for p in given:
        if p.suffix == ".sla":
            tests = p.with_name(p.stem + SUFFIX)
            if not tests.is_file():
                raise SlaUsageError(
                    f"no test file for {p}: looked for {tests} (or give the tests: "
                    f"slagraph test {p} TESTS)"
                )
            found.append((p, read_case_file(tests)))
            continue
        for f in test_files(p):
            case_file = read_case_file(f)
            model = case_file.model or model_beside(f)
            if model is None or not model.is_file():
                looked = f"; looked for {model}" if model is not None else ""
                raise SlaTestFileError(
                    f"which model does it test? Name the file NAME{SUFFIX} beside NAME.sla, "
                    f'or set model = "….sla" at its top{looked}',
                    str(f),
                    1,
                )
            found.append((model, case_file))
    return _unique(found)


def test_files(path: str | Path) -> list[Path]:
    """`path` itself, or every `*.sla-test.toml` under the folder `path`."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.rglob("*" + SUFFIX))
        if not files:
            raise SlaUsageError(f"no test files (*{SUFFIX}) in {path}")
        return files
    if not path.exists():
        raise SlaUsageError(f"no such test file or folder: {path}")
    return [path]


def _unique(found: list[tuple[Path, CaseFile]]) -> list[tuple[Path, CaseFile]]:
    seen: set[tuple[Path, Path]] = set()
    out = []
    for model, case_file in found:
        key = (model.resolve(), case_file.path.resolve())
        if key not in seen:
            seen.add(key)
            out.append((model, case_file))
    return out
