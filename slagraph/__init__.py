"""slagraph: a hierarchical, multilevel SLA rules engine.

import slagraph
model = slagraph.load("acme.sla")            # or slagraph.compile(text)
result = model.evaluate("data/")             # a folder, a SQLite file or {stream: table}
result.rows()
"""

from slagraph.errors import (
    SlaCompileError,
    SlaDataError,
    SlaError,
    SlaSyntaxError,
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
    "SlaUsageError",
    "SlaWarning",
    "compile",
    "load",
]
__version__ = "0.1.0"
