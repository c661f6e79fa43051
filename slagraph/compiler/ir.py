"""The compiled model: names resolved, units checked, everything the evaluator needs.

The IR is what the engine reads; it never sees the AST. Units are normalised:
ratios are floats in 0..1, durations are whole seconds, clock times seconds of the day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

import attrs

from slagraph.calendars import Calendar
from slagraph.data.schema import StreamSchema
from slagraph.errors import Span

if TYPE_CHECKING:
    import networkx as nx

# ------------------------------------------------------------------ row predicates


@attrs.frozen
class Column:
    """A column of the stream being filtered; `type` is its declared type."""

    name: str
    type: str


@attrs.frozen
class Const:
    """A literal. `type`: text, number, bool, duration (seconds), null."""

    value: object
    type: str


@attrs.frozen
class Elapsed:
    """`later - earlier [during calendar]`: a duration between two time columns of a stream."""

    later: str
    earlier: str
    calendar: str | None = None


@attrs.frozen
class Measured:
    """A duration a clock measured for each cycle (`elapsed` or `paused`, SPEC §6.2); its
    `calendar` is the clock's `during`, which business-day limits count in."""

    column: str
    calendar: str | None = None


@attrs.frozen
class Cmp:
    op: str
    left: Column | Const | Elapsed
    right: Column | Const | Elapsed


@attrs.frozen
class IsIn:
    column: Column
    values: tuple[object, ...]
    negated: bool = False


@attrs.frozen
class IsNull:
    column: Column
    negated: bool = False


@attrs.frozen
class Truthy:
    """A bool column used bare: `not planned`."""

    column: Column


@attrs.frozen
class AllOf:
    parts: tuple[Predicate, ...]


@attrs.frozen
class AnyOf:
    parts: tuple[Predicate, ...]


@attrs.frozen
class Negate:
    part: Predicate


Predicate = Cmp | IsIn | IsNull | Truthy | AllOf | AnyOf | Negate


@attrs.frozen
class Select:
    """A stream, optionally filtered: `incidents where priority == "P1"`."""

    stream: str
    where: Predicate | None = None


# ------------------------------------------------------------------ metrics


@attrs.frozen
class ShareWithin:
    """Fraction of decided records whose elapsed time is within `limit` seconds (§3.1)."""

    select: Select
    elapsed: Elapsed | Measured
    op: str  # "<=" | "<"
    limit: int  # seconds; with `business_days`, 0 (each record's limit is its own)
    business_days: int = 0  # `<= 2bd`: the limit ends 2 open days after each start


@attrs.frozen
class ShareWhere:
    """Fraction of records for which a predicate holds."""

    select: Select
    condition: Predicate


@attrs.frozen
class Timeslices:
    """OpenSLO's Timeslices budgeting: slices of `length` seconds from each period's
    start, good when their own uptime is `op` `threshold`."""

    length: int  # seconds
    op: str  # ">=" | ">"
    threshold: float


@attrs.frozen
class Uptime:
    """1 - down/measured over start/end intervals (§3.3); with `slices`, good slices ÷
    slices with measured time instead."""

    mode: str  # "series" | "parallel" | "k_of_n"
    k: int
    selects: tuple[Select, ...]
    during: tuple[str, ...] = ()
    excluding: tuple[str, ...] = ()
    slices: Timeslices | None = None


@attrs.frozen
class Count:
    select: Select


@attrs.frozen
class Aggregate:
    """sum/mean/min/max of a number column or an elapsed time, over known values."""

    fn: str
    select: Select
    value: Column | Elapsed


@attrs.frozen
class Percentile:
    """Nearest rank: the ceil(q*n)-th smallest of the n known values."""

    select: Select
    value: Column | Elapsed
    q: float


@attrs.frozen
class MetOf:
    """1 if the named objective (of the same SLA) or agreement is met, else 0."""

    target: str  # objective name when `objective` is true, else an agreement name
    objective: bool


Metric = ShareWithin | ShareWhere | Uptime | Count | Aggregate | Percentile | MetOf

# ------------------------------------------------------------------ `met when`


@attrs.frozen
class MetRef:
    name: str


@attrs.frozen
class ScoreCmp:
    op: str
    value: float


@attrs.frozen
class AtLeast:
    k: int
    names: tuple[str, ...]


@attrs.frozen
class Both:
    parts: tuple[Condition, ...]


@attrs.frozen
class Either:
    parts: tuple[Condition, ...]


@attrs.frozen
class NotMet:
    part: Condition


Condition = MetRef | ScoreCmp | AtLeast | Both | Either | NotMet

# ------------------------------------------------------------------ agreements


@attrs.frozen
class Objective:
    name: str
    metric: Metric
    op: str  # comparison of value against target
    target: float
    unit: str  # "ratio" | "duration" | "number"
    warn_at: float | None = None  # budget fraction at which a met objective is at_risk
    weight: float = 1.0
    minimum: float | None = None  # `min N`: records decided, seconds measured (uptime), slices
    span: Span | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def has_budget(self) -> bool:
        """Shares and uptime with a lower bound have an error budget (§3.5)."""
        kinds = ShareWithin | ShareWhere | Uptime
        return isinstance(self.metric, kinds) and self.op in (">=", ">")


@attrs.frozen
class CreditTier:
    below: float  # threshold in the objective's unit
    credit: float  # fraction of fee


@attrs.frozen
class Termination:
    target: str  # a child, an objective, or the node itself
    count: int
    of_n: int | None = None  # None: `count` consecutive periods


@attrs.frozen
class Agreement:
    """An `sla` (objectives) or a `master` (children), after `extends` is merged."""

    name: str
    kind: str  # "sla" | "master"
    title: str | None
    objectives: tuple[Objective, ...] = ()
    children: tuple[tuple[str, float], ...] = ()  # (name, weight)
    met_when: Condition | None = None  # None: every child met
    period: str | None = None
    timezone: str | None = None
    coverage: Predicate | None = None  # over the accounts table
    credit_tiers: tuple[tuple[str, tuple[CreditTier, ...]], ...] = ()  # (objective, tiers)
    credit_flat: float | None = None
    credit_cap: float | None = None
    at_risk: float | None = None
    allocations: tuple[tuple[str, float], ...] = ()
    earnback: int | None = None
    terminations: tuple[Termination, ...] = ()
    span: Span | None = attrs.field(default=None, eq=False, repr=False)
    window: int | None = None  # `window rolling D`, seconds (instead of a period)
    alerts: tuple[Alert, ...] = ()
    extends: str | None = None  # the agreement it was written as a copy of (graph only)
    versions: tuple[Version, ...] = ()
    """`effective DATE` definitions, oldest first (SPEC §6.6). Empty for an agreement
    defined once. When set, the agreement's own fields are a summary for the graph and
    the plan (objectives and children of every version, the latest version's terms);
    the evaluator judges each period by the version in effect at its start."""


@attrs.frozen
class Version:
    """One definition of a versioned agreement, in effect from `effective` (a local
    date in the agreement's timezone) until the next version's."""

    effective: dt.date
    agreement: Agreement


def all_terms(agreements: Iterable[Agreement]) -> Iterator[Agreement]:
    """Every set of terms the evaluator may apply: each version of a versioned agreement,
    else the agreement itself (what reads streams, places records, draws edges)."""
    for agreement in agreements:
        yield from (v.agreement for v in agreement.versions) if agreement.versions else (agreement,)


def versions_of(agreement: Agreement) -> tuple[tuple[dt.date | None, Agreement], ...]:
    """(effective date, terms) of each version; one (None, itself) when not versioned."""
    if not agreement.versions:
        return ((None, agreement),)
    return tuple((v.effective, v.agreement) for v in agreement.versions)


ROLLING = "rolling:"
"""An instance's period for `window rolling D`: "rolling:<seconds>"."""


def own_period(agreement: Agreement) -> str | None:
    """The period an agreement sets itself: a calendar kind, "rolling:<s>", or None."""
    if agreement.window is not None:
        return f"{ROLLING}{agreement.window}"
    return agreement.period


def window_seconds(period: str) -> int | None:
    """D of a "rolling:<s>" period, None for a calendar period."""
    return int(period[len(ROLLING) :]) if period.startswith(ROLLING) else None


# ------------------------------------------------------------------ alerts


@attrs.frozen
class BurnRate:
    """`burn_rate(OBJECTIVE, WINDOW) OP THRESHOLD`."""

    objective: str
    window: int  # seconds
    op: str
    threshold: float


@attrs.frozen
class AlertAll:
    parts: tuple[AlertCondition, ...]


@attrs.frozen
class AlertAny:
    parts: tuple[AlertCondition, ...]


@attrs.frozen
class AlertNot:
    part: AlertCondition


AlertCondition = BurnRate | AlertAll | AlertAny | AlertNot


@attrs.frozen
class Alert:
    name: str
    condition: AlertCondition


# ------------------------------------------------------------------ clocks


@attrs.frozen
class Clock:
    """`clock NAME on STREAM per KEYS by TIME {…}`: per-item cycles from status rows."""

    name: str
    stream: str
    keys: tuple[str, ...]
    by: str
    start: Predicate
    pause: Predicate | None = None
    stop: Predicate | None = None
    reset: Predicate | None = None
    calendar: str | None = None


CLOCK_COLUMNS = ("cycle", "started", "stopped", "elapsed", "paused")
"""The columns a clock adds to its stream's; the rest are valued at each cycle's last event."""

# ------------------------------------------------------------------ plan


@attrs.frozen
class Instance:
    """One agreement reached along one path from a root, in its resolved context."""

    path: str  # dotted: "gold.acme.availability"
    agreement: str
    period: str
    timezone: str
    coverage: tuple[Predicate, ...]  # own and every ancestor's `for accounts where`
    parent: str | None  # parent's path
    children: tuple[str, ...]  # children's paths, in `include` order


@attrs.frozen
class Plan:
    """Instances in evaluation order: every child before its parent."""

    roots: tuple[str, ...]
    instances: tuple[Instance, ...]

    def by_path(self) -> Mapping[str, Instance]:
        return {i.path: i for i in self.instances}


@attrs.frozen(eq=False)
class Dependencies:
    """The dependency graph as plain data: node id → attributes, (from, to) → attributes,
    each in the order first named (compiler/graph.py)."""

    nodes: Mapping[str, Mapping[str, object]]
    edges: Mapping[tuple[str, str], Mapping[str, object]]


@attrs.frozen(eq=False)
class Model:
    """A compiled `.sla` file."""

    calendars: Mapping[str, Calendar]
    streams: Mapping[str, StreamSchema]
    accounts: StreamSchema | None
    agreements: Mapping[str, Agreement]
    dependencies: Dependencies
    plan: Plan
    file: str = "<string>"
    clocks: Mapping[str, Clock] = attrs.field(factory=dict)
    """Clocks by name; each also has a schema in `streams` (what metrics select)."""
    _networkx: dict[str, nx.DiGraph] = attrs.field(factory=dict, init=False, repr=False)

    @property
    def graph(self) -> nx.DiGraph:
        """`dependencies` as a `networkx.DiGraph`, built on first use (networkx is not
        imported to compile). Two threads asking at once may both build it; one is kept."""
        found = self._networkx.get("graph")
        if found is None:
            from slagraph.compiler.graph import to_networkx

            found = self._networkx.setdefault("graph", to_networkx(self.dependencies))
        return found
