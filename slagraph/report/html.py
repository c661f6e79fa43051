"""`render(result, model)`: one self-contained HTML page from an evaluation.

Everything the page shows comes from `Result.rows()` (the SPEC §4.1 rows), the result's
termination lines, `Result.explain` for the breached and at-risk cells, and the compiled
model (titles, targets, caps, pools, earnback terms). All text is escaped; the page loads
nothing (a strict Content-Security-Policy says so to the browser too).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.compute as pc

import slagraph
from slagraph.errors import SlaUsageError
from slagraph.report.assets import CSP, CSS, JS
from slagraph.report.credits import Credits
from slagraph.report.explained import Explained
from slagraph.report.format import (
    CLASS,
    GLYPH,
    LABEL,
    OPS,
    SEVERITY,
    STATUSES,
    Node,
    _condition,
    _e,
    _iso,
    _nodes,
    _num,
    chip,
    fmt_budget,
    fmt_money,
    fmt_pct,
    fmt_score,
    fmt_value,
)
from slagraph.report.timeline import Sre


class _Page(Explained, Credits, Sre):
    def __init__(
        self,
        result: Any,
        model: Any,
        *,
        title: str | None,
        source: str | None,
        max_records: int,
        max_explained: int,
        open_accounts: int,
        max_charts: int = 1000,
    ) -> None:
        self.result = result
        self.model = model
        self.source = source
        self.max_records = max_records
        self.max_explained = max_explained
        self.open_accounts = open_accounts
        self.explained = 0
        self.omitted = 0
        self.file = Path(getattr(model.ir, "file", "") or "model.sla").name
        roots = [
            model.ir.agreements[i.agreement]
            for i in model.ir.plan.instances
            if i.path in model.ir.plan.roots
        ]
        if title is None:
            titled = [r.title for r in roots if r.title]
            title = f"{titled[0]} — SLA report" if len(roots) == 1 and titled else None
        self.title = title or f"SLA report — {self.file}"
        self.nodes = _nodes(model)
        self.order = {path: i for i, path in enumerate(self.nodes)}
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.terms: dict[str, list[dict[str, Any]]] = {}
        for row in result.iter_rows(units=True):
            kind = row.get("kind")
            if kind == "termination":
                self.terms.setdefault(row["account"], []).append(row)
            elif kind in ("master", "sla", "objective"):
                self.rows.setdefault(row["account"], []).append(row)
                if row["node"] not in self.nodes:  # not in the plan: keep it anyway
                    node = Node(row["node"], kind)
                    self.nodes[row["node"]] = node
                    self.order[row["node"]] = len(self.order)
        for account in self.terms:
            self.rows.setdefault(account, [])
        self.accounts = list(self.rows)
        # periods with a row not ended by as-of (a label can be final in one zone only)
        self.open_periods = {
            r["period"] for rows in self.rows.values() for r in rows if r.get("final") is False
        }
        self._sre_setup(max_charts)

    # ---------------------------------------------------------------- helpers

    def _prog(self, period: str) -> str:
        """The class of a period column that is in progress (ends after as-of)."""
        return " prog" if period in self.open_periods else ""

    def _prog_title(self, period: str) -> str:
        if period not in self.open_periods:
            return ""
        return ' title="in progress: ends after as-of, nothing owed for it yet"'

    # ---------------------------------------------------------------- whole page

    def render(self) -> str:
        all_rows = [row for rows in self.rows.values() for row in rows]
        root_periods = list(
            dict.fromkeys(sorted({r["period"] for r in all_rows if "." not in r["node"]}))
        )
        periods = sorted({r["period"] for r in all_rows})
        breached = sum(1 for r in all_rows if r["status"] == "breached")
        at_risk = sum(1 for r in all_rows if r["status"] == "at_risk")
        pct, money, back, known = self._owed(all_rows)
        term_count = sum(len(t) for t in self.terms.values())
        roots = [self.nodes[r] for r in self.model.ir.plan.roots if r in self.nodes]

        accounts_html = [self._account(i, account) for i, account in enumerate(self.accounts)]

        out: list[str] = []
        w = out.append
        w('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n')
        w(f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n')
        w('<meta name="referrer" content="no-referrer">\n')
        w('<meta name="viewport" content="width=device-width, initial-scale=1">\n')
        w(f'<meta name="generator" content="slagraph {_e(slagraph.__version__)}">\n')
        w(f"<title>{_e(self.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n")
        w('<header class="top">\n')
        w(f"<h1>{_e(self.title)}</h1>\n")
        span = f"{periods[0]} … {periods[-1]}" if periods else "no periods"
        root_text = ", ".join(f"{r.name}" + (f" ({r.title})" if r.title else "") for r in roots)
        w(
            f'<p class="sub">{_e(self.file)} · as of <b>{_e(_iso(self.result.as_of))}</b>'
            f" · {_e(span)} · agreements: {_e(root_text or '—')}</p>\n"
        )
        w('<div class="cards">')
        w(self._card(str(len(self.accounts)), "accounts"))
        w(self._card(f"{breached:,}", "breached node-periods", bad=breached > 0))
        w(self._card(f"{at_risk:,}", "at-risk node-periods"))
        owed = fmt_money(money) if known else (fmt_money(money) + " + ?" if money else "—")
        w(self._card(owed, "credits owed", bad=money > 0 or pct > 0))
        if back:
            w(self._card(fmt_money(back), "credits earned back"))
        pending = sum(
            r["credit"] or 0.0
            for r in all_rows
            if "." not in r["node"] and r.get("final") is False and r["credit_pct"]
        )
        if pending:
            w(self._card(fmt_money(pending), "credit if the periods in progress ended now"))
        w(self._card(str(term_count), "termination rights", bad=term_count > 0))
        w("</div>\n</header>\n<main>\n")
        for stream, count in sorted(self.result.bad_rows.items()):
            w(
                f'<p class="warn">Skipped <b>{count:,}</b> bad rows in stream '
                f"<code>{_e(stream)}</code> (<code>--on-bad-rows skip</code>).</p>\n"
            )
        w(self._tools())
        w(self._overview(root_periods))
        w(self._terminations_all())
        w(self._alerts_section())
        w('<h2 id="accounts">Accounts</h2>\n')
        if not self.accounts:
            w('<p class="empty">No account was evaluated.</p>\n')
        out.extend(accounts_html)
        w(self._undrawn_note())
        if self.omitted:
            w(
                f'<p class="note">{self.omitted:,} further breached or at-risk cells are '
                f"listed without their records (the report explains at most "
                f"{self.max_explained:,}); use <code>slagraph explain</code> for them.</p>\n"
            )
        w("</main>\n<footer>")
        w(
            f"Generated by slagraph {_e(slagraph.__version__)} from {_e(self.file)}. "
            "Self-contained: this file loads nothing from the network. "
            "Statuses are shown with colour, a symbol and a word: "
            "✓ met · ! at risk · ✗ breached · – no data."
        )
        w(f"</footer>\n<script>{JS}</script>\n</body>\n</html>\n")
        return "".join(out)

    def _card(self, number: str, label: str, bad: bool = False) -> str:
        cls = "card bad" if bad else "card"
        return (
            f'<div class="{cls}"><div class="n">{_e(number)}</div>'
            f'<div class="l">{_e(label)}</div></div>'
        )

    def _tools(self) -> str:
        legend = " ".join(chip(s) for s in STATUSES)
        return (
            '<div class="tools noprint">'
            '<input id="filter" type="search" placeholder="Filter accounts by name…" '
            'aria-label="Filter accounts by name" autocomplete="off">'
            '<select id="only" aria-label="Show accounts">'
            '<option value="all">all accounts</option>'
            '<option value="at_risk">at risk or breached</option>'
            '<option value="breached">breached</option></select>'
            '<button id="expand" type="button">Expand all</button>'
            '<button id="collapse" type="button">Collapse all</button>'
            f'<span class="legend">{legend} <span class="tag prog">in progress</span></span>'
            f'<span id="count" class="count">{len(self.accounts)} accounts</span>'
            "</div>\n"
        )

    def _overview(self, periods: list[str]) -> str:
        if not self.accounts:
            return ""
        out = ['<h2 id="overview">Overview</h2>\n<div class="scroll"><table class="grid ov">']
        out.append("<thead><tr><th>Account</th>")
        for p in periods:
            out.append(f'<th class="num{self._prog(p)}"{self._prog_title(p)}>{_e(p)}</th>')
        out.append(
            '<th class="num">Credits owed</th><th class="num">Earned back</th>'
            "<th>Termination rights</th></tr></thead>\n<tbody>\n"
        )
        for i, account in enumerate(self.accounts):
            rows = self.rows[account]
            worst: dict[str, str] = {}
            for row in rows:
                if "." in row["node"]:
                    continue
                prev = worst.get(row["period"])
                if prev is None or SEVERITY[row["status"]] > SEVERITY[prev]:
                    worst[row["period"]] = row["status"]
            pct, money, back, known = self._owed(rows)
            out.append(f'<tr data-acct="{i}"><td><a href="#a{i}">{_e(account)}</a></td>')
            for p in periods:
                status = worst.get(p)
                if status is None:
                    out.append('<td class="per"></td>')
                else:
                    out.append(f'<td class="per">{chip(status)}</td>')
            owed = fmt_money(money) if known and pct else (fmt_pct(pct) + " of fee" if pct else "—")
            out.append(f'<td class="num">{owed}</td>')
            out.append(f'<td class="num">{fmt_money(back) if back else "—"}</td>')
            terms = self.terms.get(account, [])
            text = ", ".join(f"{t['node']} from {t['period']}" for t in terms)
            cell = f'<span class="term">{_e(text)}</span>' if terms else "—"
            out.append(f"<td>{cell}</td></tr>\n")
        out.append("</tbody></table></div>\n")
        return "".join(out)

    def _terminations_all(self) -> str:
        terms = [t for account in self.accounts for t in self.terms.get(account, [])]
        if not terms:
            return (
                '<h2 id="terminations">Termination rights</h2>\n'
                '<p class="empty">None has arisen.</p>\n'
            )
        out = ['<h2 id="terminations">Termination rights</h2>\n<table class="grid tr">']
        out.append(
            "<thead><tr><th>Account</th><th>Agreement</th><th>From period</th>"
            "<th>Rule</th></tr></thead><tbody>\n"
        )
        for t in terms:
            i = self.accounts.index(t["account"])
            node = self.nodes.get(t["node"])
            title = f' <span class="note">{_e(node.title)}</span>' if node and node.title else ""
            out.append(
                f'<tr data-term="{_e(t["node"])}"><td><a href="#a{i}">{_e(t["account"])}</a></td>'
                f'<td>{_e(t["node"])}{title}</td><td class="term">{_e(t["period"])}</td>'
                f"<td>{_e(t.get('target', ''))} breached in {_e(t.get('rule', ''))}</td></tr>\n"
            )
        out.append("</tbody></table>\n")
        return "".join(out)

    # ---------------------------------------------------------------- one account

    def _account(self, i: int, account: str) -> str:
        rows = self.rows[account]
        periods = list(dict.fromkeys(r["period"] for r in rows))
        paths = sorted({r["node"] for r in rows}, key=lambda p: self.order[p])
        cells = {(r["node"], r["period"]): r for r in rows}
        worst = "no_data"
        for row in rows:
            if "." not in row["node"] and SEVERITY[row["status"]] > SEVERITY[worst]:
                worst = row["status"]
        pct, money, back, known = self._owed(rows)
        terms = self.terms.get(account, [])
        # Explanation anchors: one per breached/at-risk objective and breached agreement.
        anchors: dict[tuple[str, str], str] = {}
        for row in rows:
            if row["status"] == "breached" or (
                row["status"] == "at_risk" and row["kind"] == "objective"
            ):
                anchors[(row["node"], row["period"])] = (
                    f"x{i}-{periods.index(row['period'])}-{self.order[row['node']]}"
                )

        out: list[str] = []
        w = out.append
        is_open = " open" if len(self.accounts) <= self.open_accounts else ""
        w(
            f'<details class="acct" id="a{i}" data-i="{i}" data-account="{_e(account)}" '
            f'data-worst="{worst}"{is_open}>\n<summary>'
            f'<span class="acct-name">{_e(account)}</span> {chip(worst)}'
        )
        bits = []
        if periods:
            bits.append(f"{len(periods)} period{'s' if len(periods) != 1 else ''}")
        nb = sum(1 for r in rows if r["status"] == "breached")
        if nb:
            bits.append(f"{nb} breached node-periods")
        if pct:
            bits.append(
                f"credits owed {fmt_money(money)}"
                if known
                else f"credits owed {fmt_pct(pct)} of fee"
            )
        if back:
            bits.append(f"earned back {fmt_money(back)}")
        if terms:
            bits.append(f"{len(terms)} termination right{'s' if len(terms) != 1 else ''}")
        w(f' <span class="acct-sum">{_e(" · ".join(bits))}</span></summary>\n')
        w('<div class="acct-body">\n')
        if not rows:
            w('<p class="empty">No rows for this account.</p>\n')
        else:
            w(self._heatmap(paths, periods, cells, anchors))
            w(self._burndown_section(account, set(paths)))
            w(self._tree(paths, periods, cells, anchors))
            w(self._credits(account, paths, periods, cells))
        w(self._account_terms(terms))
        if anchors:
            w(self._explanations(account, paths, periods, cells, anchors))
        w("</div>\n</details>\n")
        return "".join(out)

    def _heatmap(
        self,
        paths: list[str],
        periods: list[str],
        cells: dict[tuple[str, str], dict[str, Any]],
        anchors: dict[tuple[str, str], str],
    ) -> str:
        out = [
            '<h3>Status by period</h3>\n<div class="scroll"><div class="hm" role="table" '
            'style="grid-template-columns:minmax(11rem,max-content) '
            f'repeat({len(periods)},4.6rem)">'
        ]
        out.append('<span class="hh" role="columnheader"></span>')
        out.extend(
            f'<span class="hh{self._prog(p)}" role="columnheader"{self._prog_title(p)}>'
            f"{_e(p)}</span>"
            for p in periods
        )
        for path in paths:
            node = self.nodes[path]
            pad = f' style="padding-left:{node.depth * 0.9:.1f}rem"' if node.depth else ""
            out.append(
                f'<span class="hl k-{node.kind}" role="rowheader" title="{_e(path)}"{pad}>'
                f"{_e(node.name)}</span>"
            )
            for p in periods:
                row = cells.get((path, p))
                if row is None:
                    out.append('<span class="hc x" title="not evaluated">·</span>')
                    continue
                status = row["status"]
                cls = f"hc {CLASS[status]}" + (" prog" if row.get("final") is False else "")
                anchor = anchors.get((path, p))
                if anchor:
                    out.append(f'<a class="{cls}" href="#{anchor}">{GLYPH[status]}</a>')
                else:
                    out.append(f'<i class="{cls}">{GLYPH[status]}</i>')
        out.append("</div></div>\n")
        return "".join(out)

    def _tree(
        self,
        paths: list[str],
        periods: list[str],
        cells: dict[tuple[str, str], dict[str, Any]],
        anchors: dict[tuple[str, str], str],
    ) -> str:
        out = ['<h3>Agreement tree</h3>\n<div class="scroll"><table class="grid tree"><thead><tr>']
        out.append("<th>Node</th><th>Target / rule</th>")
        out.extend(
            f'<th data-period="{_e(p)}"'
            + (' class="prog"' if p in self.open_periods else "")
            + f"{self._prog_title(p)}>{_e(p)}</th>"
            for p in periods
        )
        out.append("</tr></thead>\n<tbody>\n")
        for path in paths:
            node = self.nodes[path]
            pad = f' style="padding-left:{0.5 + node.depth * 1.2:.1f}rem"'
            title = (
                f'<span class="tt">{_e(node.title)}</span>'
                if node.title and node.kind != "objective"
                else ""
            )
            tip = f' title="{_e(node.definition)}"' if node.definition else ""
            out.append(
                f'<tr data-node="{_e(path)}" class="k-{node.kind}"><td class="node"{pad}{tip}>'
                f'<span class="nm">{_e(node.name)}</span>'
                f'<span class="kd">{node.kind}</span>{title}</td>'
            )
            out.append(f'<td class="tg">{self._target(node, cells, path, periods)}</td>')
            for p in periods:
                row = cells.get((path, p))
                if row is None:
                    out.append("<td></td>")
                    continue
                out.append(self._cell(node, row, anchors.get((path, p))))
            out.append("</tr>\n")
        out.append("</tbody></table></div>\n")
        return "".join(out)

    def _target(
        self,
        node: Node,
        cells: dict[tuple[str, str], dict[str, Any]],
        path: str,
        periods: list[str],
    ) -> str:
        if node.objective is not None:
            o = node.objective
            unit = next(
                (cells[(path, p)].get("unit") for p in periods if (path, p) in cells), o.unit
            )
            text = f"{OPS.get(o.op, o.op)} {fmt_value(o.target, unit)}"
            if o.warn_at is not None:
                text += f" · warn at {o.warn_at:.0%}"
            return _e(text)
        agreement = node.agreement
        if agreement is None:
            return ""
        parts = []
        cond = _condition(agreement.met_when)
        parts.append(f"met when {cond}" if cond else "all met")
        if agreement.at_risk is not None:
            parts.append(f"pool {agreement.at_risk * 100:.4g}% at risk")
        if agreement.credit_cap is not None:
            parts.append(f"cap {agreement.credit_cap * 100:.4g}%")
        if agreement.earnback is not None:
            parts.append(f"earnback after {agreement.earnback} met")
        return _e(" · ".join(parts))

    def _cell(self, node: Node, row: dict[str, Any], anchor: str | None) -> str:
        status = row["status"]
        attrs = ""
        if row["credit_pct"]:
            attrs += f' data-credit-pct="{_num(row["credit_pct"])}"'
            if row["credit"] is not None:
                attrs += f' data-credit="{_num(row["credit"])}"'
        if row["earned_back"]:
            attrs += ' data-earned-back="true"'
        label = f"{GLYPH[status]} {LABEL[status]}"
        if anchor:
            head = f'<a class="st" href="#{anchor}">{label}</a>'
        else:
            head = f'<span class="st">{label}</span>'
        if row["kind"] == "objective":
            value = fmt_value(row["value"], row.get("unit"))
        else:
            value = fmt_score(row["score"])
        body = f'<span class="v">{_e(value)}</span>'
        used = row["budget_used"]
        if used is not None:
            over = " over" if used > 1 else ""
            body += (
                f'<span class="bu">budget used {fmt_budget(used)}'
                f'<b class="bar {CLASS[status]}{over}">'
                f'<i style="width:{max(0.0, min(used, 1.0)) * 100:.0f}%"></i></b></span>'
            )
        if row["credit_pct"]:
            credit = f"credit {fmt_pct(row['credit_pct'])}"
            if row["credit"] is not None:
                credit += f"<br>{fmt_money(row['credit'])}"
            if row["earned_back"]:
                body += (
                    f'<span class="cr"><span class="eb">{credit}</span> '
                    '<span class="tag ebk">earned back</span></span>'
                )
            else:
                body += f'<span class="cr">{credit}</span>'
        cls = f"c {CLASS[status]}"
        if row.get("version"):  # which version of the agreement judged it (SPEC §6.6)
            body += f'<span class="tag ver">version {_e(row["version"])}</span>'
        if row.get("final") is False:
            cls += " prog"
            body += '<span class="tag prog">in progress</span>'
        return f'<td class="{cls}"{attrs}>{head}{body}</td>'


MAX_ACCOUNTS = 100_000
"""More accounts than this make a page no browser opens (and gigabytes to build it)."""


def render(
    result: Any,
    model: Any,
    *,
    title: str | None = None,
    source: str | None = None,
    max_records: int = 10,
    max_explained: int = 5000,
    open_accounts: int = 12,
    max_charts: int = 1000,
) -> str:
    """One self-contained HTML page for an evaluation `result` of `model`.

    Args:
        result: what `model.evaluate(...)` returned.
        model: the `slagraph.Model` (titles, targets, caps, pools, earnback terms).
        title: the page title (default: "SLA report — FILE").
        source: the data source path, only to print ready-to-run `slagraph explain` lines.
        max_records: failing records listed per explained cell (the rest are counted).
        max_explained: at most this many cells get their records looked up; further
            breached/at-risk cells are listed with their figures only.
        open_accounts: account sections start expanded when there are at most this many.
        max_charts: at most this many error-budget burn-down charts (one per objective
            with a budget and account, in page order); further ones are counted in a note.
    """
    accounts = pc.count_distinct(result.to_arrow().column("account")).as_py()
    if accounts > MAX_ACCOUNTS:
        raise SlaUsageError(
            f"a report of {accounts:,} accounts would be too large to open (at most "
            f"{MAX_ACCOUNTS:,} in one file); report a subset of accounts (evaluate the "
            "data split by account), or use `slagraph eval --format csv` for all of them"
        )
    page = _Page(
        result,
        model,
        title=title,
        source=source,
        max_records=max_records,
        max_explained=max_explained,
        open_accounts=open_accounts,
        max_charts=max_charts,
    )
    return page.render()
