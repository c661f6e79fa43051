"""The report's explanations: for each breached or at-risk cell, `Result.explain` down
to the failing records, with the `slagraph explain` line that lists them all."""

from __future__ import annotations

import shlex
from typing import Any

from slagraph.errors import SlaError
from slagraph.report.format import (
    CLASS,
    LABEL,
    OPS,
    Node,
    _condition,
    _e,
    _iso_arg,
    chip,
    fmt_budget,
    fmt_pct,
    fmt_score,
    fmt_value,
)


class Explained:
    """The explanation sections of `_Page` (html.py), which holds the state they read:
    `result`, `nodes`, `max_records`, `max_explained`, the explained/omitted counts."""

    result: Any
    model: Any
    source: str | None
    nodes: Any
    max_records: int
    max_explained: int
    explained: int
    omitted: int

    def _cmd(self, account: str, period: str, node: str, total: int | None = None) -> str:
        """The `slagraph explain` line that lists every record of a cell."""
        file = getattr(self.model.ir, "file", "") or ""
        file = _quote(file) if file and not file.startswith("<") else "MODEL.sla"
        data = _quote(self.source) if self.source else "SOURCE"
        return (
            f"slagraph explain {file} {_quote(node)} --data {data} "
            f"--account {_quote(account)} --period {_quote(period)} "
            f"--as-of {_iso_arg(self.result.as_of)}" + (f" --limit {total}" if total else "")
        )

    def _explanations(
        self,
        account: str,
        paths: list[str],
        periods: list[str],
        cells: dict[tuple[str, str], dict[str, Any]],
        anchors: dict[tuple[str, str], str],
    ) -> str:
        out = ["<h3>Breaches and risks — why</h3>\n"]
        for p in periods:
            for path in paths:
                anchor = anchors.get((path, p))
                if anchor:
                    out.append(
                        self._explanation(
                            account, self.nodes[path], cells[(path, p)], cells, anchors, anchor
                        )
                    )
        return "".join(out)

    def _explanation(
        self,
        account: str,
        node: Node,
        row: dict[str, Any],
        cells: dict[tuple[str, str], dict[str, Any]],
        anchors: dict[tuple[str, str], str],
        anchor: str,
    ) -> str:
        status = row["status"]
        period = row["period"]
        out = [
            f'<details class="ex x{CLASS[status][1:]}" id="{anchor}" data-node="{_e(node.path)}" '
            f'data-period="{_e(period)}"><summary>{chip(status)} '
            f"{_e(period)} "
            f'<span class="path">{_e(node.path)}</span>'
        ]
        if node.kind == "objective":
            why = None
            if self.explained < self.max_explained:
                self.explained += 1
                try:
                    why = self.result.explain(account, period, node.path)
                except SlaError as error:  # e.g. a cell the engine cannot explain
                    out.append(
                        ' <span class="det">— explanation unavailable: '
                        f"{_e(error)}</span></summary>"
                    )
                    out.append("</details>\n")
                    return "".join(out)
            else:
                self.omitted += 1
            detail = why.detail if why is not None else self._detail(row)
            out.append(f' <span class="det">— {_e(detail)}</span></summary>\n')
            if node.definition:
                out.append(f'<code class="def">{_e(node.definition)}</code>')
            if why is None:
                out.append(
                    f'<p class="more">Records not listed (report limit). Run '
                    f"<code>{_e(self._cmd(account, period, node.path))}</code></p>"
                )
            else:
                out.append(self._records(account, period, node.path, why))
        else:
            out.append(f' <span class="det">— {_e(self._detail(row))}</span></summary>\n')
            out.append(self._agreement_why(account, node, row, cells, anchors))
        out.append("</details>\n")
        return "".join(out)

    def _detail(self, row: dict[str, Any]) -> str:
        if row["kind"] == "objective":
            node = self.nodes[row["node"]]
            text = fmt_value(row["value"], row.get("unit"))
            if node.objective is not None:
                text += f" {OPS.get(node.objective.op, node.objective.op)} "
                text += fmt_value(node.objective.target, row.get("unit"))
            if row["budget_used"] is not None:
                text += f", budget used {fmt_budget(row['budget_used'])}"
            return text
        text = fmt_score(row["score"])
        if row["credit_pct"]:
            text += f", credit {fmt_pct(row['credit_pct'])} of fee"
            if row["earned_back"]:
                text += " (earned back)"
        return text

    def _records(self, account: str, period: str, path: str, why: Any) -> str:
        records = list(why.records)
        if not records:
            return '<p class="note">No individual record to show for this cell.</p>'
        shown = records[: self.max_records]
        more = len(records) - len(shown) + int(why.more_records or 0)
        if not shown:
            return (
                f'<p class="more">{more:,} failing records: '
                f"<code>{_e(self._cmd(account, period, path, len(records) + more))}</code></p>"
            )
        columns = list(dict.fromkeys(k for r in shown for k in r))
        out = ['<div class="scroll"><table class="rec"><thead><tr>']
        out.extend(f"<th>{_e(c)}</th>" for c in columns)
        out.append("</tr></thead><tbody>")
        for record in shown:
            out.append("<tr>")
            for c in columns:
                value = record.get(c)
                text = "" if value is None else ("open" if value is True else str(value))
                out.append(f"<td>{_e(text)}</td>")
            out.append("</tr>")
        out.append("</tbody></table></div>")
        noun = "failing record" if len(shown) == 1 else "failing records"
        out.append(f'<p class="more">{len(shown)} {noun} shown')
        if more:
            every = len(records) + int(why.more_records)
            out.append(
                f", {more:,} more: <code>{_e(self._cmd(account, period, path, every))}</code>"
            )
        out.append(".</p>")
        return "".join(out)

    def _agreement_why(
        self,
        account: str,
        node: Node,
        row: dict[str, Any],
        cells: dict[tuple[str, str], dict[str, Any]],
        anchors: dict[tuple[str, str], str],
    ) -> str:
        period = row["period"]
        out = []
        if node.agreement is not None and node.agreement.met_when is not None:
            cond = _condition(node.agreement.met_when)
            out.append(f'<p class="note">Rule: met when {_e(cond)}.</p>')
        present = {n for n, _ in cells}  # children not covering the account are absent
        kids = [(c, cells.get((c, period))) for c in node.children if c in present]
        if kids and all(k is not None for _, k in kids):
            out.append('<ul class="kids">')
            passing = []
            for c, k in kids:
                assert k is not None
                name = _e(self.nodes[c].name if c in self.nodes else c)
                if k["status"] not in ("breached", "at_risk"):
                    passing.append(f"{name} ({LABEL[k['status']]})")
                    continue
                link = anchors.get((c, period))
                label = f'<a href="#{link}">{name}</a>' if link else name
                out.append(f"<li>{chip(k['status'])} {label} — {_e(self._detail(k))}</li>")
            if passing:
                out.append(f'<li class="note">also: {", ".join(passing)}</li>')
            out.append("</ul>")
            return "".join(out)
        # Children on other periods (rolled up): ask the engine.
        try:
            why = self.result.explain(account, period, node.path)
        except SlaError as error:
            out.append(f'<p class="note">Explanation unavailable: {_e(error)}</p>')
            return "".join(out)
        out.append('<ul class="kids">')
        for child in why.children:
            status = child.status if child.status in CLASS else "no_data"
            out.append(
                f"<li>{chip(status)} {_e(child.node)} {_e(child.period)}"
                + (f" — {_e(child.detail)}" if child.detail else "")
                + "</li>"
            )
        out.append("</ul>")
        return "".join(out)


def _quote(text: str) -> str:
    return shlex.quote(text)
