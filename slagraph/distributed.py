"""Evaluation on Dask (SPEC §6.7): partitions of accounts evaluated apart, rows concatenated.

Accounts are independent: the rows of disjoint account sets, evaluated with one as-of and
one first instant (`since`), concatenate to those of one evaluation. So:

1. `plan` counts the records of each account (only the account columns are read) and
   packs the accounts, largest first, into partitions of about equal record counts.
2. Each partition is loaded on a worker from the source itself (`data.partitions.Subset`:
   Parquet reads only the row groups holding its accounts; other files are read and
   cut), and stays there.
3. A small task per partition reports its first and latest instants; the client takes
   one as-of and one first instant over all of them, so every period grid is the same.
4. Each partition is evaluated; the tables are concatenated and put back in the order
   one evaluation gives (accounts in the accounts table's order, else by name).

Dask and distributed are imported here only, and only when a client is asked for.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from slagraph.compiler import ir
from slagraph.data.databases import is_connection
from slagraph.data.partitions import Subset, account_strings, shippable
from slagraph.data.readers import open_source
from slagraph.data.schema import StreamSchema
from slagraph.data.sources import Source
from slagraph.engine import (
    Result,
    default_as_of,
    evaluate_framed,
    load_for,
    placed_at,
    preorder,
    schemas_read,
    to_ns,
)
from slagraph.engine.context import Context
from slagraph.errors import SlaError, SlaUsageError, did_you_mean

PER_WORKER = 4
"""Partitions per worker thread: enough that a slow partition does not hold up the end."""
RETRIES = 2
"""How often Dask reruns a task that raised an unexpected error (a lost worker is rerun
by the scheduler on its own); slagraph's own errors are returned, never retried."""

EXTRA = "pip install 'slagraph[dask]'"


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise SlaUsageError(
            f"evaluating on Dask needs dask and distributed: {EXTRA} "
            "(or pip install 'dask[distributed]')"
        ) from None
    return distributed


@contextlib.contextmanager
def cluster(workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """A `distributed.Client`: of a local cluster of `workers` processes (one thread
    each), or connected to the scheduler at `scheduler` (`tcp://host:8786`)."""
    distributed = _distributed()
    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout="10s")
        except OSError as e:
            raise SlaUsageError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from None
        with client:
            yield client
        return
    import logging

    with (
        distributed.LocalCluster(
            n_workers=workers or 1,
            threads_per_worker=1,
            dashboard_address=":0",  # any free port: never "8787 is already in use"
            silence_logs=logging.ERROR,
        ) as local,
        distributed.Client(local) as client,
    ):
        yield client


# ------------------------------------------------------------------ the plan


@attrs.frozen(eq=False)
class Plan:
    """Which accounts each partition evaluates. `names`: every account found (sorted);
    `parts`: indices into `names`, one array per partition; `records`: each account's
    records over every stream read (the accounts table included)."""

    names: np.ndarray
    parts: tuple[np.ndarray, ...]
    records: np.ndarray
    subsets: tuple[Subset, ...]

    def part_records(self) -> list[int]:
        return [int(self.records[p].sum()) for p in self.parts]


def _schemas(model: ir.Model) -> list[StreamSchema]:
    return schemas_read(model)


def plan(model: ir.Model, data: Any, partitions: int) -> Plan:
    """Accounts packed into at most `partitions` partitions of about equal record counts:
    largest account first, each into the partition holding the fewest records so far
    (a loop over accounts, never over records)."""
    if isinstance(data, Mapping):
        reader = open_source(data)
        raws = {schema.name: reader.read(schema) for schema in _schemas(model)}
        columns = {
            s.name: raws[s.name].table.column(s.account_column)
            for s in _schemas(model)
            if s.account_column in raws[s.name].table.column_names
        }
    elif shippable(data):
        raws = {}
        reader = open_source(data)
        columns = {}
        try:
            for schema in _schemas(model):
                name = schema.account_column
                spec = schema.column(name) if name is not None else None
                if spec is not None:
                    only = attrs.evolve(schema, columns=(spec,))
                    columns[schema.name] = reader.read(only).table.column(spec.name)
        finally:
            reader.close()
    else:
        raise SlaUsageError(_NOT_SHIPPABLE.format(_named(data)))
    strings = [s for s in map(account_strings, columns.values()) if s is not None]
    names = (
        np.unique(np.concatenate([pc.unique(s).drop_null().to_numpy(False) for s in strings]))
        if strings
        else np.array([], object)
    ).astype(object)
    value_set = pa.array(names, pa.string())
    records = np.zeros(len(names), np.int64)
    for s in strings:
        codes = pc.index_in(s, value_set=value_set).drop_null().to_numpy(False)
        records += np.bincount(codes, minlength=len(names))
    parts = _pack(records, max(1, min(partitions, len(names))))
    subsets = []
    for i, part in enumerate(parts):
        mine = pa.array(names[part], pa.string())
        subset = Subset(data, mine, value_set if i == 0 else None)
        if raws:
            subset = attrs.evolve(
                subset,
                source=None,
                tables={n: subset.filter(raw, _schema(model, n)) for n, raw in raws.items()},
            )
        subsets.append(subset)
    return Plan(names, tuple(parts), records, tuple(subsets))


_NOT_SHIPPABLE = (
    "on Dask, data must be a folder, a database file or URI (or a Source of one), or a "
    "mapping of tables: each worker opens it itself, and {} cannot be sent to a worker; "
    "pass Source('postgresql://…') or the database file's path"
)


def _named(data: Any) -> str:
    if isinstance(data, Source):
        return f"{data!r} (an open connection)"
    if is_connection(data):
        return "an open connection"
    return f"a {type(data).__name__}"


def _schema(model: ir.Model, name: str) -> StreamSchema:
    return next(s for s in _schemas(model) if s.name == name)


def _pack(records: np.ndarray, count: int) -> list[np.ndarray]:
    """Greedy largest-first bin packing; each partition's accounts in name order."""
    import heapq

    bins: list[list[int]] = [[] for _ in range(count)]
    heap = [(0, i) for i in range(count)]
    for account in np.argsort(-records, kind="stable"):
        load, i = heapq.heappop(heap)
        bins[i].append(int(account))
        heapq.heappush(heap, (load + int(records[account]), i))
    return [np.sort(np.array(b, np.int64)) for b in bins if b]


# ------------------------------------------------------------------ worker tasks


@attrs.frozen
class _Failed:
    """A slagraph error raised on a worker, returned so that Dask does not retry it."""

    error: BaseException


class _Loaded:
    """A partition's loaded data, kept on the worker that loaded it. Should Dask move
    it (to another worker, or to disk), it travels as what to load and is loaded again
    where it lands: a load is pure, and a `Dataset` holds locks that cannot be pickled."""

    def __init__(self, model: ir.Model, subset: Subset, on_bad_rows: str) -> None:
        self.args = (model, subset, on_bad_rows)
        self.dataset = load_for(model, subset, on_bad_rows)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Loaded, self.args)


def _load(model: ir.Model, subset: Subset, on_bad_rows: str) -> Any:
    try:
        return _Loaded(model, subset, on_bad_rows)
    except SlaError as e:
        return _Failed(e)


def _bounds(model: ir.Model, dataset: Any, as_of: int | None) -> Any:
    if isinstance(dataset, _Failed):
        return dataset
    return _bounds_of(model, dataset.dataset, as_of)


def _bounds_of(model: ir.Model, dataset: Any, as_of: int | None) -> Any:
    """(earliest time, default as-of, latest time, a record placed at `as_of`), Nones
    where the partition has no times."""
    probe = Context(model, dataset, 0, 0)
    if not probe.has_times:
        return None, default_as_of(model, dataset), None, False
    placed = as_of is not None and placed_at(model, dataset, as_of)
    return probe.data_lo, default_as_of(model, dataset), probe.data_hi, placed


@attrs.frozen
class Frame:
    """What every partition must share for their rows to concatenate: as-of, the first
    instant periods cover (`lo`) and the last (`through`, see `engine.Known`)."""

    as_of: int
    lo: int
    through: int


def _evaluate(
    model: ir.Model,
    dataset: Any,
    frame: Frame,
    start: str | None,
    end: str | None,
    every: Any,
) -> Any:
    """One partition's result, without what would need its data later (explain)."""
    if isinstance(dataset, _Failed):
        return dataset
    dataset = dataset.dataset
    try:
        result = _evaluate_here(model, dataset, frame, start, end, every)
    except SlaError as e:
        return _Failed(e)
    rank = None
    if dataset.accounts is not None:  # order of the accounts table: its rows
        rank = dataset.accounts.rows.astype(np.int64)
    return result.table, result.terminations, result.bad_rows, dataset.account_names, rank


def _evaluate_here(
    model: ir.Model, dataset: Any, frame: Frame, start: str | None, end: str | None, every: Any
) -> Result:
    return evaluate_framed(
        model,
        dataset,
        as_of=frame.as_of,
        lo=frame.lo,
        through=frame.through,
        start=start,
        end=end,
        every=every,
    )


# ------------------------------------------------------------------ the client side


def evaluate(
    model: ir.Model,
    data: Any,
    client: Any,
    *,
    as_of: Any = None,
    start: str | None = None,
    end: str | None = None,
    on_bad_rows: str = "error",
    since: Any = None,
    every: Any = None,
    partitions: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Result:
    """`Model.evaluate(data, client=…)`: the same rows as one process, evaluated on the
    Dask cluster of `client` (a `distributed.Client`). `partitions`: how many (default
    `PER_WORKER` per worker thread); `progress(done, total)` after each partition."""
    submit, subsets = _session(model, data, client, partitions)
    loads = [submit(_load, "load", i, s, on_bad_rows) for i, s in enumerate(subsets)]
    as_of_ns = None if as_of is None else to_ns(as_of)
    bounds = client.gather([submit(_bounds, "bounds", i, f, as_of_ns) for i, f in enumerate(loads)])
    _raise_first(bounds)
    frame = _frame(bounds, as_of_ns, since)
    futures = [
        submit(_evaluate, "eval", i, f, frame, start, end, every) for i, f in enumerate(loads)
    ]
    parts = _gathered(client, futures, progress)
    del loads, futures
    _raise_first(parts)
    return _merge(model, parts, frame, _Local(model, data, frame, on_bad_rows, every))


def _raise_first(results: Sequence[Any]) -> None:
    """The error of the first partition that failed (by account order, not by time)."""
    for result in results:
        if isinstance(result, _Failed):
            raise result.error


def _frame(bounds: Sequence[Any], as_of: int | None, since: Any) -> Frame:
    """One as-of and one first instant for all partitions, as `engine.known_at` takes
    them from the whole data."""
    los = [b[0] for b in bounds if b[0] is not None]
    defaults = [b[1] for b in bounds if b[1] is not None]
    his = [b[2] for b in bounds if b[2] is not None]
    placed = any(b[3] for b in bounds)
    if as_of is None:
        if defaults:
            as_of, placed = max(defaults), True
        elif his:
            as_of, placed = max(his), False
        else:
            raise SlaUsageError("the data holds no timestamps; give an as-of time")
    lo = to_ns(since, "since") if since is not None else min(los) if los else as_of
    return Frame(as_of, lo, as_of if placed else as_of - 1)


def _merge(model: ir.Model, parts: Sequence[Any], frame: Frame, local: _Local) -> Result:
    """The partitions' rows in one evaluation's order: each partition's rows are in that
    order already, and an account's rows are all in one partition, so a stable sort by
    account puts them together."""
    tables = [p[0] for p in parts]
    table = pa.concat_tables(tables)
    ranks = [p[4] for p in parts]
    if all(r is not None for r in ranks):  # by each account's row in the accounts table
        per_row = np.concatenate(
            [
                rank[_codes(t.column("account"), names)]
                for t, (_, _, _, names, rank) in zip(tables, parts, strict=True)
            ]
            or [np.zeros(0, np.int64)]
        )
        order = pa.array(np.argsort(per_row, kind="stable"))
    else:
        order = pc.sort_indices(table, [("account", "ascending")])  # stable
    table = table.take(order)
    bad_rows: dict[str, int] = {}
    broadcast = {s.name for s in _schemas(model) if s.account_column is None}
    for i, part in enumerate(parts):
        for stream, count in part[2].items():
            if i == 0 or stream not in broadcast:
                bad_rows[stream] = bad_rows.get(stream, 0) + count
    terminations = _terminations(model, parts)
    return Result(table, terminations, bad_rows, frame.as_of, local.explain, local.records)


def _codes(column: pa.ChunkedArray, names: np.ndarray) -> np.ndarray:
    found = pc.index_in(column, value_set=pa.array(names, pa.string()))
    return np.asarray(found.to_numpy(zero_copy_only=False), np.int64)


def _terminations(model: ir.Model, parts: Sequence[Any]) -> list[dict[str, Any]]:
    """Termination lines in one evaluation's order: by instance, rule, then account."""
    key = _termination_key(model)
    keyed = []
    for _, terminations, _, names, rank in parts:
        of = _account_key(names, rank)
        keyed += [(key(t, of), t) for t in terminations]  # a few lines per account at most
    keyed.sort(key=lambda pair: pair[0])
    return [t for _, t in keyed]


def _account_key(names: np.ndarray, rank: np.ndarray | None) -> Callable[[str], Any]:
    """An account's place in one evaluation's order: its accounts-table row, or its name."""
    if rank is None:
        return lambda name: name
    where = {str(n): int(rank[i]) for i, n in enumerate(names)}
    return where.__getitem__


def _termination_key(model: ir.Model) -> Callable[[dict[str, Any], Any], tuple[Any, ...]]:
    node = {inst.path: i for i, inst in enumerate(preorder(model.plan))}
    rules: dict[tuple[str, Any, str, Any], int] = {}
    for inst in preorder(model.plan):
        every = ir.versions_of(model.agreements[inst.agreement])
        dated = [(d, rule) for d, terms in every for rule in terms.terminations]
        for j, (day, rule) in enumerate(dated):  # each version's rules, as evaluate lists them
            text = (
                f"{rule.count} consecutive periods"
                if rule.of_n is None
                else f"{rule.count} of {rule.of_n} periods"
            )
            version = day.isoformat() if day is not None else None
            rules.setdefault((inst.path, rule.target, text, version), j)

    def key(t: dict[str, Any], account: Callable[[str], Any]) -> tuple[Any, ...]:
        j = rules.get((t["node"], t["target"], t["rule"], t.get("version")), 0)
        return node[t["node"]], j, account(t["account"])

    return key


# ------------------------------------------------------------------ what-if


def _whatif_sides(model: ir.Model, loaded: _Loaded, changes: Sequence[str], seed: int) -> Any:
    """Base and changed data of one partition; the changes' draws are seeded by (seed,
    partition's first account), so they do not depend on where the task runs."""
    from slagraph.whatif.changes import apply, parse_changes

    base = loaded.dataset
    first = str(base.account_names[0]) if len(base.account_names) else ""
    rng = np.random.default_rng([seed, *first.encode()])
    mine = set(base.account_names)
    parsed = [  # a record added for one account is added where that account is
        c for c in parse_changes(model, changes) if _added_for(c) in (None, *mine)
    ]
    return base, apply(model, base, parsed, rng)


def _added_for(change: Any) -> str | None:
    """The account an `add … account="X"` change adds its record for (None: every one)."""
    given = dict(change.fields).get("account") if change.kind == "add" else None
    return None if given is None else str(given[1] if isinstance(given, tuple) else given)


def _whatif_bounds(
    model: ir.Model, loaded: Any, changes: Sequence[str], seed: int, as_of: int | None
) -> Any:
    if isinstance(loaded, _Failed):
        return loaded
    try:
        return [_bounds_of(model, d, as_of) for d in _whatif_sides(model, loaded, changes, seed)]
    except SlaError as e:
        return _Failed(e)


def _whatif_part(
    model: ir.Model,
    loaded: Any,
    changes: Sequence[str],
    seed: int,
    frame: Frame,
    start: str | None,
    end: str | None,
) -> Any:
    from slagraph.whatif import paired
    from slagraph.whatif.scenarios import per_scenario, stack

    if isinstance(loaded, _Failed):
        return loaded
    try:
        both = stack(list(_whatif_sides(model, loaded, changes, seed)))
        result = evaluate_framed(
            per_scenario(model),
            both,
            as_of=frame.as_of,
            lo=frame.lo,
            through=frame.through,
            start=start,
            end=end,
        )
    except SlaError as e:
        return _Failed(e)
    base = loaded.dataset
    rank = base.accounts.rows.astype(np.int64) if base.accounts is not None else None
    return (*paired(result), base.account_names, rank)


def whatif(
    model: ir.Model,
    data: Any,
    changes: Sequence[str],
    client: Any,
    *,
    as_of: Any = None,
    seed: int = 0,
    on_bad_rows: str = "error",
    start: str | None = None,
    end: str | None = None,
    partitions: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Any:
    """`Model.whatif(…, client=…)`: base and changed data of each partition of the
    accounts evaluated on Dask, pairs in one process's order. The same as one process
    but for `volume` changes by a fraction, whose seeded draws are per partition."""
    from slagraph.whatif import WhatIf
    from slagraph.whatif.changes import parse_changes

    parsed = parse_changes(model, changes)  # a bad change fails here, before any task
    for change in parsed:
        if change.kind == "set" and change.column == "account" and change.stream != "accounts":
            raise SlaUsageError(
                "a change that moves records to another account cannot run on Dask (the "
                "accounts are evaluated apart): run this what-if without a Dask client"
            )
    submit, subsets = _session(model, data, client, partitions)
    known = {str(n) for s in subsets for n in s.accounts.to_pylist()}
    for change in parsed:
        account = _added_for(change)
        if account is not None and account not in known:
            raise SlaUsageError(f"unknown account '{account}'{did_you_mean(account, known)}")
    loads = [submit(_load, "load", i, s, on_bad_rows) for i, s in enumerate(subsets)]
    as_of_ns = None if as_of is None else to_ns(as_of)
    found = client.gather(
        [
            submit(_whatif_bounds, "bounds", i, f, list(changes), seed, as_of_ns)
            for i, f in enumerate(loads)
        ]
    )
    _raise_first(found)
    frame = _frame([b for sides in found for b in sides], as_of_ns, None)
    futures = [
        submit(_whatif_part, "whatif", i, f, list(changes), seed, frame, start, end)
        for i, f in enumerate(loads)
    ]
    parts = _gathered(client, futures, progress)
    del loads, futures
    _raise_first(parts)
    key = _termination_key(model)
    pairs: list[tuple[Any, dict[str, Any]]] = []
    terms: list[tuple[Any, dict[str, Any]]] = []
    for part_pairs, part_terms, names, rank in parts:
        of = _account_key(names, rank)
        # base rows first, then those only the changed side has, each in account order
        pairs += [((p["base_met"] is None, of(p["account"])), p) for p in part_pairs]
        terms += [((t["base_period"] is None, *key(t, of)), t) for t in part_terms]
    pairs.sort(key=lambda pair: pair[0])
    terms.sort(key=lambda pair: pair[0])
    return WhatIf([p for _, p in pairs], [t for _, t in terms], parsed, frame.as_of)


# ------------------------------------------------------------------ simulate

_SETUPS: dict[str, Any] = {}
"""On a worker: the last simulation's loaded data and base evaluation, by session key,
so that its tasks load the data once per worker process, not once per task."""


def _simulate_part(
    model: ir.Model, session: str, source: Any, options: dict[str, Any], pieces: Any
) -> Any:
    """The tallies of one task's runs: `pieces`, (chunk index, first, end, whole) each."""
    from slagraph.simulate import Runner, prepare

    try:
        setup = _SETUPS.get(session)
        if setup is None:
            setup = prepare(model, source, **options)
            _SETUPS.clear()  # one simulation's data at a time
            _SETUPS[session] = setup
        runner = Runner(setup)
        for index, lo, hi, whole in pieces:
            runner.run(np.arange(lo, hi), piece=index, whole=whole)
    except SlaError as e:
        return _Failed(e)
    return runner.tallies


def _forget(session: str) -> None:
    _SETUPS.pop(session, None)


def task_pieces(
    bounds: Sequence[tuple[int, int]], tasks: int
) -> list[list[tuple[int, int, int, bool]]]:
    """The runs cut into `tasks` contiguous ranges of about equal size, each as its
    pieces of one process's chunks (`bounds`): (chunk index, first, end, whole).

    >>> task_pieces([(0, 10), (10, 20)], 4)
    [[(0, 0, 5, False)], [(0, 5, 10, False)], [(1, 10, 15, False)], [(1, 15, 20, False)]]
    >>> task_pieces([(0, 10), (10, 20)], 1)
    [[(0, 0, 10, True), (1, 10, 20, True)]]
    """
    runs = bounds[-1][1]
    tasks = max(1, min(tasks, runs))
    cuts = [runs * t // tasks for t in range(tasks + 1)]
    out = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        mine = []
        for index, (lo, hi) in enumerate(bounds):
            first, end = max(lo, a), min(hi, b)
            if first < end:
                mine.append((index, first, end, first == lo and end == hi))
        out.append(mine)
    return out


def simulate(
    model: ir.Model,
    data: Any,
    client: Any,
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
    chunk: int | None = None,
    pilot: bool = False,
    tasks: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Any:
    """`Model.simulate(…, client=…)`: the runs cut into contiguous ranges (`tasks`,
    default `PER_WORKER` per worker thread) simulated on Dask, each worker loading the
    data itself; the tallies merged into the same rows as one process, to the bit (its
    chunks, `pilot` one first when it had an `on_estimate`, are summed as it sums them).
    `progress(runs_done, runs)` after each task."""
    from slagraph.simulate import chunk_bounds, finish, prepare
    from slagraph.simulate.summary import merged

    _distributed()
    if not shippable(data) and not isinstance(data, Mapping):
        raise SlaUsageError(_NOT_SHIPPABLE.format(_named(data)))
    options: dict[str, Any] = dict(
        runs=runs,
        seed=seed,
        method=method,
        changes=list(changes),
        block=block,
        as_of=as_of,
        start=start,
        end=end,
        on_bad_rows=on_bad_rows,
        chunk=chunk,
    )
    setup = prepare(model, data, **options)  # checks all, and the rows' observed statuses
    options["chunk"] = setup.chunk  # the workers' data is the same: so is the chunk
    if tasks is None:
        tasks = PER_WORKER * max(1, sum(client.nthreads().values()))
    pieces = task_pieces(chunk_bounds(runs, setup.chunk, pilot), tasks)
    session = uuid.uuid4().hex[:12]
    shared = client.scatter(model, broadcast=True, hash=False)
    source = client.scatter(data, broadcast=True, hash=False) if isinstance(data, Mapping) else data
    futures = [
        client.submit(
            _simulate_part,
            shared,
            session,
            source,
            options,
            mine,
            key=f"slagraph-simulate-{session}-{i}",
            retries=RETRIES,
            pure=False,
        )
        for i, mine in enumerate(pieces)
    ]
    if progress is not None:
        size = {
            f.key: sum(hi - lo for _, lo, hi, _ in p) for f, p in zip(futures, pieces, strict=True)
        }
        done = 0
        for future in _distributed().as_completed(futures):
            done += size[future.key]
            progress(done, runs)
    try:
        parts = list(client.gather(futures))
    finally:
        del futures
        client.run(_forget, session)  # the workers' copies of the data
    _raise_first(parts)
    tallies = {path: merged([p[path] for p in parts]) for path in parts[0]}
    return finish(setup, tallies)


def _gathered(
    client: Any, futures: list[Any], progress: Callable[[int, int], None] | None
) -> list[Any]:
    if progress is not None:
        for done, _ in enumerate(_distributed().as_completed(futures), 1):
            progress(done, len(futures))
    return list(client.gather(futures))


def _session(
    model: ir.Model, data: Any, client: Any, partitions: int | None
) -> tuple[Callable[..., Any], tuple[Subset, ...]]:
    """The plan's subsets and a `submit(fn, step, partition, *args)` giving each task
    one key per (run, step, partition): a rerun replaces a result, never adds one."""
    _distributed()
    if partitions is None:
        partitions = PER_WORKER * max(1, sum(client.nthreads().values()))
    if model.clocks:
        # A clock gives each cycle the account of its item's last event naming one: an
        # item's rows may name several accounts, or none, so they cannot be cut by
        # account. Not partitioned (yet): one task, the same rows.
        partitions = 1
    the_plan = plan(model, data, partitions)
    run = uuid.uuid4().hex[:12]
    shared = client.scatter(model, broadcast=True, hash=False)

    def submit(fn: Callable[..., Any], step: str, i: int, *args: Any) -> Any:
        return client.submit(
            fn, shared, *args, key=f"slagraph-{step}-{run}-{i}", retries=RETRIES, pure=False
        )

    return submit, the_plan.subsets


class _Local:
    """`explain` and `records` of a distributed result: the one account asked about is
    evaluated again here, in this process, with the same frame (its rows only)."""

    def __init__(
        self, model: ir.Model, data: Any, frame: Frame, on_bad_rows: str, every: Any
    ) -> None:
        self.model, self.data, self.frame = model, data, frame
        self.on_bad_rows, self.every = on_bad_rows, every

    def _one(self, account: str | None, what: str) -> Result:
        if account is None:
            raise SlaUsageError(
                f"{what} of a result evaluated on Dask needs an account: it evaluates that "
                "account again in this process (or evaluate without a Dask client)"
            )
        subset = Subset(self.data, pa.array([account], pa.string()))
        if isinstance(self.data, Mapping):
            reader = open_source(self.data)
            subset = attrs.evolve(
                subset,
                source=None,
                tables={s.name: subset.filter(reader.read(s), s) for s in _schemas(self.model)},
            )
        dataset = load_for(self.model, subset, self.on_bad_rows)
        return _evaluate_here(self.model, dataset, self.frame, None, None, self.every)

    def explain(self, account: str, period: str, node: str | None, limit: int | None) -> Any:
        return self._one(account, "explain").explain(account, period, node, limit)

    def records(
        self,
        node: str,
        account: str | None,
        period: str | None,
        limit: int | None,
        start: str | None,
        end: str | None,
        verdict: Any,
    ) -> Any:
        return self._one(account, "records").records(
            node, account, period, limit, start=start, end=end, verdict=verdict
        )


__all__ = ["Frame", "Plan", "Subset", "cluster", "evaluate", "plan", "simulate", "whatif"]
