"""The `slagraph` command. Thin: parse arguments, call the public API, print.

Exit codes (SPEC §4): 0 success, 1 DSL or data error, 2 usage error. A `SlaError` is
printed as its message (with location and caret); no traceback reaches the user. One
module per family of commands; `common` holds what they share.
"""

from __future__ import annotations

import signal
import sys
from typing import Any

from slagraph.cli import (  # noqa: F401  (registers commands)
    authoring,
    desk,
    diff,
    evaluate,
    simulate,
    testing,
    whatif,
)
from slagraph.cli.common import err, silence_stdout
from slagraph.cli.group import main
from slagraph.cli.simulate import estimate_line

__all__ = ["estimate_line", "main", "run"]


_interrupted = False


def _on_interrupt(signum: int, frame: object) -> None:
    """Ctrl-C while a command runs: remembered, then raised as usual so that `guarded`
    prints `interrupted` and exits 130. Remembered because code the command calls may
    catch the KeyboardInterrupt and drop it (an import that swallows errors, a callback
    whose exceptions are ignored); `run` then still ends with 130, never 0."""
    global _interrupted
    _interrupted = True
    raise KeyboardInterrupt


# Commands that read data: they reach pyarrow's lazy `import pandas`, which runs inside a
# Cython function that prints and drops any exception, a KeyboardInterrupt included.
_READS_DATA = {
    *("eval", "explain", "report", "whatif", "diff", "simulate", "records", "due", "alerts", "test")
}


def _preload(args: list[str]) -> None:
    """Import what the command will need while `__main__`'s start-up handler (print
    `interrupted`, exit 130 at once) is still in place, so that no Ctrl-C lands inside an
    import, where a library may catch it and carry on (docs/cli.md, Exit codes)."""
    import slagraph.model  # noqa: F401  numpy, pyarrow, networkx, lark: every command

    if _READS_DATA.intersection(args[:3]):
        import pandas  # noqa: F401
        import pyarrow.pandas_compat  # noqa: F401

        import slagraph.engine  # noqa: F401


def run() -> None:
    """The console script (via `slagraph/__main__.py`, which guards the imports): run
    the command; whatever it returned, an interrupt means exit code 130."""
    _preload(sys.argv[1:])
    signal.signal(signal.SIGINT, _on_interrupt)
    try:
        main(prog_name="slagraph")
        code: Any = 0
    except SystemExit as done:
        code = done.code
    except KeyboardInterrupt:  # outside a command: while click parses the arguments
        _interrupted_exit()
    if _interrupted and code != 130:
        _interrupted_exit()
    sys.exit(code)


def _interrupted_exit() -> None:
    silence_stdout()  # what was printed is not to be taken as complete
    err.print("interrupted", markup=False)
    sys.exit(130)
