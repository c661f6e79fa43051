"""The HTML report: `render(result, model) -> str`, one self-contained page (docs/report.md).

`slagraph report MODEL --data SRC -o report.html` is a thin client of `render`;
`burndowns(result, model)` gives the budget-remaining series its charts draw.
"""

from slagraph.report.burndown import Burndown, burndowns
from slagraph.report.html import render

__all__ = ["Burndown", "burndowns", "render"]
