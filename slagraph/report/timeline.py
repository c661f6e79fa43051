"""The report's SRE sections: burn-down charts per account, and the alert timeline.

Alerts are replayed once per report by `Model.alerts` on the evaluation's own data (no
second read), from the earliest burn-down chart's start (else the 7 days before as-of)
to as-of, at a step from a ladder (1 minute up) that keeps accounts × steps bounded; the
steps are counted back from as-of as `slagraph alerts` counts them, so at one minute the
intervals are those the command prints for the same `--from`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from slagraph.report.burndown import NS, Burndown, burndowns, named, svg
from slagraph.report.format import _e, duration

ALERT_LADDER = tuple(
    s * NS for s in (60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400)
)
MAX_ALERT_STEPS = 50_000  # steps of one replay
MAX_ALERT_CELLS = 5_000_000  # accounts × steps: ~40 MB per working array at most
DEFAULT_SPAN = 7 * 86400 * NS
MAX_INTERVALS = 2000  # rows of the alert table (and bars) in one report


def alert_step(span: int, accounts: int) -> int:
    """The smallest ladder step that keeps the replay within its bounds."""
    most = max(1, min(MAX_ALERT_STEPS, MAX_ALERT_CELLS // max(accounts, 1)))
    for step in ALERT_LADDER:
        if span <= step * most:
            return step
    return ALERT_LADDER[-1]


def replay(result: Any, model: Any, start: int | None) -> Any:
    """`Model.alerts` over [start, as-of) on the result's data, or None when the model
    has no alerts (or the result carries no data)."""
    ctx = result.context
    if ctx is None or not any(a.alerts for a in model.ir.agreements.values()):
        return None
    end = int(ctx.as_of)
    first = end - DEFAULT_SPAN if start is None else min(int(start), end - 60 * NS)
    step = alert_step(end - first, ctx.accounts)
    first = end - -(-(end - first) // step) * step  # whole steps back from as-of
    return model.alerts(ctx.data, as_of=end, start=first, end=end, step=step // NS)


def parse_iso(text: str) -> int:
    """`2026-03-02T14:08:30Z` (the alert rows' instants) → UTC ns."""
    return int(np.datetime64(text.removesuffix("Z"), "ns").astype(np.int64))


def local(ns: int, zone: str) -> str:
    moment = dt.datetime.fromtimestamp(ns / NS, ZoneInfo(zone))
    return moment.strftime("%Y-%m-%d %H:%M:%S ") + (moment.tzname() or zone)


class Sre:
    """Mixin for the page: needs `self.model`, `self.result`, `self.accounts`, `self.order`."""

    model: Any
    result: Any
    accounts: list[str]

    def _sre_setup(self, max_charts: int) -> None:
        self.charts: list[Burndown] = burndowns(self.result, self.model)
        self.paths = self.model.ir.plan.by_path()
        self.max_charts = max_charts
        self.drawn = 0
        self.undrawn = 0
        ctx = self.result.context
        self.index = {str(n): i for i, n in enumerate(ctx.data.account_names)} if ctx else {}
        start = min((b.lo for b in self.charts), default=None)
        self.replayed = replay(self.result, self.model, start)
        self.bands: dict[tuple[str, str], list[tuple[str, int, int]]] = {}
        for row in self.replayed.rows() if self.replayed is not None else []:
            key = (row["node"], row["account"])
            self.bands.setdefault(key, []).append(
                (row["alert"], parse_iso(row["start"]), parse_iso(row["end"]))
            )

    # ---------------------------------------------------------------- per account

    def _burndown_section(self, account: str, nodes: set[str]) -> str:
        charts = [b for b in self.charts if b.node in nodes]
        a = self.index.get(account)
        if not charts or a is None:
            return ""
        out = ['<h3>Error budget burn-down</h3>\n<div class="bds">']
        for b in charts:
            if self.drawn >= self.max_charts:
                self.undrawn += 1
                continue
            self.drawn += 1
            agreement = self.model.ir.agreements[self.paths[b.sla].agreement]
            mine = {
                alert.name
                for alert in agreement.alerts
                if b.objective.name in named(alert.condition)
            }
            bands = [x for x in self.bands.get((b.sla, account), []) if x[0] in mine]
            what = "trailing window" if b.rolling else "period so far"
            end = b.final(a)
            out.append(
                f'<figure class="bd-f" data-node="{_e(b.node)}" data-account="{_e(account)}">'
                f"<figcaption><b>{_e(b.node)}</b> budget remaining ({what}): "
                f'<span class="{"neg" if end < 0 else "pos"}">{end:.0%}</span>'
                + (" — overspent" if end < 0 else "")
                + (f" · {len(bands)} alert interval{'s' * (len(bands) != 1)}" if bands else "")
                + f"</figcaption>{svg(b, a, account, bands)}</figure>"
            )
        out.append("</div>\n")
        return "".join(out) if len(out) > 2 else ""

    # ---------------------------------------------------------------- whole report

    def _undrawn_note(self) -> str:
        if not self.undrawn:
            return ""
        return (
            f'<p class="note">{self.undrawn:,} further burn-down charts are not drawn (the '
            f"report draws at most {self.max_charts:,}; see docs/report.md).</p>\n"
        )

    def _alerts_section(self) -> str:
        if self.replayed is None:
            return ""
        r = self.replayed
        utc = "UTC"
        head = (
            '<h2 id="alerts">Alerts</h2>\n<p class="note">Burn-rate alerts replayed at every '
            f"{_e(duration(r.step / NS))} from {_e(local(r.start, utc))} to as-of "
            f"{_e(local(r.end, utc))} (<code>Model.alerts</code>); times below are in each "
            "agreement's timezone.</p>\n"
        )
        rows = r.rows()
        if not rows:
            return head + '<p class="empty">No alert held.</p>\n'
        by_path = self.paths
        listed = {account: i for i, account in enumerate(self.accounts)}
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault((row["node"], row["account"]), []).append(row)
        out = [head]
        shown = 0
        for (node, account), items in groups.items():
            if shown >= MAX_INTERVALS:
                break
            items = items[: MAX_INTERVALS - shown]
            shown += len(items)
            zone = by_path[node].timezone if node in by_path else utc
            i = listed.get(account)
            link = f'<a href="#a{i}">{_e(account)}</a>' if i is not None else _e(account)
            out.append(
                f'<div class="tl-g" data-node="{_e(node)}" data-account="{_e(account)}">'
                f"<h3>{_e(node)} · {link}</h3>"
            )
            out.append(self._timeline_svg(items, r.start, r.end, zone))
            out.append(
                '<table class="grid alt"><thead><tr><th>Alert</th><th>Start</th><th>End</th>'
                '<th class="num">Duration</th></tr></thead><tbody>'
            )
            for row in items:
                s, e = parse_iso(row["start"]), parse_iso(row["end"])
                still = ' <span class="tag">at as-of</span>' if e >= r.end else ""
                out.append(
                    f'<tr data-start="{_e(row["start"])}" data-end="{_e(row["end"])}">'
                    f"<td>{_e(row['alert'])}</td><td>{_e(local(s, zone))}</td>"
                    f"<td>{_e(local(e, zone))}{still}</td>"
                    f'<td class="num">{_e(duration((e - s) / NS))}</td></tr>'
                )
            out.append("</tbody></table></div>\n")
        if shown < len(rows):
            out.append(
                f'<p class="note">{len(rows) - shown:,} further alert intervals are not listed '
                f"(at most {MAX_INTERVALS:,}); <code>slagraph alerts</code> lists them all.</p>\n"
            )
        return "".join(out)

    def _timeline_svg(self, items: list[dict[str, Any]], lo: int, hi: int, zone: str) -> str:
        """One lane per alert name, a bar per interval, on the replay's time axis."""
        names = list(dict.fromkeys(row["alert"] for row in items))
        left, width, lane = 110, 520, 18
        height = 20 + lane * len(names)
        span = max(hi - lo, 1)

        def px(ns: int) -> float:
            return round(left + (ns - lo) / span * width, 1)

        out = [
            f'<svg class="tl" viewBox="0 0 {left + width + 10} {height}" role="img" '
            f'aria-label="{_e(f"{len(items)} alert intervals")}">'
        ]
        for k, name in enumerate(names):
            y = 4 + k * lane
            out.append(f'<text class="an" x="{left - 6}" y="{y + 11}">{_e(name)}</text>')
            out.append(
                f'<line class="g" x1="{left}" y1="{y + 7}" x2="{left + width}" y2="{y + 7}"/>'
            )
        for row in items:
            s, e = parse_iso(row["start"]), parse_iso(row["end"])
            y = 4 + names.index(row["alert"]) * lane
            x0, x1 = px(max(s, lo)), px(min(e, hi))
            tip = f"{row['alert']}: {local(s, zone)} – {local(e, zone)}"
            out.append(
                f'<rect class="bar" x="{x0:g}" y="{y}" width="{max(x1 - x0, 1.0):g}" '
                f'height="14" data-alert="{_e(row["alert"])}"><title>{_e(tip)}</title></rect>'
            )
        base = 8 + lane * len(names)
        out.append(f'<text class="xl" x="{left}" y="{base + 8}">{_e(local(lo, zone))}</text>')
        out.append(
            f'<text class="xl e" x="{left + width}" y="{base + 8}">{_e(local(hi, zone))}</text>'
        )
        out.append("</svg>")
        return "".join(out)
