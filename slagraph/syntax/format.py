"""AST → canonical `.sla` text: the one layout `slagraph fmt` writes.

    >>> print(format_source('sla  x{objective a=count( t )>=200}'), end="")
    sla x {
        objective a = count(t) >= 200
    }

Layout: declarations are separated by one blank line, blocks indent by four spaces, one
statement per line. A calendar prints its `timezone`, then a single `hours` line with
every range, a single `holidays` line with every date, then one `holidays country` line
per country. Streams and `accounts` sit on one line. Operators are spaced, and
parentheses appear exactly where the tree needs them (`not (a and b)`, `(a or b) and c`,
`a - (b - c)`). Literals are canonical: durations decompose into `d`/`h`/`m`/`s`
(`2w` prints `14d`), numbers and percentages drop trailing zeros (`99.0%` prints `99%`),
clocks have two-digit hours, strings escape only `"` and `\\`.

Comments. The AST has none, so `format_module` reads them back from `Module.source` and
re-attaches each one by source position (`Span.start_pos`) to a printed line:

* a comment alone on its line is printed, at that line's indentation, just before the
  first declaration, statement or calendar entry that follows it, or before the closing
  `}` of its block, or at the end of the file;
* a comment after code is printed at the end of the line of the code it follows (several
  such comments on one printed line are joined: `x = 1  # a  # b`).

Comments never disappear: a comment inside a construct that prints on one line (say,
between two stream columns) moves to the nearest line that keeps the order of the text,
and `format_module` raises rather than return text that lost one. A blank line between a
comment and what follows it is not kept. A `Module` built in code (no `source`) has no
comments to keep.

Dispatch follows sqlglot's generator: one `_<ClassName>` method per AST class, looked up
by name, and an unknown node raises `TypeError`. Expression and statement methods return
their text; declaration methods emit lines (so that comments can be placed around them).
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from slagraph.syntax import ast
from slagraph.syntax.parser import parse

__all__ = ["format_module", "format_source"]

INDENT = "    "

# Precedence, loosest to tightest, as in grammar/slagraph.lark.
_OR, _AND, _NOT, _COMPARE, _WINDOW, _MINUS, _ATOM = range(1, 8)
_LEVEL: dict[type, int] = {
    ast.Or: _OR,
    ast.And: _AND,
    ast.Not: _NOT,
    ast.Compare: _COMPARE,
    ast.InList: _COMPARE,
    ast.IsNull: _COMPARE,
    ast.Window: _WINDOW,
    ast.Minus: _MINUS,
}

_DURATION_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))

# A string or a comment; strings first so that a `#` inside a string is not a comment.
_STRING_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\["\\])*"|#[^\n]*')


def format_source(text: str, file: str = "<string>") -> str:
    """Parse `.sla` text and print it canonically, keeping its comments.

    Raises:
        SlaSyntaxError: the text does not parse.
    """
    return format_module(parse(text, file))


def format_module(module: ast.Module) -> str:
    """Print a module canonically; comments in `module.source` are re-attached by position.

    Raises:
        ValueError: the AST holds something the language cannot write (a negative number,
            a string with a newline, a `where` selection outside a call's arguments, …).
        TypeError: a node that is not an `ast` class.
    """
    return _Printer(module).module()


def _decimal(value: Decimal) -> str:
    if not value.is_finite() or value < 0:
        raise ValueError(f"cannot write the number {value} (only finite, non-negative)")
    text = format(value.copy_abs(), "f")  # -0 prints 0; abs() and normalize() would round
    return text.rstrip("0").rstrip(".") if "." in text else text


def _comments(source: str) -> list[tuple[int, str, bool]]:
    """(position, text, alone on its line) for every comment in `source`."""
    found = []
    for match in _STRING_OR_COMMENT.finditer(source):
        if match.group().startswith("#"):
            pos = match.start()
            line_start = source.rfind("\n", 0, pos) + 1
            alone = source[line_start:pos].strip() == ""
            found.append((pos, match.group().rstrip(), alone))
    return found


class _Comments:
    """Source comments assigned to anchors: keys of the lines the printer will emit."""

    def __init__(self, source: str, anchors: list[tuple[int, Any]]) -> None:
        anchors = sorted(anchors, key=lambda a: a[0])
        positions = [pos for pos, _ in anchors]
        self.leading: dict[Any, list[tuple[int, str]]] = defaultdict(list)
        self.trailing: dict[Any, list[tuple[int, str]]] = defaultdict(list)
        self.total = 0
        self.placed = 0
        for pos, text, alone in _comments(source):
            self.total += 1
            if alone:
                i = bisect.bisect_right(positions, pos)
                key = anchors[i][1] if i < len(anchors) else _EOF
                self.leading[key].append((pos, text))
            else:
                i = bisect.bisect_left(positions, pos) - 1
                if i >= 0:
                    self.trailing[anchors[i][1]].append((pos, text))
                else:  # code before the comment yet no anchor: keep it, above what follows
                    self.leading[anchors[0][1] if anchors else _EOF].append((pos, text))

    def take(self, table: dict[Any, list[tuple[int, str]]], keys: Iterable[Any]) -> list[str]:
        found = sorted(c for key in keys for c in table.pop(key, ()))
        self.placed += len(found)
        return [text for _, text in found]


_EOF = ("eof",)


def _close(decl: object) -> tuple[str, int]:
    return ("close", id(decl))


class _Printer:
    def __init__(self, module: ast.Module) -> None:
        self.module_node = module
        self.lines: list[str] = []
        self.comments = _Comments(module.source, list(self._anchors(module)))

    # ---------------------------------------------------------------- driver

    def gen(self, node: object) -> Any:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None or not isinstance(node, _NODE_TYPES):
            raise TypeError(f"cannot format {type(node).__name__}: not a slagraph AST node")
        return method(node)

    def module(self) -> str:
        for i, decl in enumerate(self.module_node.decls):
            if i:
                self.lines.append("")
            self.gen(decl)
        tail = self.comments.take(self.comments.leading, [_EOF])
        if tail and self.lines:
            self.lines.append("")
        self.lines.extend(tail)
        if self.comments.placed != self.comments.total:  # pragma: no cover - a bug guard
            raise RuntimeError("formatter would drop comments; please report this input")
        return "\n".join(self.lines) + "\n" if self.lines else ""

    def emit(self, depth: int, text: str, keys: Iterable[Any], inner: bool = False) -> None:
        """One printed line, after the comments that lead it and with those that trail it.

        `inner`: the line closes a block, so the comments before it belong inside the block.
        """
        keys = list(keys)
        pad = INDENT * (depth + inner)
        self.lines.extend(pad + c for c in self.comments.take(self.comments.leading, keys))
        trailing = self.comments.take(self.comments.trailing, keys)
        pad = INDENT * depth
        self.lines.append(pad + text + ("  " + "  ".join(trailing) if trailing else ""))

    @staticmethod
    def _anchors(module: ast.Module) -> Iterable[tuple[int, Any]]:
        """(source position, key) of every node that starts a printed line."""
        if not module.source:
            return
        for decl in module.decls:
            yield from _anchor(decl, id(decl))
            if isinstance(decl, ast.CalendarDecl):
                parts: list[Any] = [decl.timezone, *decl.hours, *decl.holidays, *decl.countries]
            elif isinstance(decl, ast.AgreementDecl):
                parts = list(decl.body)
            elif isinstance(decl, ast.ClockDecl):
                parts = [c for _, c in _clock_rules(decl)]
                parts += [decl.during] if decl.during is not None else []
            else:
                continue
            for part in parts:
                yield from _anchor(part, id(part))
            if decl.span is not None and decl.span.end_pos:
                yield decl.span.end_pos - 1, _close(decl)

    def expr(self, node: ast.Expr, level: int) -> str:
        """`node` as an operand that must bind at least as tightly as `level`."""
        if isinstance(node, ast.Selection):
            raise ValueError("a selection (`stream where filter`) can only be a call argument")
        text = self.gen(node)
        return f"({text})" if _LEVEL.get(type(node), _ATOM) < level else text

    # ---------------------------------------------------------------- literals

    def _Name(self, node: ast.Name) -> str:  # noqa: N802
        return node.id

    def _String(self, node: ast.String) -> str:  # noqa: N802
        if "\n" in node.value:
            raise ValueError(f"cannot write a string with a line break: {node.value!r}")
        return '"' + node.value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    def _Number(self, node: ast.Number) -> str:  # noqa: N802
        if node.value < 0:  # `-1` is a literal (SPEC §2); `a - -1` re-parses the same
            return "-" + _decimal(-node.value)
        return _decimal(node.value)

    def _Percent(self, node: ast.Percent) -> str:  # noqa: N802
        return _decimal(node.value) + "%"

    def _Duration(self, node: ast.Duration) -> str:  # noqa: N802
        if node.seconds < 0:
            raise ValueError(f"cannot write a negative duration ({node.seconds} s)")
        rest, parts = node.seconds, []
        for unit, size in _DURATION_UNITS:
            count, rest = divmod(rest, size)
            if count:
                parts.append(f"{count}{unit}")
        return "".join(parts) or "0s"

    def _BusinessDays(self, node: ast.BusinessDays) -> str:  # noqa: N802
        if node.days < 0:
            raise ValueError(f"cannot write a negative number of business days ({node.days})")
        return f"{node.days}bd"

    def _Date(self, node: ast.Date) -> str:  # noqa: N802
        return node.value.isoformat()

    def _Clock(self, node: ast.Clock) -> str:  # noqa: N802
        hours, rest = divmod(node.seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        if seconds or not 0 <= node.seconds <= 86400:
            raise ValueError(f"cannot write {node.seconds} s as a time of day (HH:MM)")
        return f"{hours:02d}:{minutes:02d}"

    # ---------------------------------------------------------------- expressions

    def _Compare(self, node: ast.Compare) -> str:  # noqa: N802
        return f"{self.expr(node.left, _WINDOW)} {node.op} {self.expr(node.right, _WINDOW)}"

    def _InList(self, node: ast.InList) -> str:  # noqa: N802
        values = ", ".join(self.gen(v) for v in node.values)
        keyword = "not in" if node.negated else "in"
        return f"{self.expr(node.operand, _WINDOW)} {keyword} ({values})"

    def _IsNull(self, node: ast.IsNull) -> str:  # noqa: N802
        return f"{self.expr(node.operand, _WINDOW)} is {'not ' if node.negated else ''}null"

    def _And(self, node: ast.And) -> str:  # noqa: N802
        return " and ".join(self.expr(o, _NOT) for o in node.operands)  # nested and: parens

    def _Or(self, node: ast.Or) -> str:  # noqa: N802
        return " or ".join(self.expr(o, _AND) for o in node.operands)

    def _Not(self, node: ast.Not) -> str:  # noqa: N802
        return f"not {self.expr(node.operand, _NOT)}"

    def _Minus(self, node: ast.Minus) -> str:  # noqa: N802
        return f"{self.expr(node.left, _MINUS)} - {self.expr(node.right, _ATOM)}"

    def _Window(self, node: ast.Window) -> str:  # noqa: N802
        return f"{self.expr(node.operand, _WINDOW)} {node.mode} {self.gen(node.calendar)}"

    def _Selection(self, node: ast.Selection) -> str:  # noqa: N802
        """Only reached from `_Call`: `where` binds looser than any expression."""
        return f"{self.expr(node.stream, _OR)} where {self.expr(node.filter, _OR)}"

    def _Call(self, node: ast.Call) -> str:  # noqa: N802
        args = ", ".join(
            self.gen(a) if isinstance(a, ast.Selection) else self.expr(a, _OR) for a in node.args
        )
        return f"{self.gen(node.func)}({args})"

    # ---------------------------------------------------------------- declarations

    def _ClockRange(self, node: ast.ClockRange) -> str:  # noqa: N802
        return f"{self.gen(node.start)}-{self.gen(node.end)}"

    def _DayHours(self, node: ast.DayHours) -> str:  # noqa: N802
        days = node.first.id + (f"-{node.last.id}" if node.last is not None else "")
        return " ".join([days, *(self.gen(r) for r in node.ranges)])

    def _CountryHolidays(self, node: ast.CountryHolidays) -> str:  # noqa: N802
        sub = f" subdivision {self.gen(node.subdivision)}" if node.subdivision else ""
        return f"holidays country {self.gen(node.country)}{sub}"

    def _CalendarDecl(self, node: ast.CalendarDecl) -> None:  # noqa: N802
        self.emit(0, f"calendar {self.gen(node.name)} {{", [id(node)])
        if node.timezone is not None:
            self.emit(1, f"timezone {self.gen(node.timezone)}", [id(node.timezone)])
        if node.hours:
            hours = ", ".join(self.gen(h) for h in node.hours)
            self.emit(1, f"hours {hours}", map(id, node.hours))
        if node.holidays:
            dates = ", ".join(self.gen(d) for d in node.holidays)
            self.emit(1, f"holidays {dates}", map(id, node.holidays))
        for country in node.countries:
            self.emit(1, self.gen(country), [id(country)])
        self.emit(0, "}", [_close(node)], inner=True)

    def _ColumnDecl(self, node: ast.ColumnDecl) -> str:  # noqa: N802
        text = f"{self.gen(node.name)}: {self.gen(node.type)}{'?' if node.nullable else ''}"
        return text + (f" from {self.gen(node.header)}" if node.header is not None else "")

    def _TableOptions(self, node: ast.TableOptions) -> str:  # noqa: N802
        """The §6.1 options, in one fixed order (the parser takes any)."""
        parts = []
        if node.time_format is not None:
            parts.append(f"time format {self.gen(node.time_format)}")
        if node.nulls is not None:
            if not node.nulls:
                raise ValueError("'nulls' needs at least one token")
            parts.append("nulls " + ", ".join(self.gen(t) for t in node.nulls))
        if node.account is not None:
            parts.append(f"account from {self.gen(node.account)}")
        csv = []
        if node.separator is not None:
            csv.append(f"separator {self.gen(node.separator)}")
        if node.decimal is not None:
            csv.append(f"decimal {self.gen(node.decimal)}")
        if csv:
            parts.append("csv " + " ".join(csv))
        return "".join(" " + p for p in parts)

    def _table(self, head: str, node: ast.StreamDecl | ast.AccountsDecl) -> None:
        columns = ", ".join(self.gen(c) for c in node.columns)
        text = f"{head} {{ {columns} }}"
        if node.source is not None:
            text += f" from {self.gen(node.source)}"
        if node.timezone is not None:
            text += f" timezone {self.gen(node.timezone)}"
        text += self.gen(node.options)
        self.emit(0, text, [id(node)])

    def _StreamDecl(self, node: ast.StreamDecl) -> None:  # noqa: N802
        self._table(f"stream {self.gen(node.name)}", node)

    def _AccountsDecl(self, node: ast.AccountsDecl) -> None:  # noqa: N802
        self._table("accounts", node)

    def _ClockDecl(self, node: ast.ClockDecl) -> None:  # noqa: N802
        keys = ", ".join(self.gen(k) for k in node.keys)
        head = f"clock {self.gen(node.name)} on {self.gen(node.stream)} per {keys}"
        self.emit(0, f"{head} by {self.gen(node.by)} {{", [id(node)])
        for kind, cond in _clock_rules(node):
            text = f"{kind} when {self.expr(cond, _OR)}"
            if isinstance(cond, ast.Minus | ast.Window | ast.Call | ast.Selection):
                raise ValueError(f"a clock's '{kind}' condition is a row filter, not {text!r}")
            self.emit(1, text, [id(cond)])
        if node.during is not None:
            self.emit(1, f"during {self.gen(node.during)}", [id(node.during)])
        self.emit(0, "}", [_close(node)], inner=True)

    def _AgreementDecl(self, node: ast.AgreementDecl) -> None:  # noqa: N802
        if node.kind not in ("sla", "master"):
            raise ValueError(f"an agreement is an 'sla' or a 'master', not {node.kind!r}")
        head = f"{node.kind} {self.gen(node.name)}"
        if node.title is not None:
            head += f" {self.gen(node.title)}"
        if node.parent is not None:
            head += f" extends {self.gen(node.parent)}"
        if node.coverage is not None:
            head += f" for accounts where {self.expr(node.coverage, _OR)}"
        if node.effective is not None:
            head += f" effective {self.gen(node.effective)}"
        self.emit(0, head + " {", [id(node)])
        for stmt in node.body:
            self.emit(1, self.gen(stmt), [id(stmt)])
        self.emit(0, "}", [_close(node)], inner=True)

    # ---------------------------------------------------------------- statements

    def _weight(self, weight: ast.Number | ast.Percent | None) -> str:
        return f" weight {self.gen(weight)}" if weight is not None else ""

    def _Objective(self, node: ast.Objective) -> str:  # noqa: N802
        text = f"objective {self.gen(node.name)} = {self.expr(node.expr, _OR)}"
        if node.timeslices is not None:
            ts = node.timeslices
            text += f" timeslices {self.gen(ts.length)} good when {ts.op} {self.gen(ts.threshold)}"
        if node.minimum is not None:
            text += f" min {self.gen(node.minimum)}"
        if node.warn_at is not None:
            text += f" warn at {self.gen(node.warn_at)}"
        return text + self._weight(node.weight)

    def _CreditTier(self, node: ast.CreditTier) -> str:  # noqa: N802
        return f"below {self.gen(node.below)} -> {self.gen(node.credit)}"

    def _CreditTiers(self, node: ast.CreditTiers) -> str:  # noqa: N802
        tiers = ", ".join(self.gen(t) for t in node.tiers)
        return f"credit on {self.gen(node.objective)}: {tiers}"

    def _CreditFlat(self, node: ast.CreditFlat) -> str:  # noqa: N802
        return f"credit {self.gen(node.credit)} when breached"

    def _CreditCap(self, node: ast.CreditCap) -> str:  # noqa: N802
        return f"credit cap {self.gen(node.cap)}"

    def _MetWhen(self, node: ast.MetWhen) -> str:  # noqa: N802
        return f"met when {self.expr(node.expr, _OR)}"

    def _Child(self, node: ast.Child) -> str:  # noqa: N802
        return self.gen(node.name) + self._weight(node.weight)

    def _Include(self, node: ast.Include) -> str:  # noqa: N802
        return "include " + ", ".join(self.gen(c) for c in node.children)

    def _PeriodStmt(self, node: ast.PeriodStmt) -> str:  # noqa: N802
        return f"period {self.gen(node.kind)}"

    def _TimezoneStmt(self, node: ast.TimezoneStmt) -> str:  # noqa: N802
        return f"timezone {self.gen(node.zone)}"

    def _Terminate(self, node: ast.Terminate) -> str:  # noqa: N802
        within = f"{self.gen(node.count)} consecutive"
        if node.of_n is not None:
            within = f"{self.gen(node.count)} of {self.gen(node.of_n)}"
        return f"terminate when {self.gen(node.target)} breached in {within} periods"

    def _AtRisk(self, node: ast.AtRisk) -> str:  # noqa: N802
        return f"at_risk {self.gen(node.amount)}"

    def _Allocation(self, node: ast.Allocation) -> str:  # noqa: N802
        return f"{self.gen(node.child)} {self.gen(node.share)}"

    def _Allocate(self, node: ast.Allocate) -> str:  # noqa: N802
        return "allocate " + ", ".join(self.gen(a) for a in node.allocations)

    def _Earnback(self, node: ast.Earnback) -> str:  # noqa: N802
        return f"earnback when met in {self.gen(node.periods)} following periods"

    def _WindowStmt(self, node: ast.WindowStmt) -> str:  # noqa: N802
        return f"window rolling {self.gen(node.length)}"

    def _Alert(self, node: ast.Alert) -> str:  # noqa: N802
        return f"alert {self.gen(node.name)} when {self.expr(node.condition, _OR)}"

    def _AlertPreset(self, node: ast.AlertPreset) -> str:  # noqa: N802
        return f"alert burn_rates {self.gen(node.preset)}"


def _clock_rules(node: ast.ClockDecl) -> list[tuple[str, ast.Expr]]:
    rules = [("start", node.start), ("pause", node.pause), ("stop", node.stop)]
    return [(k, c) for k, c in (*rules, ("reset", node.reset)) if c is not None]


def _anchor(node: Any, key: Any) -> Iterable[tuple[int, Any]]:
    span = getattr(node, "span", None)
    if span is not None:
        yield span.start_pos, key


_NODE_TYPES = tuple(
    cls for cls in vars(ast).values() if isinstance(cls, type) and hasattr(cls, "__attrs_attrs__")
)
