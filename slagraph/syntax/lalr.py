"""A tight LALR(1) loop over lark's own tables, building values in the reduce steps.

lark's LALR parser builds a tree (with `propagate_positions`, a `Meta` per node) that a
Transformer then maps to AST values: for a 1 MB model that is most of the parse time.
This driver runs the *same* automaton — the parse table, rules and terminals of the
`Lark` object built from `grammar/slagraph.lark` — but calls the transformer's callbacks
directly when a rule is reduced, with the node's `Span` already computed. No grammar is
written here: everything is read from lark.

It reproduces, from the rule objects, what lark's tree builder does:

* anonymous string tokens (`"sla"`, `"{"`) are filtered out; `_rule`s and lark's
  `__x_star_N` helpers are inlined into their parent; a `?rule` with one child (and no
  alias) is that child;
* positions as `propagate_positions` computes them: a node runs from the first token of
  its first non-empty child to the last token of its last one (an inlined `?rule` such as
  `"(" expr ")"` passes on the inner node, whose container then includes the brackets);
* lexing as lark's contextual lexer does: one regex of all terminals in lark's order,
  with keywords recognised after a NAME match (lark's `UnlessCallback`), and, when the
  token is not acceptable in the current state, the state's own lexer (so `sla` is a
  NAME where only a NAME fits, and `objectivea` is `objective` `a` where no NAME fits).

`LalrDriver.parse` returns the start rule's value, or `None` when the input is not valid
or not handled here (a syntax error, a tree deeper than `max_depth`, a token spanning
lines): the caller then runs lark itself, which is the reference and the error path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import lark
from lark.lexer import UnlessCallback

from slagraph.errors import Span

# Rule kinds, as lark's tree builder would shape the node.
_UNIT = 0  # `?a: b`: the child itself, one symbol, nothing to pop or push but the state
_PASS = 1  # `?a: "(" b ")"`: the one kept child, with its container widened
_INLINE = 2  # `_a: …`: the kept children, spliced into the parent
_NODE = 3  # a named node: callback(span, children)

_END = "$END"


def _alternation(terminals: list[Any]) -> str:
    """lark's scanner pattern: one named group per terminal, in lark's order."""
    return "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals)


def _keywords(callbacks: dict[str, Any]) -> dict[str, dict[str, str]]:
    """For each regex terminal with an `UnlessCallback`: text → the keyword terminal."""
    out = {}
    for name, callback in callbacks.items():
        if not isinstance(callback, UnlessCallback):
            raise NotImplementedError(f"lexer callback on {name}: {callback!r}")
        out[name] = {t.pattern.value: t.name for t in callback.scanner.terminals}
    return out


def _scanner_pattern(terminals: list[Any], ignore: frozenset[str]) -> str:
    """lark's scanner as one match per token: group 1 skips the ignored terminals before it.

    lark takes the first terminal in its order that matches; an ignored one (whitespace, a
    comment) is skipped only where no terminal before it matches (a negative lookahead
    over exactly those, tried only where the ignored terminal matches), so the skip is
    lark's choice at every step. Possessive repetition: no backtracking into skipped text.
    """
    skips = []
    for i, t in enumerate(terminals):
        if t.name in ignore:
            before = [u.pattern.to_regexp() for u in terminals[:i] if u.name not in ignore]
            regexp = t.pattern.to_regexp()
            guard = f"(?=(?:{regexp}))(?!{'|'.join(before)})" if before else ""
            skips.append(f"{guard}(?:{regexp})")
    tokens = [t for t in terminals if t.name not in ignore]
    skip = f"(?:{'|'.join(skips)})*+" if skips else ""
    return f"(?P<_skip>{skip})(?:{_alternation(tokens)}|(?P<_end>\\Z))"


class LalrDriver:
    """The automaton of one `Lark` object (LALR, contextual lexer), as flat tables."""

    def __init__(self, parser: lark.Lark, start: str = "start") -> None:
        frontend = parser.parser
        lexer = frontend.lexer
        if not isinstance(lexer, lark.lexer.ContextualLexer):
            raise NotImplementedError("the LALR driver needs lark's contextual lexer")
        table = frontend.parser.parser.parse_table
        self._state_lexers = lexer.lexers
        self._state_scanners: dict[int, tuple[re.Pattern[str], dict[str, dict[str, str]]]] = {}

        root: Any = lexer.root_lexer  # a BasicLexer
        self._ignore = frozenset(root.ignore_types)
        self._match = re.compile(_scanner_pattern(root.scanner.terminals, self._ignore)).match
        self._keywords = _keywords(root.callback)
        # Terminals whose text may hold a newline, per lark; such a token is left to lark.
        self._multiline = frozenset(root.newline_types) - self._ignore

        terminals = {t.name for t in parser.terminals} | {_END}
        rules = sorted(
            {
                arg
                for state in table.states.values()
                for action, arg in state.values()
                if action is not lark.parsers.lalr_analysis.Shift
            },
            key=str,
        )
        index = {rule: i for i, rule in enumerate(rules)}
        self.rules: list[tuple[Any, ...]] = [self._shape(rule) for rule in rules]
        size = max(table.states) + 1
        self._actions: list[dict[str, int]] = [{} for _ in range(size)]
        self._gotos: list[dict[str, int]] = [{} for _ in range(size)]
        for state, row in table.states.items():
            for symbol, (action, arg) in row.items():
                symbol = str(symbol)
                if symbol not in terminals:
                    self._gotos[state][symbol] = arg
                elif action is lark.parsers.lalr_analysis.Shift:
                    self._actions[state][symbol] = arg
                else:
                    self._actions[state][symbol] = ~index[arg]
        self._chains: dict[tuple[int, str, str], int] = {}
        self._start = table.start_states[start]
        self._end = table.end_states[start]

        # Terminals that reach the tree: the callbacks build them at the shift.
        kept: dict[str, bool] = {}
        for rule in rules:
            for symbol in rule.expansion:
                if symbol.is_term:
                    keep = not symbol.filter_out or rule.options.keep_all_tokens
                    if kept.setdefault(symbol.name, keep) != keep:
                        raise NotImplementedError(f"{symbol.name} is both kept and filtered")
        self.kept_terminals = frozenset(name for name, keep in kept.items() if keep)

    @staticmethod
    def _shape(rule: Any) -> tuple[Any, ...]:
        """(kind, symbols to pop, origin, kept (index, inlined) pairs, callback name)."""
        expansion = rule.expansion
        keep = tuple(
            (i, not s.is_term and s.name.startswith("_"))
            for i, s in enumerate(expansion)
            if rule.options.keep_all_tokens or not (s.is_term and s.filter_out)
        )
        origin = str(rule.origin.name)  # a lark Token: compares slowly, in Python
        name = str(rule.alias or rule.options.template_source or origin)
        if rule.options.expand1 and not rule.alias:
            # lark returns the only child itself; here that child must be a node (a
            # token's position would not widen to the brackets around it).
            if len(keep) != 1 or keep[0][1] or expansion[keep[0][0]].is_term:
                raise NotImplementedError(f"inlined rule shape not handled: {rule}")
            if len(expansion) == 1:
                return (_UNIT, 1, origin, keep, None)
            return (_PASS, len(expansion), origin, keep, None)
        if origin.startswith("_"):
            return (_INLINE, len(expansion), origin, keep, None)
        return (_NODE, len(expansion), origin, keep, name)

    def _state_scanner(self, state: int) -> tuple[re.Pattern[str], dict[str, dict[str, str]]]:
        """The regex and keyword tables of lark's lexer for one parser state."""
        found = self._state_scanners.get(state)
        if found is None:
            lexer: Any = self._state_lexers[state]  # a BasicLexer
            scanner = lexer.scanner
            found = (re.compile(_alternation(scanner.terminals)), _keywords(lexer.callback))
            self._state_scanners[state] = found
        return found

    def _relex(self, state: int, text: str, pos: int) -> tuple[str, int] | None:
        """The token lark's contextual lexer reads at `pos` in `state`: (type, end)."""
        pattern, keywords = self._state_scanner(state)
        m = pattern.match(text, pos)
        if m is None:
            return None
        kind = m.lastgroup
        assert kind is not None
        if kind in self._ignore:  # lark skips text here that the one-regex scanner did not
            return None  # not handled: lark decides
        if kind in keywords:
            kind = keywords[kind].get(m.group(), kind)
        return kind, m.end()

    def parse(
        self,
        text: str,
        file: str,
        callbacks: Callable[[str], Callable[[Span | None, list[Any]], Any]],
        terminals: Mapping[str, Callable[[str, Span], Any]],
        max_depth: int,
        spanless: frozenset[str] = frozenset(),
    ) -> Any:
        """The start rule's value, or None (not valid here; ask lark).

        `callbacks(name)` gives the function for a rule alias, called as
        `f(span, children)`; `terminals[type](text, span)` builds a kept token. Rules named
        in `spanless` ignore their span (`?atom: NAME -> name` returns the Name): they get
        None, which saves building it.
        """
        # Per rule: (shape, symbols, origin, kept index or child picker, callback, span?)
        rules = [
            (shape, n, origin, keep[0][0], None, False)
            if shape == _PASS
            else (shape, n, origin, _children(keep, n), None, False)
            if shape == _INLINE
            else (shape, n, origin, _children(keep, n), callbacks(name), name not in spanless)
            if shape == _NODE
            else (shape, n, origin, None, None, False)
            for shape, n, origin, keep, name in self.rules
        ]
        actions = self._actions
        match = self._match
        keywords = self._keywords
        multiline = self._multiline
        leaves = {kind: terminals[kind] for kind in self.kept_terminals}
        chains = self._chains
        chain = self._chain
        end_state = self._end
        limit = max_depth
        new_span = tuple.__new__  # a Span is a named tuple: skip its Python-level __new__

        states = [self._start]
        values: list[Any] = []
        firsts: list[int] = []  # line << 32 | offset of each entry's first token
        heights: list[int] = []  # tree height below each entry (tokens: 0)
        last_line = last_column = last_end = 0  # end of the last shifted token
        pos = 0
        line = 1
        line_start = 0  # offset of the first character of the current line

        while True:
            m = match(text, pos)
            if m is None:
                return None
            start = m.end(1)  # after whitespace and comments
            if start != pos:
                newlines = text.count("\n", pos, start)
                if newlines:
                    line += newlines
                    line_start = text.rindex("\n", pos, start) + 1
            kind: str = m.lastgroup  # type: ignore[assignment]  # the alternation names all
            pos = m.end()
            if kind in keywords:
                kind = keywords[kind].get(text[start:pos], kind)
            elif kind == "_end":
                kind = _END
            first = line << 32 | start

            while True:
                state = states[-1]
                act = actions[state].get(kind)
                if act is None:
                    relexed = self._relex(state, text, start) if kind != _END else None
                    if relexed is None or relexed == (kind, pos):
                        return None
                    kind, pos = relexed
                    continue
                if act >= 0:  # shift
                    states.append(act)
                    firsts.append(first)
                    heights.append(0)
                    last_line = line
                    last_column = pos - line_start + 1
                    last_end = pos
                    leaf = leaves.get(kind)
                    if leaf is None:  # filtered out of the tree
                        values.append(None)
                    else:
                        token = text[start:pos]
                        if kind in multiline and "\n" in token:
                            return None
                        span = new_span(
                            Span,
                            (file, line, start - line_start + 1, line, last_column, start, pos),
                        )
                        values.append(leaf(token, span))
                    break

                shape, n, origin, pick, fn, wants_span = rules[~act]
                if n:
                    head = firsts[-n]
                    popped = values[-n:]
                    height = max(heights[-n:])
                    del states[-n:], values[-n:], firsts[-n:], heights[-n:]
                else:
                    head = first
                    popped = []
                    height = 0
                if shape == _PASS:
                    value = popped[pick]
                elif shape == _INLINE:
                    value = pick(popped) if pick else popped
                elif shape == _NODE:
                    height += 1
                    if height > limit:
                        return None
                    node_span: Span | None = None  # no token (an empty node), or unused
                    if head != first and wants_span:
                        head_line = head >> 32
                        head_pos = head & 0xFFFFFFFF
                        if head_line == line:
                            column = head_pos - line_start + 1
                        else:
                            column = head_pos - text.rfind("\n", 0, head_pos)
                        node_span = new_span(
                            Span,
                            (file, head_line, column, last_line, last_column, head_pos, last_end),
                        )
                    value = fn(node_span, pick(popped) if pick else popped)
                else:  # _UNIT: only after a goto, which `chain` has followed already
                    value = popped[0]
                key = (states[-1], origin, kind)
                target = chains.get(key)
                if target is None:
                    target = chains[key] = chain(states[-1], origin, kind)
                states.append(target)
                values.append(value)
                firsts.append(head)
                heights.append(height)
                if kind == _END and target == end_state:
                    return value

    def _chain(self, below: int, origin: str, kind: str) -> int:
        """The state after the goto on `origin` over `below` and then every `?a: b`
        reduction that follows in a row (they change nothing but the state), looking at
        `kind`."""
        while True:
            target = self._gotos[below][origin]
            act = self._actions[target].get(kind)
            if act is None or act >= 0 or self.rules[~act][0] != _UNIT:
                return target
            origin = self.rules[~act][2]


def _splice(popped: list[Any], keep: tuple[tuple[int, bool], ...]) -> list[Any]:
    """The kept children, with inlined rules' lists spliced in (lark's child filter)."""
    children: list[Any] = []
    for i, inline in keep:
        if not inline:
            children.append(popped[i])
        elif children:
            children += popped[i]
        else:  # left recursion (`x*`): extend the inner list in place
            children = popped[i]
    return children


def _children(
    keep: tuple[tuple[int, bool], ...], n: int
) -> Callable[[list[Any]], list[Any]] | None:
    """How a node's children are picked from its popped symbols (None: all of them)."""
    if any(inline for _, inline in keep):
        return lambda popped: _splice(popped, keep)
    if len(keep) == n:
        return None
    indices = [i for i, _ in keep]
    if len(indices) == 1:
        (k,) = indices
        return lambda popped: [popped[k]]
    return lambda popped: [popped[i] for i in indices]
