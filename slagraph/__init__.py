"""slagraph: a hierarchical, multilevel SLA rules engine.

import slagraph
model = slagraph.load("acme.sla")            # or slagraph.compile(text)
result = model.evaluate("data/")             # a folder, a database file or URI, or Source(…)
result.rows()

The names below are imported on first use (PEP 562), so `import slagraph` itself loads
nothing: the command line's entry point (`slagraph/__main__.py`) must be able to install
its Ctrl-C handler before numpy, pyarrow and pandas are imported (docs/cli.md).
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: importing typing costs (docs/performance.md)
if TYPE_CHECKING:
    from slagraph.data.sources import Source
    from slagraph.errors import (
        SlaCompileError,
        SlaDataError,
        SlaError,
        SlaSyntaxError,
        SlaTestFileError,
        SlaUsageError,
        SlaWarning,
    )
    from slagraph.model import Model, compile, load

__all__ = [
    "Model",
    "SlaCompileError",
    "SlaDataError",
    "SlaError",
    "SlaSyntaxError",
    "SlaTestFileError",
    "SlaUsageError",
    "SlaWarning",
    "Source",
    "compile",
    "load",
]
__version__ = "0.1.0"

_HOME = {
    "Model": "slagraph.model",
    "compile": "slagraph.model",
    "load": "slagraph.model",
    "Source": "slagraph.data.sources",
    **{name: "slagraph.errors" for name in __all__ if name.startswith("Sla")},
}


def __getattr__(name: str) -> object:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'slagraph' has no attribute '{name}'")
    import importlib

    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
