"""lark's exceptions → `SlaSyntaxError`s that say, in words, what was expected at the exact
spot (and, for a misspelled duration, how to write it).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import cast

import lark
from lark import Token

from slagraph.errors import SlaSyntaxError, Span, did_you_mean
from slagraph.syntax.grammar import lark_parser
from slagraph.syntax.literals import UNITS

# How lark's named terminals read in an error message.
_TERMINAL_WORDS = {
    "NAME": "a name",
    "STRING": 'a "string"',
    "NUMBER": "a number",
    "PERCENT": "a percentage like 99.9%",
    "DURATION": "a duration like 15m",
    "BUSINESS_DAYS": "business days like 2bd",
    "DATE": "a date like 2026-01-01",
    "CLOCK": "a time like 09:00",
    "COMPARE": "a comparison (<, <=, >, >=, ==, !=)",
    "OPTIONAL": "'?'",
    "$END": "the end of the file",
}


def _describe_terminal(name: str) -> str:
    if name in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[name]
    for term in lark_parser().terminals:
        if term.name == name and isinstance(term.pattern, lark.lexer.PatternStr):
            return f"'{term.pattern.value}'"
    return name.lower()


def _describe_token(token: Token) -> str:
    if token.type == "$END":
        return "end of file"
    if token.type in ("NAME",):
        return f"name '{token}'"
    if token.type in _TERMINAL_WORDS:
        return f"{_TERMINAL_WORDS[token.type].split(' like ')[0].removeprefix('a ')} {token}"
    return f"'{token}'"


_STATEMENTS = frozenset(
    "'allocate' 'at_risk' 'credit' 'earnback' 'include' 'met' 'objective' 'period' "
    "'terminate' 'timezone' 'window' 'alert'".split()
)


def _expected_words(names: set[str]) -> str:
    words = {_describe_terminal(n) for n in names}
    if _STATEMENTS <= words:  # a whole statement position: name the idea, not ten keywords
        words = (words - _STATEMENTS) | {"a statement (objective, credit, met when, include, …)"}
    ordered = sorted(words, key=lambda w: (not w.startswith("'"), w))
    if len(ordered) == 1:
        return ordered[0]
    return ", ".join(ordered[:-1]) + " or " + ordered[-1]


# A number and a unit word as people write them (`4hrs`, `1.5h`, `90 min`): the spelling
# is answered with the accepted one instead of "unexpected character '4'".
_LOOSE_DURATION = re.compile(r"(?<![\w.])([0-9]+(?:\.[0-9]+)?)([ \t]*)([A-Za-z]+)\b")
_UNIT_WORDS = {
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), "w"),
    **dict.fromkeys(("d", "day", "days"), "d"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "h"),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), "m"),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), "s"),
}


def _loose_duration(text: str, pos: int) -> tuple[int, int, str] | None:
    """(start, end, accepted spelling) of a misspelled duration around `pos`, if any."""
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    line_end = len(text) if line_end < 0 else line_end
    for m in _LOOSE_DURATION.finditer(text, line_start, line_end):
        number, space, word = m.groups()
        unit = _UNIT_WORDS.get(word.lower())
        if not m.start() <= pos < m.end() or unit is None:
            continue
        if "." not in number and not space and word == unit:
            return None  # already a duration: the error is something else
        seconds = Decimal(number) * UNITS[unit]
        if seconds != seconds.to_integral_value():
            return None
        if "." not in number:
            spelled = f"{number}{unit}"
        else:
            rest, parts = int(seconds), []
            for u, size in UNITS.items():
                count, rest = divmod(rest, size)
                if count:
                    parts.append(f"{count}{u}")
            spelled = "".join(parts) or "0s"
        return m.start(), m.end(), spelled
    return None


def _duration_hint(
    exc: lark.exceptions.UnexpectedInput, text: str, file: str
) -> SlaSyntaxError | None:
    pos = exc.pos_in_stream
    if isinstance(exc, lark.exceptions.UnexpectedToken) and exc.token.type != "$END":
        pos = exc.token.start_pos
    if pos is None:
        return None
    found = _loose_duration(text, pos)
    if found is None:
        return None
    start, end, spelled = found
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    written = text[start:end]
    message = (
        f"{written!r} is not a duration; write {spelled!r} (a whole number and w, d, h, m "
        "or s, written together: 4h, 1h30m, 90m)"
    )
    return SlaSyntaxError(message, Span(file, line, column, line, column + len(written)), text)


def syntax_error(exc: lark.exceptions.UnexpectedInput, text: str, file: str) -> SlaSyntaxError:
    hint = _duration_hint(exc, text, file)
    if hint is not None:
        return hint
    line, column = exc.line, exc.column
    if isinstance(exc, lark.exceptions.UnexpectedToken):
        token = exc.token
        expected = set(exc.accepts or exc.expected)
        if token.type == "$END":
            lines = text.splitlines() or [""]
            line, column = len(lines), len(lines[-1]) + 1
            width = 1
        else:
            width = max(1, len(str(token)))
        message = f"unexpected {_describe_token(token)}; expected {_expected_words(expected)}"
        if token.type == "NAME":
            kws = [_describe_terminal(n).strip("'") for n in expected]
            message += did_you_mean(str(token), [k for k in kws if k.isidentifier()])
    elif isinstance(exc, lark.exceptions.UnexpectedCharacters):
        pos = cast(int, exc.pos_in_stream)  # lark types it Optional; UnexpectedCharacters sets it
        char = text[pos] if pos < len(text) else ""
        width = 1
        allowed = set(exc.allowed or ())
        if char == '"':
            message = (
                "unterminated string: a string must close with '\"' on the same line "
                '(strings are one line; the escapes are \\" and \\\\)'
            )
        else:
            message = f"unexpected character {char!r}"
            if allowed and len(allowed) <= 8:
                message += f"; expected {_expected_words(allowed)}"
    else:  # UnexpectedEOF and anything else lark adds
        width = 1
        message = "unexpected end of file"
    span = Span(file, line or 1, column or 1, line or 1, (column or 1) + width)
    return SlaSyntaxError(message, span, text)
