"""The report's credit notes: how each credit arose (tiers, caps, pools, earnback) and
the termination rights, per account."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from slagraph.report.format import (
    EPS,
    Node,
    _e,
    _num,
    chip,
    fmt_money,
    fmt_pct,
)


class Credits:
    """The credit sections of `_Page` (html.py), which holds `nodes` and `model`."""

    nodes: Any
    model: Any

    def _owed(self, rows: Iterable[dict[str, Any]]) -> tuple[float, float, float, bool]:
        """(owed pct-sum, owed money, earned-back money, money known) over root rows of
        ended periods (a period in progress owes nothing yet)."""
        pct = money = back = 0.0
        known = True
        for row in rows:
            if "." in row["node"] or not row["credit_pct"] or row.get("final") is False:
                continue
            if row["credit"] is None:
                known = False
            if row["earned_back"]:
                back += row["credit"] or 0.0
            else:
                pct += row["credit_pct"]
                money += row["credit"] or 0.0
        return pct, money, back, known

    def _credit_notes(
        self,
        node: Node,
        row: dict[str, Any],
        cells: dict[tuple[str, str], dict[str, Any]],
        periods: list[str],
    ) -> list[str]:
        """Tags for a credit row: cap or pool reached, earned back, earnback pending."""
        notes: list[str] = []
        agreement = node.agreement if node.kind != "objective" else None
        pct = row["credit_pct"]
        period = row["period"]
        if agreement is not None:
            # Children that do not cover this account have no rows at all: absent (SPEC
            # §2.3). A child with rows but none for this label is on a finer period.
            present = {n for n, _ in cells}
            kids = [(c, cells.get((c, period))) for c in node.children if c in present]
            known = all(k is not None for _, k in kids)
            if agreement.at_risk is not None:
                pool = agreement.at_risk
                if known:
                    alloc = dict(agreement.allocations)
                    parts = [
                        (alloc.get(c.rsplit(".", 1)[-1], 0.0), c.rsplit(".", 1)[-1])
                        for c, k in kids
                        if k is not None and k["status"] == "breached"
                    ]
                    raw = pool * sum(a for a, _ in parts)
                    terms = " + ".join(f"{a * 100:.4g}% {_e(name)}" for a, name in parts)
                    text = f"pool {fmt_pct(pool)} × ({terms}) = {fmt_pct(raw)}"
                    if raw > pool + EPS:
                        notes.append(
                            f'<span class="tag cap">{text} → capped at {fmt_pct(pool)}</span>'
                        )
                    else:
                        notes.append(f'<span class="tag">{text}</span>')
                elif abs(pct - pool) < EPS:
                    notes.append(f'<span class="tag cap">pool cap {fmt_pct(pool)} reached</span>')
            if agreement.credit_cap is not None:
                cap = agreement.credit_cap
                summed: float | None = None
                if known and agreement.at_risk is None:
                    summed = sum(k["credit_pct"] or 0.0 for _, k in kids if k is not None)
                    if agreement.credit_flat and row["status"] == "breached":
                        summed += agreement.credit_flat
                if summed is not None and summed > cap + EPS:
                    notes.append(
                        f'<span class="tag cap">capped at {fmt_pct(cap)} '
                        f"(uncapped {fmt_pct(summed)})</span>"
                    )
                elif abs(pct - cap) < EPS:
                    notes.append(f'<span class="tag cap">at cap {fmt_pct(cap)}</span>')
            if agreement.earnback is not None:
                n = agreement.earnback
                if row["earned_back"]:
                    notes.append(
                        f'<span class="tag ebk">earned back (met in the {n} following '
                        f"period{'s' if n != 1 else ''})</span>"
                    )
                else:
                    own = [p for p in periods if (node.path, p) in cells]
                    after = own[own.index(period) + 1 : own.index(period) + 1 + n]
                    missed = [p for p in after if not cells[(node.path, p)]["met"]]
                    if missed:
                        notes.append(
                            f'<span class="tag">no earnback: not met in {_e(missed[0])}</span>'
                        )
                    else:
                        notes.append(
                            f'<span class="tag pend">earnback pending ({n} met '
                            f"period{'s' if n != 1 else ''} needed)</span>"
                        )
        elif row["earned_back"]:
            notes.append('<span class="tag ebk">earned back</span>')
        return notes

    def _credits(
        self,
        account: str,
        paths: list[str],
        periods: list[str],
        cells: dict[tuple[str, str], dict[str, Any]],
    ) -> str:
        lines = [
            cells[(path, p)]
            for p in periods
            for path in paths
            if (path, p) in cells and cells[(path, p)]["credit_pct"]
        ]
        if not lines:
            return '<h3>Credits</h3>\n<p class="empty">No credit is due.</p>\n'
        out = ['<h3>Credits</h3>\n<table class="grid credits"><thead><tr>']
        out.append(
            '<th>Period</th><th>Node</th><th>Status</th><th class="num">Credit (% of fee)</th>'
            '<th class="num">Amount</th><th>Terms</th></tr></thead>\n<tbody>\n'
        )
        for row in lines:
            node = self.nodes[row["node"]]
            root = "." not in row["node"]
            pad = f' style="padding-left:{0.5 + node.depth:.1f}rem"' if node.depth else ""
            name = f"<b>{_e(row['node'])}</b>" if root else _e(row["node"])
            money = "—" if row["credit"] is None else fmt_money(row["credit"])
            pct_text = fmt_pct(row["credit_pct"])
            if row["earned_back"]:
                pct_text = f'<span class="eb">{pct_text}</span>'
                money = f'<span class="eb">{money}</span>'
            notes = " ".join(self._credit_notes(node, row, cells, periods))
            if row.get("final") is False:
                notes = '<span class="tag prog">in progress: not owed yet</span> ' + notes
            out.append(
                f'<tr data-node="{_e(row["node"])}" data-period="{_e(row["period"])}" '
                f'data-credit-pct="{_num(row["credit_pct"])}"'
                + (f' data-credit="{_num(row["credit"])}"' if row["credit"] is not None else "")
                + f"><td>{_e(row['period'])}</td><td{pad}>{name}</td>"
                f"<td>{chip(row['status'])}</td>"
                f'<td class="num">{pct_text}</td>'
                f'<td class="num">{money}</td><td>{notes}</td></tr>\n'
            )
        owed_pct, owed, back, known = self._owed(lines)
        total = fmt_money(owed) if known else f"{fmt_pct(owed_pct)} of fee-periods"
        out.append(
            f'<tr class="total"><td colspan="3"><b>Owed</b> '
            f'<span class="note">(top-level agreements, not earned back)</span></td>'
            f'<td class="num"></td><td class="num" data-owed="{_num(owed)}"><b>{total}</b></td>'
            f"<td>{'earned back ' + fmt_money(back) if back else ''}</td></tr>\n"
        )
        out.append("</tbody></table>\n")
        return "".join(out)

    def _account_terms(self, terms: list[dict[str, Any]]) -> str:
        if not terms:
            return '<h3>Termination rights</h3>\n<p class="empty">None.</p>\n'
        out = ['<h3>Termination rights</h3>\n<ul class="terms">']
        for t in terms:
            node = self.nodes.get(t["node"])
            title = f" ({_e(node.title)})" if node and node.title else ""
            out.append(
                f'<li data-term="{_e(t["node"])}"><span class="term">✗ Right to terminate '
                f"{_e(t['node'])}{title} from {_e(t['period'])}</span>: "
                f"{_e(t.get('target', ''))} breached in {_e(t.get('rule', ''))}.</li>"
            )
        out.append("</ul>\n")
        return "".join(out)

    # ---------------------------------------------------------------- explanations
