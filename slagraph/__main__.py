"""The `slagraph` command's entry point (`python -m slagraph`, and the console script).

Ctrl-C during start-up: importing the CLI takes about a second (numpy, pyarrow, pandas,
networkx, click, rich), and a KeyboardInterrupt raised inside an import can be caught
and dropped by the library being imported, after which the command would go on and exit
0. So the first thing run here, before any of those imports (this module and
`slagraph/__init__.py` import only the standard library), is a SIGINT handler that
prints `interrupted` and ends the process at once with exit code 130: nothing has been
written to stdout yet, and nothing needs cleaning up. Once the CLI is imported,
`slagraph.cli.run` installs the handler used while a command runs.

The one window left is Python's own start-up, before this module's first line: there a
SIGINT is handled by the interpreter (a KeyboardInterrupt out of `site` or `runpy`, or the
default action), which is outside any program's reach (docs/cli.md, Exit codes).
"""

from __future__ import annotations

import os
import signal


def _interrupted_at_start(signum: int, frame: object) -> None:
    os.write(2, b"interrupted\n")
    os._exit(130)


def main() -> None:
    signal.signal(signal.SIGINT, _interrupted_at_start)
    from slagraph.cli import run  # the heavy imports

    run()


if __name__ == "__main__":
    main()
