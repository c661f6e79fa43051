"""Run a test file's cases on a model, and show what failed the way pytest does.

Each case is one `Model.evaluate` on its inline data (`slagraph.data.inline`), so a case
sees exactly what `slagraph eval` would on the same rows written as files. Only the
fields an expectation names are compared.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import attrs

from slagraph.data.inline import CsvTexts
from slagraph.errors import SlaError, did_you_mean
from slagraph.testcases.cases import (
    ABS_TOLERANCE,
    REL_TOLERANCE,
    Case,
    CaseFile,
    Check,
    Expectation,
)


class Evaluates(Protocol):
    """What a case needs of a `slagraph.Model` (not imported: `Model.test` imports this
    package, and the stages import no client of theirs)."""

    @property
    def ir(self) -> Any: ...

    def evaluate(self, data: Any, *, as_of: Any = None, threads: int | None = None) -> Any: ...


EXTRA_KINDS = ("termination", "bad_rows")


@attrs.frozen
class Failure:
    """One expectation not met: where it is written and what differed, line by line."""

    expectation: Expectation
    lines: tuple[str, ...]


@attrs.frozen
class CaseOutcome:
    """A case's result: `failures` (none: passed), or `error` when it could not run
    (its data is bad, its as-of unreadable)."""

    case: Case
    failures: tuple[Failure, ...] = ()
    error: str | None = None

    @property
    def state(self) -> str:
        """`passed`, `failed` or `error`."""
        if self.error is not None:
            return "error"
        return "failed" if self.failures else "passed"


@attrs.frozen
class FileOutcome:
    """The outcomes of one test file's cases, against the model at `model`."""

    file: CaseFile
    model: str
    cases: tuple[CaseOutcome, ...]


@attrs.frozen
class Report:
    """Every file run: `str()` is the pytest-like text `slagraph test` prints, `ok`
    whether everything passed."""

    files: tuple[FileOutcome, ...]

    @property
    def outcomes(self) -> list[CaseOutcome]:
        return [c for f in self.files for c in f.cases]

    @property
    def ok(self) -> bool:
        return all(c.state == "passed" for c in self.outcomes)

    def counts(self) -> dict[str, int]:
        states = [c.state for c in self.outcomes]
        return {s: states.count(s) for s in ("passed", "failed", "error") if s in states}

    def summary(self) -> str:
        """`3 passed, 1 failed` (and `, 1 error`)."""
        counts = self.counts()
        parts = [f"{n} {s if s != 'error' or n == 1 else 'errors'}" for s, n in counts.items()]
        return ", ".join(parts) or "no cases"

    def __str__(self) -> str:
        out: list[str] = []
        for f in self.files:
            out.append(f"{f.file.path} ({f.model}): {_plural(len(f.cases), 'case')}")
            out.extend(f"  {c.state.upper():<7} {c.case.name}" for c in f.cases)
        bad = [(f, c) for f in self.files for c in f.cases if c.state != "passed"]
        if bad:
            out.append("")
            out.append(_rule(" FAILURES "))
            for f, c in bad:
                out.append(_rule(f" {c.case.name} ", "_"))
                where = f"{f.file.path}:{c.case.line}" if c.case.line else str(f.file.path)
                if c.error is not None:
                    out.append(f"{where}: error: the case could not run")
                    out.extend(f"    {line}" for line in c.error.split("\n"))
                for failure in c.failures:
                    e = failure.expectation
                    at = f"{f.file.path}:{e.line}" if e.line else where
                    period = f", period {e.period}" if e.period is not None else ""
                    out.append(f"{at}: {e.node}, account {e.account}{period}")
                    out.extend(f"    {line}" for line in failure.lines)
        out.append(_rule(f" {self.summary()} "))
        return "\n".join(out) + "\n"


def _rule(title: str, fill: str = "=", width: int = 72) -> str:
    side = max(3, (width - len(title)) // 2)
    return f"{fill * side}{title}{fill * side}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def run_cases(model: Evaluates, cases: CaseFile, model_name: str = "") -> FileOutcome:
    """Every case of `cases` evaluated on `model`, compared with its expectations."""
    return FileOutcome(
        cases,
        model_name or model.ir.file,
        tuple(run_case(model, c, str(cases.path)) for c in cases.cases),
    )


def run_case(model: Evaluates, case: Case, origin: str = "<tests>") -> CaseOutcome:
    """One case: evaluated on its own data (one thread: cases are small), then checked."""
    try:
        result = model.evaluate(CsvTexts(case.data, origin), as_of=case.as_of, threads=1)
    except SlaError as error:
        return CaseOutcome(case, error=str(error))
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in result.iter_rows(units=True):
        if row.get("kind") not in EXTRA_KINDS:
            rows[(row["node"], row["account"], row["period"])] = row
    failures = [f for e in case.expects if (f := _judge(e, rows, result.terminations))]
    return CaseOutcome(case, tuple(failures))


def _judge(
    e: Expectation,
    rows: dict[tuple[str, str, str], dict[str, Any]],
    terminations: Sequence[dict[str, Any]],
) -> Failure | None:
    lines: list[str] = []
    if e.checks:
        assert e.period is not None
        row = rows.get((e.node, e.account, e.period))
        if row is None:
            lines.extend(_missing(e, rows))
        else:
            lines.extend(line for check in e.checks if (line := _compare(check, row)))
    if e.termination is not None:
        lines.extend(_termination(e, terminations))
    return Failure(e, tuple(lines)) if lines else None


def _missing(e: Expectation, rows: Iterable[tuple[str, str, str]]) -> list[str]:
    keys = list(rows)
    nodes = {k[0] for k in keys}
    if e.node not in nodes:
        hint = did_you_mean(e.node, nodes)
        return [f"no node '{e.node}'{hint}; nodes: {_some(sorted(nodes), 12)}"]
    accounts = {k[1] for k in keys if k[0] == e.node}
    if e.account not in accounts:
        listed = _some(sorted(accounts)) or "none"
        return [f"no account '{e.account}' in this node's rows; accounts there: {listed}"]
    periods = sorted({k[2] for k in keys if k[:2] == (e.node, e.account)})
    return [f"no row for period {e.period}; periods there: {_some(periods)}"]


def _some(items: list[str], most: int = 8) -> str:
    """At most `most` of `items`: the first and the last ones."""
    if len(items) <= most:
        return ", ".join(items)
    half = most // 2
    return f"{', '.join(items[:half])}, … {', '.join(items[-half:])} ({len(items)} in all)"


def _compare(check: Check, row: dict[str, Any]) -> str | None:
    got = row.get(check.field)
    expected = check.expected
    if check.field in ("status", "met", "earned_back", "final", "version"):
        if got == expected:
            return None
        shown = str(got).lower() if isinstance(got, bool) else str(got)
        return f"{check.field}: expected {check.written}, got {shown}"
    if expected is None or got is None:
        same = expected is None and got is None
    elif check.tolerance is not None:
        same = abs(got - expected) <= check.tolerance
    else:
        same = math.isclose(got, expected, rel_tol=REL_TOLERANCE, abs_tol=ABS_TOLERANCE)
    if same:
        return None
    within = f" (within {check.tolerance:g})" if check.tolerance is not None else ""
    return f"{check.field}: expected {check.written}{within}, got {_shown(got, check.written)}"


def _shown(got: Any, written: str) -> str:
    """The value got, also in the unit the expectation was written in."""
    if got is None:
        return "null"
    text = repr(float(got)) if isinstance(got, float) else str(got)
    if written.endswith('%"'):
        return f"{text} ({got * 100:.6g}%)"
    if written.startswith('"') and written[-2:-1] in ("s", "m", "h", "d", "w"):
        return f"{text} ({_duration(got)})"
    return text


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    parts = [(s // 86400, "d"), (s % 86400 // 3600, "h"), (s % 3600 // 60, "m"), (s % 60, "s")]
    return "".join(f"{n}{u}" for n, u in parts if n) or "0s"


def _termination(e: Expectation, terminations: Sequence[dict[str, Any]]) -> list[str]:
    mine = [t for t in terminations if t["node"] == e.node and t["account"] == e.account]
    at = [t for t in mine if e.period is None or t["period"] == e.period]
    where = f" in {e.period}" if e.period is not None else ""
    rights = ", ".join(f"{t['period']} ({t['rule']})" for t in mine) or "none"
    if e.termination and not at:
        return [f"termination: expected a right to terminate{where}, got {rights}"]
    if not e.termination and at:
        return [f"termination: expected no right to terminate{where}, got {rights}"]
    return []
