"""The HTML report: `render(result, model) -> str`, one self-contained page (docs/report.md).

`slagraph report MODEL --data SRC -o report.html` is a thin client of `render`.
"""

from slagraph.report.html import render

__all__ = ["render"]
