"""Checks across rows and columns, and the bad-row policy that decides what they cost.

`validate` types each column and finds its bad values; the checks here need typed
columns: `later >= earlier` pairs, the account (missing, unknown, a duplicate key). Each
returns a `validate.Problem` (a mask and a describer); `resolve` applies `on_bad_rows`
to all of them at once, and `take` keeps the good rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from slagraph.data.tables import Column
from slagraph.data.validate import Problem, RowError, format_ns, shown
from slagraph.errors import DataLocation, SlaDataError, did_you_mean


def order_problems(
    columns: dict[str, Column],
    pairs: Sequence[tuple[str, str]],
    as_written: Callable[[str, int], str | None] | None = None,
) -> list[Problem]:
    """`later >= earlier` wherever both are known (SPEC §3.1: a negative duration is bad).
    `as_written(column, i)`: the value as the file has it, shown instead of the instant
    in UTC when given (a `time format` stream: '03/01/2016 14:05')."""
    problems = []
    for later, earlier in pairs:
        a, b = columns[later], columns[earlier]
        mask = a.values < b.values  # the loader copies these columns out of Arrow anyway
        if a.valid is not None:
            mask &= a.valid
        if b.valid is not None:
            mask &= b.valid
        if mask.any():
            show = format_ns if a.type == "time" else repr

            def describe(
                i: int,
                a: Column = a,
                b: Column = b,
                later: str = later,
                earlier: str = earlier,
                show: Callable = show,
            ) -> str:
                first = as_written(later, i) if as_written else None
                second = as_written(earlier, i) if as_written else None
                return (
                    f"'{later}' ({first or show(a.values[i])}) is before '{earlier}' "
                    f"({second or show(b.values[i])}); expected {later} >= {earlier}"
                )

            problems.append(Problem(mask, later, describe))
    return problems


def null_account_problems(column: Column, name: str) -> list[Problem]:
    """Rows without an account (`account from group`, with `group: text?` null): a bad
    row, since the record belongs to nobody (SPEC §3.7: nothing is silently dropped)."""
    if column.valid is None or column.valid.all():
        return []
    return [
        Problem(
            ~column.valid,
            name,
            lambda i: (
                f"no account: '{name}' (account from {name}) is empty; every record must "
                "belong to an account"
            ),
        )
    ]


def unknown_account_problem(
    column: Column, known: np.ndarray, lookup: np.ndarray, name: str = "account"
) -> Problem | None:
    """Rows whose account is not in the accounts table. `lookup` maps the column's
    dictionary to positions in `known` (-1 when absent)."""
    assert column.dictionary is not None
    missing = np.flatnonzero(lookup < 0)
    if len(missing) == 0:
        return None
    mask = np.isin(column.values, missing)
    if column.valid is not None:
        mask &= column.valid
    if not mask.any():
        return None
    dictionary = column.dictionary

    def describe(i: int) -> str:
        value = str(dictionary[column.values[i]])
        hint = did_you_mean(value, known.tolist())
        return f"unknown account {shown(value)}: not in the accounts table{hint}"

    return Problem(mask, name, describe)


def duplicate_key_problem(
    column: Column, rows: np.ndarray, name: str = "account"
) -> Problem | None:
    """Repeated keys of the accounts table; the first occurrence is the good one."""
    codes = column.values
    _, first = np.unique(codes, return_index=True)
    mask = np.ones(len(codes), bool)
    mask[first] = False
    if column.valid is not None:
        mask &= column.valid
    if not mask.any():
        return None
    first_of = np.full(int(codes.max()) + 1 if len(codes) else 0, -1, np.int64)
    first_of[codes[first]] = first
    assert column.dictionary is not None
    dictionary = column.dictionary

    def describe(i: int) -> str:
        return (
            f"duplicate account {shown(str(dictionary[codes[i]]))} "
            f"(first at row {rows[first_of[codes[i]]]})"
        )

    return Problem(mask, name, describe)


def resolve(
    stream: str,
    rows: np.ndarray,
    problems: Sequence[Problem],
    read_errors: Sequence[RowError],
    skip: bool,
    where: Callable[[int], str],
    header_of: Callable[[str | None], str | None] = lambda column: None,
) -> np.ndarray | None:
    """Apply the bad-row policy. Returns the keep-mask (None: keep all), or raises.

    Under "error", the bad row with the smallest source row number wins; on a tie the
    earlier check (declaration order, then order checks, then accounts) does. `where`
    gives the file-position suffix for a row number (e.g. "; at data/x.csv:13");
    `header_of` the source name of a column read `from "Header"`, for the location.
    """
    if not skip:
        best: tuple[int, int, str | None, Callable[[], str]] | None = None
        for order, problem in enumerate(problems):
            i = int(np.flatnonzero(problem.mask)[0])
            key = (int(rows[i]), order)
            if best is None or key < best[:2]:
                best = (*key, problem.column, lambda p=problem, i=i: p.describe(i))
        for error in read_errors:
            key = (error.row, -1)
            if best is None or key < best[:2]:
                best = (*key, error.column, lambda e=error: e.message)
        if best is not None:
            row, _, column, message = best
            location = DataLocation(stream, row, column, header_of(column))
            raise SlaDataError(message() + where(row), location)
        return None
    if not problems:
        return None
    bad = np.logical_or.reduce([p.mask for p in problems])
    return ~bad if bad.any() else None


def take(column: Column, keep: np.ndarray) -> Column:
    """The rows of `column` where `keep` holds."""
    valid = None if column.valid is None else column.valid[keep]
    if valid is not None and valid.all():
        valid = None
    return Column(column.type, column.values[keep], valid, column.dictionary)
