"""`Model`: a compiled `.sla` file, the object an embedding application keeps and reuses.

Compile once, evaluate many times: a `Model` is immutable and holds no per-evaluation
state, so one instance may be shared across threads.

`import slagraph` imports this module: every stage is imported where it is first used
(the parser and compiler by `compile`/`load`, the engine by `evaluate`), so that a program
pays at start-up only for what it calls (tests/test_imports.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from slagraph.errors import SlaUsageError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from concurrent.futures import Executor

    import networkx as nx

    from slagraph.alerts import AlertResult
    from slagraph.compiler import ir
    from slagraph.engine.result import Result
    from slagraph.errors import StrictWarning
    from slagraph.simulate import Simulation
    from slagraph.testcases import Report as TestReport
    from slagraph.whatif import WhatIf
    from slagraph.whatif.diff import Diff


class Model:
    """A compiled agreement model. Build it with `slagraph.compile` or `slagraph.load`."""

    def __init__(self, compiled: ir.Model, source: str) -> None:
        self.ir = compiled
        self.source = source

    @property
    def graph(self) -> nx.DiGraph:
        """The dependency graph: streams → objectives → SLAs → masters."""
        return self.ir.graph

    @property
    def roots(self) -> tuple[str, ...]:
        return self.ir.plan.roots

    def evaluate(
        self,
        data: Any,
        *,
        as_of: Any = None,
        start: str | None = None,
        end: str | None = None,
        on_bad_rows: str = "error",
        since: Any = None,
        threads: int | None = None,
        executor: Executor | None = None,
        every: Any = None,
        client: Any = None,
    ) -> Result:
        """Evaluate every root agreement for every account and period.

        Args:
            data: a folder of `NAME.csv|parquet|jsonl`, a SQLite or DuckDB file, a
                `postgresql://` URI, an open ADBC or DuckDB connection (left open), or a
                mapping `{stream: DataFrame | pyarrow.Table | dict of arrays}`
                (docs/data-sources.md).
            as_of: the evaluation instant (ISO string with offset, aware datetime or int ns);
                default: the latest timestamp in the data. Later periods are partial.
            start, end: period labels (`2026-01`, `2026-Q1`, …) bounding the rows reported.
            on_bad_rows: "error" stops at the first bad row; "skip" leaves bad rows out and
                counts them in the result.
            since: the earliest instant periods cover (default: the earliest timestamp in
                the data); fix it to split one evaluation over several calls by account.
            threads: at most this many threads at once (1: all in the calling thread);
                default: the CPUs this process may use, at most 8 (docs/embedding.md).
            executor: a `concurrent.futures.Executor` you own, used instead of threads of
                the call's own (share one across calls and requests).
            every: the step of `window rolling` agreements, as a duration ("1h") or
                seconds; default: each local midnight of the agreement's timezone.
            client: a `distributed.Client`: partitions of the accounts are evaluated on
                its Dask cluster, giving the same rows (docs/distributed.md; needs the
                `slagraph[dask]` extra). `threads`/`executor` then do not apply.
        """
        if on_bad_rows not in ("error", "skip"):
            raise SlaUsageError(f"on_bad_rows must be 'error' or 'skip', got {on_bad_rows!r}")
        if client is not None:
            from slagraph import distributed

            return distributed.evaluate(
                self.ir,
                data,
                client,
                as_of=as_of,
                start=start,
                end=end,
                on_bad_rows=on_bad_rows,
                since=since,
                every=every,
            )
        from slagraph.engine import evaluate

        return evaluate(
            self.ir,
            data,
            as_of=as_of,
            start=start,
            end=end,
            on_bad_rows=on_bad_rows,
            since=since,
            threads=threads,
            executor=executor,
            every=every,
        )

    def due(
        self,
        data: Any,
        *,
        as_of: Any = None,
        within: Any = None,
        on_bad_rows: str = "error",
        threads: int | None = None,
        executor: Executor | None = None,
    ) -> Any:
        """Every open record and running or paused clock cycle that a `share(…, d <= L)`
        objective limits, soonest breach first (SPEC §6.3): `node`, `account`, `row`,
        `state` (`breached`, `running`, `paused`), `elapsed`/`limit`/`left` in seconds
        (business time where the objective says `during`), `breaches_at` in the
        calendar's timezone (null while paused, and for a cycle already breached), then
        the stream's columns. An Arrow table. `within` ("2h", or seconds) keeps those
        breached and those breaching by as-of + within."""
        if on_bad_rows not in ("error", "skip"):
            raise SlaUsageError(f"on_bad_rows must be 'error' or 'skip', got {on_bad_rows!r}")
        from slagraph.engine import due

        return due(
            self.ir,
            data,
            as_of=as_of,
            within=within,
            on_bad_rows=on_bad_rows,
            threads=threads,
            executor=executor,
        )

    def alerts(
        self,
        data: Any,
        *,
        as_of: Any = None,
        start: Any = None,
        end: Any = None,
        step: Any = "1m",
        on_bad_rows: str = "error",
        threads: int | None = None,
    ) -> AlertResult:
        """When each burn-rate alert held, per account (SPEC §6.5, docs/sre.md).

        Args:
            data: as for `evaluate`.
            as_of: the data as known at this instant (default: the latest timestamp).
            start, end: the interval replayed, ISO instants (default: the 7 days before
                as-of); intervals are clipped to [start, end).
            step: how often the conditions are evaluated ("1m", "5m", or seconds).
        """
        if on_bad_rows not in ("error", "skip"):
            raise SlaUsageError(f"on_bad_rows must be 'error' or 'skip', got {on_bad_rows!r}")
        from slagraph.alerts import alerts

        return alerts(
            self.ir,
            data,
            as_of=as_of,
            start=start,
            end=end,
            step=step,
            on_bad_rows=on_bad_rows,
            threads=threads,
        )

    def whatif(
        self,
        data: Any,
        changes: Sequence[str],
        *,
        as_of: Any = None,
        seed: int = 0,
        on_bad_rows: str = "error",
        threads: int | None = None,
        executor: Executor | None = None,
        start: str | None = None,
        end: str | None = None,
        client: Any = None,
    ) -> WhatIf:
        """Evaluate on `data` and on `data` changed by `changes` (the change language of
        docs/whatif.md), side by side. `seed` fixes the random share of `volume` changes;
        `threads`, `executor`, `start`, `end` and `client` as for `evaluate` (on Dask,
        the random share of `volume` changes is drawn per partition)."""
        if client is not None:
            from slagraph import distributed

            return distributed.whatif(  # type: ignore[no-any-return]
                self.ir,
                data,
                list(changes),
                client,
                as_of=as_of,
                seed=seed,
                on_bad_rows=on_bad_rows,
                start=start,
                end=end,
            )
        from slagraph.whatif import whatif

        return whatif(
            self.ir,
            data,
            changes,
            as_of=as_of,
            seed=seed,
            on_bad_rows=on_bad_rows,
            threads=threads,
            executor=executor,
            start=start,
            end=end,
        )

    def diff(
        self,
        other: Model,
        data: Any,
        *,
        as_of: Any = None,
        on_bad_rows: str = "error",
        threads: int | None = None,
        executor: Executor | None = None,
        start: str | None = None,
        end: str | None = None,
    ) -> Diff:
        """This model (the old version) and `other` (the new) on the same data, side by
        side (SPEC §6.6): rows paired by (account, period, node) with `base_` and `new_`
        status, value, credit_pct, credit…, the terminations, and one `money` line per
        account (credits of ended periods not earned back over root rows, new − old).
        Both are judged as of one instant: `as_of`, else the latest placing time either
        model finds in the data. `start`, `end`, `threads`, `executor` as for `evaluate`."""
        if on_bad_rows not in ("error", "skip"):
            raise SlaUsageError(f"on_bad_rows must be 'error' or 'skip', got {on_bad_rows!r}")
        from slagraph.whatif.diff import diff

        return diff(
            self.ir,
            other.ir,
            data,
            as_of=as_of,
            on_bad_rows=on_bad_rows,
            threads=threads,
            executor=executor,
            start=start,
            end=end,
        )

    def simulate(
        self,
        data: Any,
        *,
        runs: int = 1000,
        seed: int = 0,
        method: str = "bootstrap",
        changes: Sequence[str] = (),
        block: str | None = None,
        as_of: Any = None,
        start: str | None = None,
        end: str | None = None,
        on_bad_rows: str = "error",
        progress: Any = None,
        threads: int | None = None,
        executor: Executor | None = None,
        on_estimate: Any = None,
        client: Any = None,
    ) -> Simulation:
        """Monte Carlo over resampled data: P(breach) with a 95% interval, expected credit
        and credit exposure quantiles per node, account and period, and the drivers.

        Args:
            runs, seed: how many runs; the same seed gives the same output.
            method: "bootstrap" draws, for each account and day, a day of the same
                `block` period (default: the model's finest period above daily) with
                replacement; "poisson" repeats each record a Poisson(1) number of times.
            changes: what-if changes (docs/whatif.md) applied to the data first.
            progress: called as progress(runs_done, runs) after each chunk.
            threads, executor: as for `evaluate`.
            on_estimate: called once, after the first chunk when runs remain, with a
                `slagraph.simulate.Estimate` of the time left and the memory at the end
                (extrapolated from that chunk). Not called on Dask.
            client: a `distributed.Client`: the runs are cut into contiguous ranges
                simulated on its Dask cluster, giving the same rows to the bit
                (docs/distributed.md). `threads`/`executor` then do not apply.
        See docs/whatif.md for the method and its assumptions.
        """
        from slagraph.simulate import simulate

        if on_bad_rows not in ("error", "skip"):
            raise SlaUsageError(f"on_bad_rows must be 'error' or 'skip', got {on_bad_rows!r}")
        if client is not None:
            from slagraph import distributed

            return distributed.simulate(  # type: ignore[no-any-return]
                self.ir,
                data,
                client,
                runs=runs,
                seed=seed,
                method=method,
                changes=list(changes),
                block=block,
                as_of=as_of,
                start=start,
                end=end,
                on_bad_rows=on_bad_rows,
                pilot=on_estimate is not None,
                progress=progress,
            )
        return simulate(
            self.ir,
            data,
            runs=runs,
            seed=seed,
            method=method,
            changes=changes,
            block=block,
            as_of=as_of,
            start=start,
            end=end,
            on_bad_rows=on_bad_rows,
            progress=progress,
            threads=threads,
            executor=executor,
            on_estimate=on_estimate,
        )

    def warnings(self, data: Any = None) -> list[StrictWarning]:
        """What `slagraph check --strict` reports: targets that cannot be met or are
        trivially met, credit tiers that never apply, streams and calendars nothing reads
        (docs/authoring.md, "Strict checks"); with `data` (any source `evaluate` reads),
        also `for accounts where` that no row of its accounts table satisfies. Each has a
        span; `str()` of one is `file:line:col: warning: …` with the source line and a
        caret, like a compile error."""
        from slagraph.compiler.strict import strict_warnings
        from slagraph.syntax.parser import parse

        accounts = None
        if data is not None and self.ir.accounts is not None:
            from slagraph.data.loader import load as load_data
            from slagraph.engine.predicates import evaluate_predicate

            table = load_data(data, [], self.ir.accounts).accounts
            if table is not None:
                accounts = (len(table), lambda p: bool(evaluate_predicate(p, table).any()))
        return strict_warnings(parse(self.source, self.ir.file), self.ir, accounts)

    def test(self, tests: str | Path | Sequence[str | Path]) -> TestReport:
        """Run test files (`NAME.sla-test.toml`, or folders of them) against this model
        (SPEC §6.8, docs/authoring.md "Test files"). `str()` of the report is what
        `slagraph test` prints; `.ok` whether every case passed. A bad test file raises
        `SlaTestFileError` with its line."""
        from slagraph import testcases

        given = [tests] if isinstance(tests, str | Path) else list(tests)
        if not given:
            raise SlaUsageError("give a test file or a folder of them")
        files = [testcases.read_case_file(f) for p in given for f in testcases.test_files(p)]
        return testcases.Report(tuple(testcases.run_cases(self, f) for f in files))

    def __repr__(self) -> str:
        return f"<Model {self.ir.file}: {len(self.ir.agreements)} agreements, roots {self.roots}>"


def compile(text: str, file: str = "<string>") -> Model:  # noqa: A001 - the natural name
    """Parse and compile `.sla` source text. Raises `SlaSyntaxError` or `SlaCompileError`."""
    from slagraph.compiler import compile_module
    from slagraph.syntax.parser import parse

    module = parse(text, file)
    return Model(compile_module(module), text)


def load(path: str | Path) -> Model:
    """Read, parse and compile a `.sla` file."""
    from slagraph.compiler import compile_module
    from slagraph.syntax.parser import parse_file

    module = parse_file(path)
    return Model(compile_module(module), module.source)
