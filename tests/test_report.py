"""The HTML report (`slagraph.report.render`, `slagraph report`).

Two layers:

* the HTML as text, parsed with `html.parser`: every node, status and credit figure of the
  SPEC example equals the `eval` rows; nothing refers to the network; user text (account
  names, titles) is escaped;
* the page in a real headless Chromium, driven over the Chrome DevTools Protocol with the
  standard library only (`--remote-debugging-pipe`: JSON messages on fds 3/4, no
  websocket): the DOM after the script ran shows the same figures, the filter box and the
  links work, no request leaves the page (DNS is mapped to nowhere, the Network log holds
  only the file itself, and the page's own Content-Security-Policy blocks a probe), the
  print layout expands the explanations, and a screenshot is saved in the test's tmp dir.

The browser tests skip, loudly, only when no Chromium binary exists. To refresh the docs
screenshot: `python tests/test_report.py --screenshot docs/img/report.png`.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import random
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
import warnings
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import slagraph
from slagraph.cli import main
from slagraph.report import render

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "examples" / "spec"
MULTI = ROOT / "examples" / "multilevel"

LABEL = {"met": "met", "at_risk": "at risk", "breached": "breached", "no_data": "no data"}
STATUS_CLASS = {"s-m": "met", "s-r": "at_risk", "s-b": "breached", "s-n": "no_data"}

EVIL = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "O'Brien & Co </details><details open>",
]
EVIL_MODEL = """
stream checks { account: text, at: time, ok: bool }
accounts { account: text, fee: number }
sla checks_ok "Checks <b>pass</b> & \\"more\\" </style><script>alert(3)</script>" {
    objective pass_rate = share(checks, ok) >= 90%
    credit 10% when breached
}
"""


# ------------------------------------------------------------------ helpers


def fmt_value(value: float | None, unit: str | None) -> str:
    """How an objective's value reads in the report (the same as `eval --format table`)."""
    if value is None:
        return "—"
    if unit == "duration":
        s = int(round(value))
        parts = [(s // 86400, "d"), (s % 86400 // 3600, "h"), (s % 3600 // 60, "m"), (s % 60, "s")]
        return "".join(f"{n}{u}" for n, u in parts if n) or "0s"
    if unit == "number":
        return f"{value:,.6g}"
    return f"{value:.3%}"


class Page(HTMLParser):
    """The report as data: tree cells, credit lines, terminations, scripts, attributes."""

    VOID = {"br", "meta", "input", "img", "link", "hr", "wbr", "source", "col", "area", "base"}

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.cells: list[dict[str, Any]] = []
        self.credit_lines: list[dict[str, Any]] = []
        self.terms: list[dict[str, Any]] = []
        self.names: list[dict[str, Any]] = []  # the tree's node labels
        self.sections: list[dict[str, Any]] = []
        self.scripts: list[str] = []
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.texts: list[str] = []
        self._capture: list[list[Any]] = []  # [depth, record, key]
        self._periods: list[str] = []  # the tree table's period columns
        self._column = 0
        self.feed(text)
        self.close()

    def _account(self) -> str | None:
        for tag, attrs in reversed(self.stack):
            if tag == "details" and "acct" in attrs.get("class", "").split():
                return attrs["data-account"]
        return None

    def _node(self) -> str | None:
        for tag, attrs in reversed(self.stack):
            if tag == "tr" and "data-node" in attrs:
                return attrs["data-node"]
        return None

    def _table_class(self) -> str:
        for tag, attrs in reversed(self.stack):
            if tag == "table":
                return attrs.get("class", "")
        return ""

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: v or "" for k, v in attrs_list}
        self.tags.append((tag, attrs))
        classes = attrs.get("class", "").split()
        record: dict[str, Any] | None = None
        in_tree = "tree" in self._table_class().split()
        if tag == "table" and "tree" in classes:
            self._periods = []
        elif tag == "tr":
            self._column = 0
        elif tag in ("td", "th"):
            self._column += 1
            if tag == "th" and in_tree and "data-period" in attrs:
                self._periods.append(attrs["data-period"])
        if tag == "details" and "acct" in classes:
            record = {"account": attrs["data-account"], "worst": attrs["data-worst"], "text": ""}
            self.sections.append(record)
        elif tag == "td" and "c" in classes and in_tree:
            (status,) = [STATUS_CLASS[c] for c in classes if c in STATUS_CLASS]
            record = {
                "account": self._account(),
                "node": self._node(),
                "period": self._periods[self._column - 3],  # after Node and Target
                "status": status,
                "credit_pct": float(attrs.get("data-credit-pct", 0.0)),
                "credit": float(attrs["data-credit"]) if "data-credit" in attrs else None,
                "earned_back": attrs.get("data-earned-back") == "true",
                "text": "",
            }
            self.cells.append(record)
        elif tag == "tr" and "credits" in self._table_class().split() and "data-node" in attrs:
            record = {
                "account": self._account(),
                "node": attrs["data-node"],
                "period": attrs["data-period"],
                "credit_pct": float(attrs["data-credit-pct"]),
                "credit": float(attrs["data-credit"]) if "data-credit" in attrs else None,
                "text": "",
            }
            self.credit_lines.append(record)
        elif tag == "span" and "nm" in classes and in_tree:
            record = {"account": self._account(), "node": self._node(), "text": ""}
            self.names.append(record)
        elif tag == "li" and "data-term" in attrs:
            record = {"account": self._account(), "node": attrs["data-term"], "text": ""}
            self.terms.append(record)
        elif tag == "script":
            record = {"text": ""}
        if tag not in self.VOID:
            self.stack.append((tag, attrs))
            if record is not None:
                self._capture.append([len(self.stack), record, tag])

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        # html.parser does not repair: pop to the matching tag
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                depth = i + 1
                del self.stack[i:]
                while self._capture and self._capture[-1][0] >= depth:
                    _, record, ctag = self._capture.pop()
                    if ctag == "script":
                        self.scripts.append(record["text"])
                return

    def handle_data(self, data: str) -> None:
        self.texts.append(data)
        for _, record, _ in self._capture:
            record["text"] += data


def node_rows(result: Any) -> list[dict[str, Any]]:
    return [r for r in result.iter_rows(units=True) if r["kind"] not in ("termination", "bad_rows")]


def check_names(names: list[dict[str, Any]], result: Any) -> None:
    """The tree shows one label per (account, node) of the rows: the node's own name."""
    expected = {(r["account"], r["node"]) for r in node_rows(result)}
    assert len(names) == len(expected)
    for label in names:
        assert (label["account"], label["node"]) in expected
        assert label["text"].strip() == label["node"].rsplit(".", 1)[-1], label


def check_cells(cells: list[dict[str, Any]], result: Any) -> None:
    """Every row of the result is one tree cell with the same status and credit, and the
    cell's visible text shows the status word, the value and the credit figures."""
    rows = node_rows(result)
    by_key = {(c["account"], c["node"], c["period"]): c for c in cells}
    assert len(by_key) == len(cells) == len(rows), (len(by_key), len(cells), len(rows))
    for row in rows:
        cell = by_key[(row["account"], row["node"], row["period"])]
        assert cell["status"] == row["status"], (row, cell)
        text = " ".join(cell["text"].split())
        assert LABEL[row["status"]] in text, (row, text)
        if row["kind"] == "objective":
            assert fmt_value(row["value"], row["unit"]) in text, (row, text)
        else:
            assert f"score {row['score']:.1%}" in text, (row, text)
        if row["budget_used"] is not None:
            assert f"budget used {row['budget_used']:.0%}" in text, (row, text)
        assert cell["credit_pct"] == (row["credit_pct"] or 0.0), (row, cell)
        assert cell["earned_back"] == row["earned_back"], (row, cell)
        if row["credit_pct"]:
            assert f"credit {row['credit_pct']:.2%}" in text, (row, text)
            assert cell["credit"] == row["credit"], (row, cell)
            if row["credit"] is not None:
                assert f"{row['credit']:,.2f}" in text, (row, text)


def evil_result() -> tuple[Any, Any]:
    model = slagraph.compile(EVIL_MODEL)
    data = {
        "accounts": {"account": EVIL, "fee": [100.0, 200.0, 300.0]},
        "checks": {
            "account": [EVIL[0], EVIL[0], EVIL[1], EVIL[2]],
            "at": [
                "2026-01-05T10:00:00Z",
                "2026-01-06T10:00:00Z",
                "2026-02-05T10:00:00Z",
                "2026-02-05T11:00:00Z",
            ],
            "ok": [True, False, True, True],
        },
    }
    return model, model.evaluate(data)


def many_accounts(n: int, seed: int = 7) -> tuple[Any, Any]:
    """The multilevel example's model on `n` synthetic accounts, six months each."""
    rng = random.Random(seed)
    model = slagraph.load(MULTI / "model.sla")
    names = [f"account_{i:04d}" for i in range(n)]
    outages: dict[str, list[Any]] = {"account": [], "service": [], "start": [], "end": []}
    tickets: dict[str, list[Any]] = {
        "account": [],
        "priority": [],
        "created": [],
        "first_reply": [],
        "resolved": [],
    }
    for name in names:
        for month in range(1, 7):
            if rng.random() < 0.3:
                minutes = rng.choice([10, 30, 60, 240])
                day = rng.randint(2, 27)
                outages["account"].append(name)
                outages["service"].append(rng.choice(["pos", "webshop", "checkout"]))
                outages["start"].append(f"2026-{month:02d}-{day:02d}T10:00:00Z")
                outages["end"].append(
                    f"2026-{month:02d}-{day:02d}T{10 + minutes // 60:02d}:{minutes % 60:02d}:00Z"
                )
            for t in range(3):
                day = 3 + 7 * t
                reply = rng.choice([5, 20, 50, 90])
                tickets["account"].append(name)
                tickets["priority"].append("P1" if t == 0 else "P3")
                tickets["created"].append(f"2026-{month:02d}-{day:02d}T09:00:00Z")
                tickets["first_reply"].append(
                    f"2026-{month:02d}-{day:02d}T{9 + reply // 60:02d}:{reply % 60:02d}:00Z"
                )
                tickets["resolved"].append(
                    f"2026-{month:02d}-{day:02d}T{rng.choice([11, 15]):02d}:00:00Z"
                )
    data = {
        "accounts": {
            "account": names,
            "segment": ["x"] * n,
            "fee": [float(1000 + i) for i in range(n)],
        },
        "outages": outages,
        "tickets": tickets,
    }
    return model, model.evaluate(data)


@pytest.fixture(scope="module")
def spec() -> tuple[Any, Any, str]:
    model = slagraph.load(SPEC / "model.sla")
    result = model.evaluate(str(SPEC / "data"))
    return model, result, render(result, model, source=str(SPEC / "data"))


# ------------------------------------------------------------------ the HTML as text


def test_every_node_status_and_credit_equals_the_eval_rows(spec: tuple[Any, Any, str]) -> None:
    model, result, html = spec
    page = Page(html)
    check_cells(page.cells, result)
    check_names(page.names, result)
    # The same rows as `slagraph eval --format jsonl` prints.
    runner = CliRunner()
    done = runner.invoke(
        main, ["eval", str(SPEC / "model.sla"), "--data", str(SPEC / "data"), "--format", "jsonl"]
    )
    assert done.exit_code == 0, done.output
    jsonl = [json.loads(line) for line in done.output.splitlines()]
    cli_rows = {
        (r["account"], r["node"], r["period"]): r
        for r in jsonl
        if "node" in r and r["kind"] != "termination"
    }
    for cell in page.cells:
        row = cli_rows[(cell["account"], cell["node"], cell["period"])]
        assert (cell["status"], cell["credit_pct"]) == (row["status"], row["credit_pct"])
    assert [s["account"] for s in page.sections] == ["acme", "globex", "initech", "umbrella"]


def test_credits_terminations_and_owed(spec: tuple[Any, Any, str]) -> None:
    _, result, html = spec
    page = Page(html)
    rows = node_rows(result)
    credited = {(r["account"], r["node"], r["period"]): r for r in rows if r["credit_pct"]}
    lines = {(c["account"], c["node"], c["period"]): c for c in page.credit_lines}
    assert lines.keys() == credited.keys()
    for key, row in credited.items():
        line = lines[key]
        assert (line["credit_pct"], line["credit"]) == (row["credit_pct"], row["credit"])
        assert f"{row['credit_pct']:.2%}" in line["text"]
        assert f"{row['credit']:,.2f}" in line["text"]
    # The SPEC example: gold is a pool master (`at_risk 12%`, allocate acme 80%,
    # lead_handoff 40%); each credit line shows the pool arithmetic.
    gold = {
        (c["account"], c["period"]): c["text"] for c in page.credit_lines if c["node"] == "gold"
    }
    assert "pool 12.00% × (80% acme) = 9.60%" in gold[("acme", "2026-01")]
    assert "pool 12.00% × (40% lead_handoff) = 4.80%" in gold[("globex", "2026-01")]
    # Owed = the top-level rows of ended periods not earned back (a period in progress
    # owes nothing yet); the header card sums all accounts.
    owed = sum(
        r["credit"] for r in rows if "." not in r["node"] and not r["earned_back"] and r["final"]
    )
    assert f"{owed:,.2f}" in html
    expected_terms = [t for t in result.terminations]
    assert len(page.terms) == len(expected_terms)
    for term, page_term in zip(expected_terms, page.terms, strict=True):
        assert (page_term["account"], page_term["node"]) == (term["account"], term["node"])
        assert term["period"] in page_term["text"]


def test_multilevel_caps_earnback_and_terminations() -> None:
    model = slagraph.load(MULTI / "model.sla")
    result = model.evaluate(str(MULTI / "data"))
    page = Page(render(result, model))
    check_cells(page.cells, result)
    terms = {(t["account"], t["node"]) for t in page.terms}
    assert terms == {(t["account"], t["node"]) for t in result.terminations}
    assert terms, "the multilevel example has termination rights"
    earned = [c for c in page.credit_lines if "earned back (met in the 2 following" in c["text"]]
    rows_earned = [r for r in node_rows(result) if r["earned_back"] and r["credit_pct"]]
    assert len(earned) == len(rows_earned) > 0
    assert any("capped at" in c["text"] or "at cap" in c["text"] for c in page.credit_lines)


@pytest.mark.parametrize(
    "example", sorted(p.parent.name for p in (ROOT / "examples").glob("*/model.sla"))
)
def test_every_example_renders(example: str) -> None:
    """From one account (customer_support, internal_leads) to several, with and without
    fees, the page holds every row."""
    model = slagraph.load(ROOT / "examples" / example / "model.sla")
    result = model.evaluate(str(ROOT / "examples" / example / "data"))
    page = Page(render(result, model))
    check_cells(page.cells, result)
    check_names(page.names, result)
    accounts = list(dict.fromkeys(r["account"] for r in node_rows(result)))
    assert [s["account"] for s in page.sections] == accounts


def test_no_reference_leaves_the_file(spec: tuple[Any, Any, str]) -> None:
    _, _, html = spec
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"(?i)@import|url\(\s*['\"]?(?!data:)|<link\b|<iframe\b|<object\b", html)
    page = Page(html)
    for tag, attrs in page.tags:
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            value = attrs.get(name)
            if value is not None and name in ("src", "href", "action", "srcset", "poster"):
                assert value.startswith("#") or value.startswith("data:"), (tag, name, value)
    meta = [
        a for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert len(meta) == 1 and "default-src 'none'" in meta[0]["content"]
    assert "img-src data:" in meta[0]["content"]
    # The policy comes before any style or script.
    assert html.index("Content-Security-Policy") < html.index("<style>") < html.index("<script>")


def test_user_text_is_escaped() -> None:
    model, result = evil_result()
    html = render(result, model)
    page = Page(html)
    assert len(page.scripts) == 1 and "alert(" not in page.scripts[0]
    for name in EVIL:
        assert name not in html  # never verbatim: always escaped
    assert "<b>pass</b>" not in html and "</style><script>" not in html
    assert [s["account"] for s in page.sections] == EVIL  # the attribute reads back exactly
    assert all(s["account"] in s["text"] for s in page.sections)  # and the text shows it
    assert not [t for t, a in page.tags if t == "img"]
    assert not any(k.startswith("on") for _, attrs in page.tags for k in attrs)
    check_cells(page.cells, result)


def test_print_layout_and_limits(spec: tuple[Any, Any, str]) -> None:
    model, result, _ = spec
    html = render(result, model, max_records=2, source=str(SPEC / "data"))
    assert "@media print" in html and "details::details-content" in html
    assert "print-color-adjust:exact" in html
    page = Page(html)
    # No explanation lists more than max_records records.
    counts = re.findall(r'<table class="rec">.*?</table>', html, re.S)
    assert counts and all(c.count("<tr>") - 1 <= 2 for c in counts)
    # The records not listed are one command away, as of the same instant.
    command = re.search(r"more: <code>(slagraph explain [^<]*)</code>", html)
    assert command, "a cell with more records than listed names the command"
    args = shlex.split(unescape(command.group(1)))
    done = CliRunner().invoke(main, args[1:])
    assert done.exit_code == 0, done.output
    assert done.output.count("· ") > 2
    assert page.cells


def test_cli_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    done = CliRunner().invoke(
        main, ["report", str(SPEC / "model.sla"), "--data", str(SPEC / "data"), "-o", str(out)]
    )
    assert done.exit_code == 0, done.output
    assert done.output.startswith(f"wrote {out} (4 accounts")
    text = out.read_text("utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    model = slagraph.load(SPEC / "model.sla")
    check_cells(Page(text).cells, model.evaluate(str(SPEC / "data")))


def test_cli_usage_errors() -> None:
    done = CliRunner().invoke(
        main, ["report", str(SPEC / "model.sla"), "--data", str(SPEC / "data")]
    )
    assert done.exit_code == 2  # -o is required


def test_500_accounts_render_every_section() -> None:
    model, result = many_accounts(500)
    html = render(result, model)
    page = Page(html)
    assert len(page.sections) == 500
    assert len(page.cells) == len(node_rows(result))
    size = len(html.encode())
    # A stress case: a third of the cells breached, each explained one click away. About
    # 50 KB per account (6 periods × 15 nodes), CSS and script once.
    assert size < 500 * 64 * 1024, size
    assert (
        '<details class="acct" id="a0" data-i="0" data-account="account_0000" data-worst=' in html
    )
    assert " open>" not in html.split('<h2 id="accounts">', 1)[1].split("<summary>", 1)[0]


# ------------------------------------------------------------------ a real browser

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]
APT = "apt-get update && apt-get install -y chromium"


def find_chromium() -> str | None:
    candidates = [
        os.environ.get("SLAGRAPH_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
        shutil.which("google-chrome"),
        shutil.which("google-chrome-stable"),
        shutil.which("headless_shell"),
    ]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


class Browser:
    """Headless Chromium driven over the DevTools Protocol on a pipe (fds 3 and 4)."""

    def __init__(self, binary: str, profile: Path) -> None:
        import fcntl

        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()
        # Keep the child's ends away from 3/4 so the dup2 below cannot clobber them.
        child_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD_CLOEXEC, 10)
        child_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_chrome_r)
        os.close(from_chrome_w)

        def wire() -> None:  # in the child: its fd 3 reads commands, fd 4 writes replies
            os.dup2(child_r, 3)
            os.dup2(child_w, 4)

        self.log = profile / "chromium.log"
        self._log = open(self.log, "wb")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            [
                binary,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile / 'profile'}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            preexec_fn=wire,  # noqa: PLW1509 - single-threaded at this point
            close_fds=False,
        )
        os.close(child_r)
        os.close(child_w)
        self._out = to_chrome_w
        self._in = from_chrome_r
        self._next = 0
        self._replies: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self.events: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.session: str | None = None

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._in, 1 << 16)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "id" in message:
                    with self._lock:
                        box = self._replies.get(message["id"])
                    if box is not None:
                        box.put(message)
                else:
                    self.events.append(message)

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        browser: bool = False,
        timeout: float = 60,
    ) -> dict[str, Any]:
        with self._lock:
            self._next += 1
            ident = self._next
            box: queue.Queue[dict[str, Any]] = queue.Queue()
            self._replies[ident] = box
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if self.session and not browser:
            message["sessionId"] = self.session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        try:
            reply = box.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no reply to {method} in {timeout}s; {self.tail()}") from None
        if "error" in reply:
            raise AssertionError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def open(self) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, browser=True)
        attached = self.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}, browser=True
        )
        self.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.send(f"{domain}.enable")

    def wait_event(self, method: str, since: int = 0, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events[since:]:
                if event.get("method") == method:
                    return event
            time.sleep(0.05)
        raise AssertionError(f"no {method} event in {timeout}s; {self.tail()}")

    def navigate(self, url: str) -> None:
        mark = len(self.events)
        self.send("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired", since=mark)

    def js(self, expression: str) -> Any:
        reply = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in reply:
            raise AssertionError(f"script failed: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def screenshot(self, path: Path, width: int = 1400, height: int = 1800) -> None:
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        shot = self.send("Page.captureScreenshot", {"format": "png"})
        path.write_bytes(base64.b64decode(shot["data"]))

    def tail(self) -> str:
        try:
            return "chromium log: " + self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                self.send("Browser.close", browser=True, timeout=10)
        except (AssertionError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for fd in (self._out, self._in):
            try:
                os.close(fd)
            except OSError:
                pass
        self._log.close()


@pytest.fixture()
def browser(tmp_path: Path) -> Any:
    binary = find_chromium()
    if binary is None:
        message = (
            "NO CHROMIUM FOUND: the browser test of the HTML report did not run. "
            f"Install it with `{APT}` (Debian/Ubuntu, package `chromium`) or set "
            "SLAGRAPH_CHROMIUM to a Chrome/Chromium binary."
        )
        print(f"\n*** {message} ***", file=sys.stderr)
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    chrome = Browser(binary, tmp_path)
    try:
        chrome.open()
        yield chrome
    finally:
        chrome.close()


COLLECT = """
(() => {
  const out = [];
  for (const sec of document.querySelectorAll('details.acct')) {
    for (const td of sec.querySelectorAll('table.tree td.c')) {
      const r = td.getBoundingClientRect();
      const head = td.closest('table').tHead.rows[0].cells[td.cellIndex];
      const status = {'s-m': 'met', 's-r': 'at_risk', 's-b': 'breached', 's-n': 'no_data'}[
        [...td.classList].find(c => c.startsWith('s-'))];
      out.push({
        account: sec.dataset.account, node: td.closest('tr').dataset.node,
        period: head.dataset.period, status: status,
        credit_pct: td.dataset.creditPct ? Number(td.dataset.creditPct) : 0,
        credit: td.dataset.credit ? Number(td.dataset.credit) : null,
        earned_back: td.dataset.earnedBack === 'true',
        text: td.innerText, visible: sec.open && r.width > 0 && r.height > 0,
        colour: getComputedStyle(td).borderLeftColor,
      });
    }
  }
  return out;
})()
"""
NAMES = """
[...document.querySelectorAll('details.acct table.tree span.nm')].map(s => ({
  account: s.closest('details.acct').dataset.account, node: s.closest('tr').dataset.node,
  text: s.innerText}))
"""


def test_browser_renders_the_report(browser: Browser, tmp_path: Path) -> None:
    model = slagraph.load(SPEC / "model.sla")
    result = model.evaluate(str(SPEC / "data"))
    report = tmp_path / "report.html"
    report.write_text(render(result, model), encoding="utf-8")
    url = report.as_uri()
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1400, "height": 1800, "deviceScaleFactor": 1, "mobile": False},
    )
    browser.navigate(url)
    assert browser.js("document.documentElement.dataset.ready") == "1", "the script did not run"

    # The DOM after the script ran: every node, status and credit of the eval rows,
    # visible (the 4 accounts start expanded) and coloured by status.
    cells = browser.js(COLLECT)
    check_cells(cells, result)
    check_names(browser.js(NAMES), result)
    assert all(c["visible"] for c in cells)
    colours = {c["status"]: c["colour"] for c in cells}
    # One colour per status (the SPEC example has no no_data cell).
    assert colours == {
        "met": "rgb(45, 164, 78)",
        "at_risk": "rgb(230, 167, 0)",
        "breached": "rgb(209, 36, 47)",
    }, colours
    assert browser.js("document.getElementById('count').textContent") == "4 of 4 accounts shown"

    # The filter box and the status filter.
    shown = """[...document.querySelectorAll('details.acct')].filter(e => !e.hidden)
               .map(e => e.dataset.account)"""
    browser.js(
        "(() => { const b = document.getElementById('filter'); b.value = 'GLOB';"
        " b.dispatchEvent(new Event('input')); })()"
    )
    assert browser.js(shown) == ["globex"]
    assert browser.js("document.getElementById('count').textContent") == "1 of 4 accounts shown"
    assert (
        browser.js("[...document.querySelectorAll('tr[data-acct]')].filter(e => !e.hidden).length")
        == 1
    )
    browser.js(
        "(() => { const b = document.getElementById('filter'); b.value = '';"
        " b.dispatchEvent(new Event('input'));"
        " const s = document.getElementById('only'); s.value = 'breached';"
        " s.dispatchEvent(new Event('change')); })()"
    )
    worst = {
        s: sec
        for s, sec in ((sec["account"], sec["worst"]) for sec in Page(report.read_text()).sections)
    }
    assert browser.js(shown) == [a for a, w in worst.items() if w == "breached"]
    browser.js(
        "(() => { const s = document.getElementById('only'); s.value = 'all';"
        " s.dispatchEvent(new Event('change')); })()"
    )

    # Collapse all, then follow links: the overview opens an account, a heat-map cell
    # opens the explanation of that breach (one click away) with its failing records.
    browser.js("document.getElementById('collapse').click()")
    assert browser.js("[...document.querySelectorAll('details.acct')].every(e => !e.open)")
    browser.js("document.querySelector('a[href=\"#a0\"]').click()")
    assert browser.js("document.getElementById('a0').open")
    target = browser.js(
        "(() => { const a = document.querySelector('#a0 .hm a.hc.s-b'); a.click();"
        " return a.getAttribute('href').slice(1); })()"
    )
    assert browser.js(f"document.getElementById('{target}').open")
    records = browser.js(
        f"document.getElementById('{target}').querySelectorAll('table.rec tbody tr').length"
    )
    why = browser.js(f"document.getElementById('{target}').innerText")
    assert "breached" in why
    node = browser.js(f"document.getElementById('{target}').dataset.node")
    period = browser.js(f"document.getElementById('{target}').dataset.period")
    expected = result.explain("acme", period, node)
    assert records == min(10, len(expected.records)) or expected.records == ()

    # Print: explanations and collapsed accounts are laid out, the tools are hidden.
    browser.js(
        "document.getElementById('expand').click(); document.getElementById('collapse').click()"
    )
    browser.send("Emulation.setEmulatedMedia", {"media": "print"})
    printed = browser.js(
        "(() => { const t = document.querySelector('details.ex:not([open]) table.rec');"
        " const c = document.querySelector('details.acct:not([open]) table.tree');"
        " return [t.getBoundingClientRect().height, c.getBoundingClientRect().height,"
        " getComputedStyle(document.querySelector('.tools')).display]; })()"
    )
    assert printed[0] > 0 and printed[1] > 0 and printed[2] == "none", printed
    pdf = browser.send("Page.printToPDF", {"printBackground": True})
    (tmp_path / "report.pdf").write_bytes(base64.b64decode(pdf["data"]))
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")
    browser.send("Emulation.setEmulatedMedia", {"media": ""})

    # A screenshot of the top of the page, expanded.
    browser.js("document.getElementById('expand').click(); window.scrollTo(0, 0)")
    shot = tmp_path / "report.png"
    browser.screenshot(shot)
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 20_000
    print(f"\nscreenshot: {shot}")

    # Nothing left the page: the only request was the file itself, no error was logged.
    requests = [
        e["params"]["request"]["url"]
        for e in browser.events
        if e.get("method") == "Network.requestWillBeSent"
    ]
    assert requests and all(u == url or u.startswith("data:") for u in requests), requests
    failed = [e for e in browser.events if e.get("method") == "Network.loadingFailed"]
    assert not failed, failed
    errors = [
        e
        for e in browser.events
        if e.get("method") == "Runtime.exceptionThrown"
        or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
        or (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] == "error")
    ]
    assert not errors, errors

    # The page's own policy blocks a request even if a script tried one.
    mark = len(browser.events)
    blocked = browser.js(
        """new Promise(resolve => {
             document.addEventListener('securitypolicyviolation',
               e => resolve([e.blockedURI, e.effectiveDirective]), {once: true});
             const img = new Image(); img.src = 'https://example.com/pixel.png';
             document.body.appendChild(img);
             setTimeout(() => resolve(null), 5000);
           })"""
    )
    assert blocked == ["https://example.com/pixel.png", "img-src"], blocked
    sent = [e for e in browser.events[mark:] if e.get("method") == "Network.loadingFinished"]
    assert not sent


def test_browser_keeps_account_names_inert(browser: Browser, tmp_path: Path) -> None:
    model, result = evil_result()
    report = tmp_path / "evil.html"
    report.write_text(render(result, model), encoding="utf-8")
    browser.navigate(report.as_uri())
    assert browser.js("document.documentElement.dataset.ready") == "1"
    assert browser.js("document.scripts.length") == 1
    assert browser.js("document.images.length") == 0
    assert (
        browser.js("[...document.querySelectorAll('details.acct')].map(e => e.dataset.account)")
        == EVIL
    )
    title = 'Checks <b>pass</b> & "more" </style><script>alert(3)</script> — SLA report'
    assert browser.js("document.title") == title  # the agreement's title, as plain text
    assert browser.js("document.querySelector('h1').textContent") == title
    dialogs = [e for e in browser.events if e.get("method") == "Page.javascriptDialogOpening"]
    assert not dialogs
    check_cells(browser.js(COLLECT), result)
    # The filter matches names as plain text.
    browser.js(
        "(() => { const b = document.getElementById('filter'); b.value = '<script>';"
        " b.dispatchEvent(new Event('input')); })()"
    )
    visible = "[...document.querySelectorAll('details.acct')].filter(e => !e.hidden)"
    assert browser.js(visible + ".map(e => e.dataset.account)") == [EVIL[0]]


def test_browser_handles_500_accounts(browser: Browser, tmp_path: Path) -> None:
    model, result = many_accounts(500)
    report = tmp_path / "many.html"
    report.write_text(render(result, model), encoding="utf-8")
    browser.navigate(report.as_uri())
    assert browser.js("document.documentElement.dataset.ready") == "1"
    assert browser.js("document.querySelectorAll('details.acct').length") == 500
    assert browser.js("document.querySelectorAll('details.acct[open]').length") == 0
    browser.js(
        "(() => { const b = document.getElementById('filter'); b.value = 'account_012';"
        " b.dispatchEvent(new Event('input')); })()"
    )
    assert browser.js("document.getElementById('count').textContent") == "10 of 500 accounts shown"
    browser.js("document.getElementById('expand').click()")
    assert browser.js("document.querySelectorAll('details.acct[open]').length") == 10


# ------------------------------------------------------------------ docs screenshot


def _docs_screenshot(out: Path) -> None:
    """Render the multilevel example (else the SPEC example) and save a screenshot."""
    import tempfile

    example = MULTI if (MULTI / "model.sla").is_file() else SPEC
    model = slagraph.load(example / "model.sla")
    result = model.evaluate(str(example / "data"))
    binary = find_chromium()
    if binary is None:
        raise SystemExit(f"no chromium: {APT}")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(render(result, model), encoding="utf-8")
        chrome = Browser(binary, Path(tmp))
        try:
            chrome.open()
            chrome.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": 1400, "height": 1800, "deviceScaleFactor": 1, "mobile": False},
            )
            chrome.navigate(page.as_uri())
            chrome.screenshot(out)
        finally:
            chrome.close()
    print(f"wrote {out} from {example.relative_to(ROOT)}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--screenshot":
        _docs_screenshot(Path(sys.argv[2]))
    else:
        raise SystemExit("usage: python tests/test_report.py --screenshot OUT.png")


def test_a_report_past_its_account_bound_is_refused_with_what_to_do(monkeypatch) -> None:
    """A report of 10^6 accounts was OOM-killed at 17 GB without a word: past the bound it
    is a usage error saying what to do instead (the bound lowered here to 3 accounts)."""
    from slagraph.report import html

    spec = Path(__file__).parent.parent / "examples" / "spec"
    model = slagraph.load(spec / "model.sla")
    result = model.evaluate(spec / "data")
    monkeypatch.setattr(html, "MAX_ACCOUNTS", 3)
    with pytest.raises(slagraph.SlaUsageError, match=r"^a report of 4 accounts would be too"):
        html.render(result, model)
