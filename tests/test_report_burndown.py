"""The report's error-budget burn-down charts and alert timeline (docs/report.md, docs/sre.md).

Every figure is recomputed here from the CSV rows by plain loops (no engine code), and the
alert bands are compared with `Model.alerts`: the report must draw what the data says.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from test_report import APT, Browser, find_chromium
from test_report import browser as chromium  # noqa: F401 - its `browser` fixture

import slagraph
from slagraph.report import render
from slagraph.report.burndown import MAX_POINTS, burndowns

ROOT = Path(__file__).resolve().parents[1]
SRE = ROOT / "examples" / "sre"
NS = 1_000_000_000


def ns(text: str) -> int:
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(moment.timestamp()) * NS


def csv_rows() -> list[tuple[str, int, bool]]:
    with open(SRE / "data" / "requests.csv", newline="") as f:
        return [(r["account"], ns(r["at"]), r["ok"] == "true") for r in csv.DictReader(f)]


def remaining(rows: list[tuple[str, int, bool]], account: str, lo: int, hi: int) -> float:
    """1 − failed ÷ (1% × decided) over records placed in (lo, hi], by a plain loop."""
    failed = decided = 0
    for who, at, ok in rows:
        if who == account and lo < at <= hi:
            decided += 1
            failed += not ok
    return 1.0 if decided == 0 else 1 - failed / (0.01 * decided)


@pytest.fixture(scope="module")
def sre() -> tuple[Any, Any, str]:
    model = slagraph.load(SRE / "api_slo.sla")
    result = model.evaluate(str(SRE / "data"))
    return model, result, render(result, model)


def svgs(page: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", page, flags=re.S)


def charts(page: str) -> dict[tuple[str, str], ET.Element]:
    """(account, objective path) → the parsed burn-down SVG."""
    out = {}
    for figure in re.findall(r'<figure class="bd-f".*?</figure>', page, flags=re.S):
        head = re.match(r'<figure class="bd-f" data-node="([^"]*)" data-account="([^"]*)"', figure)
        assert head
        (svg,) = svgs(figure)
        out[(unescape(head[2]), unescape(head[1]))] = ET.fromstring(svg)
    return out


def test_every_sample_is_the_budget_left_by_a_plain_loop_over_the_csv(sre) -> None:
    """Monthly: failed ÷ allowed from the period start up to t; rolling: over (t − 30d, t]."""
    model, result, _ = sre
    rows = csv_rows()
    found = {b.node: b for b in burndowns(result, model)}
    assert set(found) == {"api_slo.good", "api_contract.good"}
    march = ns("2026-03-01T00:00:00Z")
    names = list(result.context.data.account_names)
    for node, b in found.items():
        assert len(b.t) <= MAX_POINTS + 2
        for a, account in enumerate(names):
            for k in range(0, len(b.t), 7):  # every 7th sample, and the last
                t = int(b.t[k])
                lo = t - 30 * 86400 * NS if b.rolling else march - 1
                expected = remaining(rows, account, lo, t)
                assert b.remaining[a, k] == pytest.approx(expected, abs=1e-12), (node, account, k)
            t = int(b.t[-1])
            assert t == result.as_of
            lo = t - 30 * 86400 * NS if b.rolling else march - 1
            assert b.final(a) == pytest.approx(remaining(rows, account, lo, t), abs=1e-12)
    # The picture the docs describe: acme's 20-minute outage spends 10 requests at once,
    # globex's slow burn overspends by the end of March 3.
    month = found["api_contract.good"]
    assert month.labels == ("2026-03",) and month.lo == march
    assert month.hi == ns("2026-04-01T00:00:00Z")  # the whole month on the axis
    acme, globex = names.index("acme"), names.index("globex")
    assert month.final(acme) == pytest.approx(1 - 10 / 21.6)
    assert month.final(globex) < 0


def test_chart_ends_equal_the_rows_budget_and_the_svg_parses(sre) -> None:
    model, result, page = sre
    drawn = charts(page)
    budgets = {
        (r["account"], r["node"]): r["budget_used"]
        for r in result.rows()
        if r.get("kind") == "objective" and r["period"] in ("2026-03", "2026-03-03T23:58:30Z")
    }
    assert set(drawn) == set(budgets)
    for key, svg in drawn.items():
        assert float(svg.get("data-remaining")) == pytest.approx(1 - budgets[key], abs=1e-12)
        assert svg.find("title") is not None and key[0] in svg.find("title").text
        (line,) = svg.iter("polyline")
        points = [tuple(map(float, p.split(","))) for p in line.get("points").split()]
        assert 2 <= len(points) <= MAX_POINTS + 2
        assert all(0 <= x <= 640 and 0 <= y <= 150 for x, y in points)
        assert all(
            re.fullmatch(r"-?\d+(\.\d)?", c)
            for p in line.get("points").split()
            for c in p.split(",")
        )  # rounded to a tenth
        # the zero line is drawn; an overspent chart shades below it
        assert any(e.get("class") == "z" for e in svg.iter("line"))
        overspent = budgets[key] > 1
        assert any(e.get("class") == "ov" for e in svg.iter("rect")) == overspent
    for svg in svgs(page):  # every SVG of the page (timeline too) is well-formed XML
        ET.fromstring(svg)
    assert "<script src" not in page and "http://" not in page and "https://" not in page
    assert len(re.findall(r"<script\b", page)) == 1


def test_alert_bands_and_timeline_are_the_model_alerts_rows(sre) -> None:
    model, result, page = sre
    expected = model.alerts(str(SRE / "data"))  # the CLI's default: last 7 days, 1 minute
    rows = expected.rows()
    assert {(r["node"], r["account"], r["alert"]) for r in rows} == {
        ("api_slo", "acme", "good_page"),
        ("api_slo", "globex", "good_ticket"),
        ("api_contract", "acme", "good_page"),
        ("api_contract", "globex", "good_ticket"),
    }
    drawn = charts(page)
    axis = {b.node: (b.lo, b.hi) for b in burndowns(result, model)}
    for r in rows:
        node = f"{r['node']}.good"
        svg = drawn[(r["account"], node)]
        (band,) = [e for e in svg.iter("rect") if e.get("class") == "al"]
        start, end = ns(r["start"]), ns(r["end"])
        hhmm = [r["start"][:16].replace("T", " "), r["end"][:16].replace("T", " ")]
        assert band.find("title").text == f"{r['alert']}: {hhmm[0]} – {hhmm[1]}"
        lo, hi = axis[node]  # the plot spans x 40 … 632 for lo … hi
        assert float(band.get("x")) == pytest.approx(40 + (start - lo) / (hi - lo) * 592, abs=0.05)
        width = max((end - start) / (hi - lo) * 592, 0.5)
        assert float(band.get("width")) == pytest.approx(width, abs=0.1)
    # the timeline: one group per (node, account), a table row per interval
    groups = re.findall(
        r'<div class="tl-g" data-node="([^"]*)" data-account="([^"]*)">(.*?)</div>', page, re.S
    )
    assert [(n, a) for n, a, _ in groups] == [(r["node"], r["account"]) for r in rows]
    for (_, _, body), r in zip(groups, rows, strict=True):
        cells = re.findall(r'<tr data-start="([^"]*)" data-end="([^"]*)">', body)
        assert cells == [(r["start"], r["end"])]
        assert len(re.findall(r'<rect class="bar"', body)) == 1
        minutes = (ns(r["end"]) - ns(r["start"])) // NS // 60
        text = f"{minutes // 60}h{minutes % 60}m" if minutes >= 60 else f"{minutes}m"
        assert f'<td class="num">{text}</td>' in body
    assert "2026-03-02 14:08:30 UTC" in page  # acme's page, in the sla's timezone (UTC)


def test_local_times_follow_the_agreements_timezone(tmp_path: Path) -> None:
    text = (
        (SRE / "api_slo.sla")
        .read_text()
        .replace("window rolling 30d", 'window rolling 30d\n    timezone "America/Santiago"')
    )
    model = slagraph.compile(text)
    page = render(model.evaluate(str(SRE / "data")), model)
    assert "2026-03-02 11:08:30 -03" in page  # 14:08:30Z in Santiago (summer time, −03)


def write(tmp: Path, name: str, header: str, lines: list[str]) -> None:
    (tmp / f"{name}.csv").write_text("\n".join([header, *lines]) + "\n")


def test_monthly_chart_restarts_at_each_period(tmp_path: Path) -> None:
    """Two months: February's last sample is its row's budget, March starts at 100%."""
    lines = []
    for day in range(1, 29):
        for hour in range(24):
            ok = "false" if (day == 10 and hour < 2) else "true"
            lines.append(f"a,2026-02-{day:02d}T{hour:02d}:00:00Z,{ok}")
    for day in range(1, 6):
        for hour in range(24):
            ok = "false" if (day == 3 and hour == 5) else "true"
            lines.append(f"a,2026-03-{day:02d}T{hour:02d}:00:00Z,{ok}")
    write(tmp_path, "requests", "account,at,ok", lines)
    model = slagraph.compile(
        "stream requests { account: text, at: time, ok: bool }\n"
        "sla s { period monthly\n objective good = share(requests, ok) >= 99.5% }\n"
    )
    result = model.evaluate(str(tmp_path))
    (b,) = burndowns(result, model)
    assert b.labels == ("2026-02", "2026-03")
    march = ns("2026-03-01T00:00:00Z")
    first_march = int((b.t >= march).argmax())
    feb = [r for r in result.rows() if r.get("node") == "s.good" and r["period"] == "2026-02"]
    feb_budget = feb[0]["budget_used"]
    assert b.remaining[0, first_march - 1] == pytest.approx(1 - feb_budget)
    assert b.remaining[0, first_march - 1] == pytest.approx(1 - 2 / (0.005 * 28 * 24))
    assert b.t[first_march] == march and b.remaining[0, first_march] == 1.0
    assert b.final(0) == pytest.approx(1 - 1 / (0.005 * 5 * 24))
    page = render(result, model)
    assert 'id="alerts"' not in page  # no alerts in the model: no timeline, no bands
    (svg,) = charts(page).values()
    assert [e for e in svg.iter("rect") if e.get("class") == "al"] == []
    labels = [e.text for e in svg.iter("text") if e.get("class") == "xl"]
    assert labels == ["2026-02", "2026-03"]


def test_uptime_chart_ends_at_the_rows_budget(tmp_path: Path) -> None:
    write(
        tmp_path,
        "outages",
        "account,start,end",
        [
            "a,2026-01-05T10:00:00Z,2026-01-05T10:30:00Z",
            "a,2026-01-20T00:00:00Z,2026-01-20T00:10:00Z",
        ],
    )
    model = slagraph.compile(
        "stream outages { account: text, start: time, end: time }\n"
        "sla s { period monthly\n objective up = uptime(outages) >= 99.9% }\n"
    )
    result = model.evaluate(str(tmp_path), as_of="2026-02-01T00:00:00Z")
    (b,) = burndowns(result, model)
    row = next(r for r in result.rows() if r.get("node") == "s.up" and r["period"] == "2026-01")
    assert b.final(0) == pytest.approx(1 - row["budget_used"])
    assert b.final(0) == pytest.approx(1 - 40 * 60 / (0.001 * 31 * 86400))


def test_no_budget_no_chart(tmp_path: Path) -> None:
    write(tmp_path, "requests", "account,at,ok", ["a,2026-01-05T10:00:00Z,true"])
    model = slagraph.compile(
        "stream requests { account: text, at: time, ok: bool }\n"
        "sla s { period monthly\n objective few = count(requests where not ok) <= 3\n"
        " objective all = share(requests, ok) >= 100% }\n"
    )
    page = render(model.evaluate(str(tmp_path)), model)
    assert 'class="bd"' not in page and "Error budget burn-down" not in page
    assert 'id="alerts"' not in page


def test_chart_cap_and_escaped_names(tmp_path: Path) -> None:
    evil = ["<script>alert(1)</script>", '"><img src=x onerror=alert(2)>']
    lines = [
        f'"{n.replace(chr(34), chr(34) * 2)}",2026-01-0{d}T00:00:00Z,{ok}'
        for n in evil
        for d, ok in ((1, "true"), (2, "false"), (3, "true"))
    ]
    write(tmp_path, "requests", "account,at,ok", lines)
    model = slagraph.compile(
        "stream requests { account: text, at: time, ok: bool }\n"
        "sla s { period monthly\n objective good = share(requests, ok) >= 50% }\n"
    )
    result = model.evaluate(str(tmp_path))
    page = render(result, model)
    assert set(a for a, _ in charts(page)) == set(evil)  # names read back exactly
    assert len(re.findall(r"<script\b", page)) == 1 and "<img" not in page
    capped = render(result, model, max_charts=1)
    assert len(charts(capped)) == 1
    assert "1 further burn-down charts are not drawn" in capped


@pytest.mark.parametrize("example", ["spec", "multilevel"])
def test_every_period_ends_at_its_rows_budget(example: str) -> None:
    """Shares within a limit, business-hour uptime with exclusions, several periods: the
    last sample of every period is `1 − budget_used` of that row, whatever the metric."""
    folder = ROOT / "examples" / example
    model = slagraph.load(folder / "model.sla")
    result = model.evaluate(str(folder / "data"))
    rows = {
        (r["account"], r["node"], r["period"]): r["budget_used"]
        for r in result.rows()
        if r.get("kind") == "objective"
    }
    names = [str(n) for n in result.context.data.account_names]
    checked = 0
    for b in burndowns(result, model):
        assert not b.rolling and len(b.lasts) == len(b.labels)
        for a, account in enumerate(names):
            for label, last in zip(b.labels, b.lasts, strict=True):
                used = rows.get((account, b.node, label))
                if used is None:  # not covered, or no budget figure (nothing decided)
                    continue
                assert b.remaining[a, last] == pytest.approx(1 - used, abs=1e-9), (
                    account,
                    b.node,
                    label,
                )
                checked += 1
    assert checked > 20


# ------------------------------------------------------------------ in a real browser

VISIBLE = """
[...document.querySelectorAll('svg.bd')].map(s => {
  const r = s.getBoundingClientRect(), line = s.querySelector('polyline');
  return {account: s.closest('figure').dataset.account, node: s.closest('figure').dataset.node,
          width: r.width, height: r.height, length: line.getTotalLength(),
          bands: s.querySelectorAll('rect.al').length,
          band: s.querySelector('rect.al') ? s.querySelector('rect.al').getBBox().height : 0};
})
"""


def test_browser_draws_charts_and_timeline(chromium: Browser, tmp_path: Path, sre) -> None:  # noqa: F811
    browser = chromium
    model, result, page = sre
    report = tmp_path / "sre.html"
    report.write_text(page, encoding="utf-8")
    url = report.as_uri()
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1300, "height": 1600, "deviceScaleFactor": 1, "mobile": False},
    )
    browser.navigate(url)
    assert browser.js("document.documentElement.dataset.ready") == "1"
    shown = browser.js(VISIBLE)
    assert len(shown) == 4
    for chart in shown:
        assert chart["width"] > 300 and chart["height"] > 60, chart
        assert chart["length"] > 100, chart  # the line is drawn, not collapsed
        assert chart["bands"] == 1 and chart["band"] > 50, chart
    bars = browser.js(
        "[...document.querySelectorAll('svg.tl rect.bar')].map(r => r.getBBox().width)"
    )
    assert len(bars) == 4 and all(w >= 1 for w in bars)
    # the print layout keeps the charts
    browser.send("Emulation.setEmulatedMedia", {"media": "print"})
    assert browser.js("document.querySelector('svg.bd').getBoundingClientRect().width") > 200
    browser.send("Emulation.setEmulatedMedia", {"media": ""})
    requests = [
        e["params"]["request"]["url"]
        for e in browser.events
        if e.get("method") == "Network.requestWillBeSent"
    ]
    assert requests and all(u == url for u in requests), requests
    errors = [
        e
        for e in browser.events
        if e.get("method") == "Runtime.exceptionThrown"
        or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
        or (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] == "error")
    ]
    assert not errors, errors


def _docs_screenshot(out: Path) -> None:
    """globex's burn-down charts in examples/sre, for docs/sre.md."""
    import tempfile

    model = slagraph.load(SRE / "api_slo.sla")
    page = render(model.evaluate(str(SRE / "data")), model)
    binary = find_chromium()
    if binary is None:
        raise SystemExit(f"no chromium: {APT}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sre.html"
        path.write_text(page, encoding="utf-8")
        chrome = Browser(binary, Path(tmp))
        try:
            chrome.open()
            chrome.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": 1200, "height": 3000, "deviceScaleFactor": 1, "mobile": False},
            )
            chrome.navigate(path.as_uri())
            box = chrome.js(
                "(() => { const r = document.querySelector('#a1 .bds').getBoundingClientRect();"
                " return [r.x, r.y + window.scrollY, r.width, r.height]; })()"
            )
            clip = {"x": box[0] - 8, "y": box[1] - 8, "width": box[2] + 16, "height": box[3] + 16}
            shot = chrome.send(
                "Page.captureScreenshot",
                {"format": "png", "clip": {**clip, "scale": 1}, "captureBeyondViewport": True},
            )
            import base64

            out.write_bytes(base64.b64decode(shot["data"]))
        finally:
            chrome.close()
    print(f"wrote {out} from examples/sre")


if __name__ == "__main__":
    import sys

    if len(sys.argv) == 3 and sys.argv[1] == "--screenshot":
        _docs_screenshot(Path(sys.argv[2]))
    else:
        raise SystemExit("usage: python tests/test_report_burndown.py --screenshot OUT.png")
