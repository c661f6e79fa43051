"""lark's parsers, built once at release time and shipped in the package.

Building a `Lark` LALR parser from a grammar (analysing it, `strict=True`'s collision
checks, the tables) takes far longer than parsing a small file with it; a command such as
`slagraph check` would spend most of its time there. So the built parsers are saved with
`Lark.save` into this package (`syntax/lark_tables/NAME.pickle`) and read back with
`Lark.load`. Each file starts with a fingerprint line: the SHA-256 of every grammar file
of the package, the options and lark's version. A file whose fingerprint is not that of
the grammar and lark in use (the grammar was edited, another lark is installed) is not
used: the parser is then built from the grammar as before, in memory. Nothing is ever
written at run time; `python -m slagraph.syntax.tables` rewrites the files, and
tests/test_parser_tables.py fails while they are stale (docs/architecture.md, Stage 1).
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import lark

OPTIONS: dict[str, Any] = {
    "parser": "lalr",
    "strict": True,
    "propagate_positions": True,
    "maybe_placeholders": False,
}
GRAMMARS = ("slagraph.lark", "whatif.lark")
TABLES = Path(__file__).with_name("lark_tables")


def _grammar_dir() -> Path:
    from slagraph.syntax.grammar import grammar_path

    return grammar_path().parent


def fingerprint() -> bytes:
    """What the saved parsers were built from: every grammar file (whatif.lark imports
    slagraph.lark), the options and lark's version."""
    import lark

    digest = hashlib.sha256()
    for name in GRAMMARS:
        digest.update(name.encode() + b"\0")
        digest.update((_grammar_dir() / name).read_bytes() + b"\0")
    digest.update(repr(sorted(OPTIONS.items())).encode() + b"\0")
    digest.update(lark.__version__.encode())
    return digest.hexdigest().encode()


def build(name: str) -> lark.Lark:
    """The parser of grammar `name`, built from its `.lark` file."""
    import lark

    return lark.Lark.open(str(_grammar_dir() / name), **OPTIONS)


def load(name: str) -> lark.Lark:
    """The parser of grammar `name`: the saved one if it matches, else built."""
    import lark

    try:
        with (TABLES / f"{Path(name).stem}.pickle").open("rb") as handle:
            if handle.readline().rstrip(b"\n") == fingerprint():
                return lark.Lark.load(handle)
    except FileNotFoundError:
        pass
    return build(name)


def write() -> list[Path]:
    """Build every grammar's parser and save it under `TABLES`, fingerprint first."""
    TABLES.mkdir(exist_ok=True)
    written = []
    for name in GRAMMARS:
        buffer = io.BytesIO()
        build(name).save(buffer)
        path = TABLES / f"{Path(name).stem}.pickle"
        path.write_bytes(fingerprint() + b"\n" + buffer.getvalue())
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write():
        print(f"wrote {path}")
