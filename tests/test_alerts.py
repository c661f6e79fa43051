"""Burn-rate alerts (SPEC §6.5): Sloth's factors, re-derived; a hand-built request stream
whose alert intervals are computed here by a brute-force loop over every minute."""

from __future__ import annotations

import bisect
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import slagraph
from slagraph.cli import main
from slagraph.compiler.alerts import sre_factors
from tests.spec_source import SPEC

GOLDEN = Path(__file__).parent / "golden"
DAY = 86400
START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def factors(days: int) -> list[float]:
    return [f for _, _, _, f in sre_factors(days * DAY)]


def test_sloth_factors_30_days() -> None:
    assert factors(30) == [14.4, 6.0, 3.0, 1.0]
    assert [(n, lo, sh) for n, lo, sh, _ in sre_factors(30 * DAY)] == [
        ("page", 3600, 300),
        ("page", 6 * 3600, 1800),
        ("ticket", DAY, 2 * 3600),
        ("ticket", 3 * DAY, 6 * 3600),
    ]


def test_sloth_factors_28_and_7_days() -> None:
    assert factors(28) == pytest.approx([13.44, 5.6, 2.8, 28 / 30], rel=1e-15)
    assert factors(7) == pytest.approx([3.36, 1.4, 0.7, 0.7 / 3], rel=1e-15)


def test_preset_expands_to_the_pairs() -> None:
    """`alert burn_rates sre` on a 28-day sla: good_page and good_ticket, each an `or` of
    two (long and short) pairs over the factor."""
    model = slagraph.compile(
        "stream r { account: text, at: time, ok: bool }\n"
        "sla s { window rolling 28d\n objective good = share(r, ok) >= 99.9%\n"
        " alert burn_rates sre }\n"
    )
    page, ticket = model.ir.agreements["s"].alerts
    assert (page.name, ticket.name) == ("good_page", "good_ticket")
    found = [
        (leaf.window, leaf.op, leaf.threshold)
        for alert in (page, ticket)
        for pair in alert.condition.parts
        for leaf in pair.parts
    ]
    assert found == [
        (3600, ">", 13.44),
        (300, ">", 13.44),
        (21600, ">", 5.6),
        (1800, ">", 5.6),
        (86400, ">", 2.8),
        (7200, ">", 2.8),
        (3 * DAY, ">", pytest.approx(0.9333333333333333)),
        (6 * 3600, ">", pytest.approx(0.9333333333333333)),
    ]


# --------------------------------------------------------------------------- the stream


def stream() -> dict[str, list[tuple[int, bool]]]:
    """(minute from START, ok) per account; every request at :30 of its minute.

    a: a burst: every request fails on Mar 2 12:00-12:19.
    b: a slow burn: one request in 100 fails all through Mar 3 (burn rate 1).
    c: a traffic gap: nothing on Mar 2, then three failures as traffic comes back.
    d: below `min 50`: 30 requests, all failing.
    """
    minutes = range(4 * 1440)
    out: dict[str, list[tuple[int, bool]]] = {}
    out["a"] = [(m, not (1440 + 720 <= m < 1440 + 740)) for m in minutes]
    out["b"] = [(m, not (2880 <= m < 4320 and m % 100 == 0)) for m in minutes]
    out["c"] = [(m, m < 2880 or m >= 2883) for m in minutes if not 1440 <= m < 2880]
    out["d"] = [(m, False) for m in range(600, 630)]
    return out


def instant(minute: int, second: int = 30) -> str:
    t = START + dt.timedelta(minutes=minute, seconds=second)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def table(data: dict[str, list[tuple[int, bool]]]) -> dict[str, list[Any]]:
    rows = [(a, m, ok) for a, recs in data.items() for m, ok in recs]
    return {
        "account": [a for a, _, _ in rows],
        "at": [instant(m) for _, m, _ in rows],
        "ok": [ok for _, _, ok in rows],
    }


def brute_force(
    data: dict[str, list[tuple[int, bool]]], first: int, last: int, step: int = 1
) -> list[dict]:
    """Every `step` minutes t from `first` to `last` (exclusive), every pair, by counting."""
    pairs = sre_factors(7 * DAY)
    rows = []
    for account, recs in data.items():
        times = [m * 60 + 30 for m, _ in recs]  # seconds from START, sorted
        fails = [0]
        for _, ok in recs:
            fails.append(fails[-1] + (not ok))

        def burn(t: int, window: int, times: list[int] = times, fails: list[int] = fails) -> Any:
            lo, hi = bisect.bisect_right(times, t - window), bisect.bisect_right(times, t)
            if hi == lo:
                return None
            return (fails[hi] - fails[lo]) / (hi - lo) / 0.01

        def decided(t: int, window: int, times: list[int] = times) -> int:
            return bisect.bisect_right(times, t) - bisect.bisect_right(times, t - window)

        for alert in ("page", "ticket"):
            held_from = None
            for minute in range(first, last + step, step):
                t = minute * 60
                held = False
                if minute < last and decided(t, 7 * DAY) >= 50:
                    for name, long, short, factor in pairs:
                        b1, b2 = burn(t, long), burn(t, short)
                        if name == alert and b1 is not None and b2 is not None:
                            held = held or (b1 > factor and b2 > factor)
                if held and held_from is None:
                    held_from = minute
                if not held and held_from is not None:
                    rows.append(
                        {
                            "kind": "alert",
                            "node": "api",
                            "account": account,
                            "alert": f"good_{alert}",
                            "start": instant(held_from, 0),
                            "end": instant(min(minute, last), 0),
                        }
                    )
                    held_from = None
    return rows


def order(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (r["alert"], r["account"], r["start"]))


def test_alert_intervals_match_a_minute_by_minute_loop() -> None:
    data = stream()
    model = slagraph.load(GOLDEN / "burn_rates.sla")
    as_of = instant(4 * 1440, 0)
    got = model.alerts(
        {"requests": table(data)}, as_of=as_of, start=instant(0, 0), end=as_of
    ).rows()
    expected = brute_force(data, 0, 4 * 1440)
    assert order(got) == order(expected)
    accounts = {r["account"] for r in got}
    assert accounts == {"a", "b", "c"}  # d stays below min 50
    assert {r["alert"] for r in got if r["account"] == "b"} == {"good_ticket"}
    assert {r["alert"] for r in got if r["account"] == "a"} == {"good_page", "good_ticket"}


def test_steps_that_divide_no_window_match_the_loop() -> None:
    """7-minute steps: no SRE window (5m, 30m, 1h, 2h, 6h, 1d, 3d) is a whole number of
    steps, so each window's lower bounds are a grid of their own; the last step is cut at
    `to`."""
    data = stream()
    model = slagraph.load(GOLDEN / "burn_rates.sla")
    as_of = instant(4 * 1440, 0)
    got = model.alerts(
        {"requests": table(data)}, as_of=as_of, start=instant(0, 0), end=as_of, step="7m"
    ).rows()
    assert order(got) == order(brute_force(data, 0, 4 * 1440, step=7))
    assert got


def test_chunks_of_accounts_give_the_same_intervals(monkeypatch: pytest.MonkeyPatch) -> None:
    """One account per chunk (the smallest chunk) against the default chunking."""
    import slagraph.alerts

    data = stream()
    model = slagraph.load(GOLDEN / "burn_rates.sla")
    whole = model.alerts({"requests": table(data)}).rows()
    monkeypatch.setattr(slagraph.alerts, "CHUNK_CELLS", 1)
    assert model.alerts({"requests": table(data)}).rows() == whole
    assert whole


def test_intervals_are_clipped_to_from_and_to() -> None:
    """A replay that starts and ends inside the burst: one interval, [from, to)."""
    data = stream()
    model = slagraph.load(GOLDEN / "burn_rates.sla")
    got = model.alerts(
        {"requests": table(data)}, start=instant(2165, 0), end=instant(2170, 15), step="5m"
    ).rows()
    page = [r for r in got if r["account"] == "a" and r["alert"] == "good_page"]
    assert page == [
        {
            "kind": "alert",
            "node": "api",
            "account": "a",
            "alert": "good_page",
            "start": instant(2165, 0),
            "end": instant(2170, 15),
        }
    ]


def test_cli_alerts_jsonl(tmp_path: Path) -> None:
    data = stream()
    columns = table({"a": data["a"]})
    lines = ["account,at,ok"] + [
        f"{a},{t},{str(ok).lower()}"
        for a, t, ok in zip(columns["account"], columns["at"], columns["ok"], strict=True)
    ]
    (tmp_path / "requests.csv").write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(
        main,
        ["alerts", str(GOLDEN / "burn_rates.sla"), "--data", str(tmp_path), "--format", "csv"],
    )
    assert result.exit_code == 0, result.output
    header, *rows = result.output.splitlines()
    assert header == "kind,node,account,alert,start,end"
    assert rows and all(r.startswith("alert,api,a,good_") for r in rows)


def spec_block(heading: str) -> str:
    """The `~~~sla` block under a SPEC heading (the copy in the repository's docs/sre.md
    is used when the shared SPEC is not beside the checkout)."""
    if SPEC.is_file():
        text = SPEC.read_text(encoding="utf-8")
        body = text[text.index(heading) :]
    else:  # docs/sre.md quotes the SPEC's example as its first block
        body = (Path(__file__).resolve().parents[1] / "docs" / "sre.md").read_text("utf-8")
    return body.split("~~~sla\n", 1)[1].split("~~~", 1)[0]


def test_spec_6_5_block_parses_compiles_and_evaluates() -> None:
    model = slagraph.compile(spec_block("Rolling windows and burn-rate alerts"))
    data = stream()
    requests = {"requests": table({k: data[k] for k in ("a", "d")})}
    as_of = instant(4 * 1440, 0)
    rows = model.evaluate(requests, as_of=as_of).rows()
    last = [r for r in rows if r["period"] == as_of and r["node"] == "api_slo.good"]
    # a: 20 failures in 5,760 requests over the 30-day window: 0.347% > 0.1% allowed, budget
    # 20 / (0.001 x 5,760) = 3.47; d: 30 requests, below min 100
    assert {r["account"]: r["status"] for r in last} == {"a": "breached", "d": "no_data"}
    a = next(r for r in last if r["account"] == "a")
    assert a["value"] == pytest.approx(1 - 20 / 5760)
    assert a["budget_used"] == pytest.approx(20 / 5.76)
    alerts = model.alerts(requests, as_of=as_of, start=instant(0, 0)).rows()
    assert {(r["account"], r["alert"]) for r in alerts} == {("a", "page"), ("a", "ticket")}


def test_pyrra_windows_and_factors() -> None:
    """Pyrra (slo/rules.go `Windows`): the 28-day windows 1h/5m, 6h/30m, 1d/2h, 4d/6h are
    W/672, W/112, W/28, W/7 over W/8064, W/1344, W/336, W/112, rounded to the minute
    (halves up, as Go's Duration.Round), with fixed factors 14, 7, 2, 1. For 30 days:
    2,592,000 s / 672 = 3,857.1 s → 64 min; / 8064 = 321.4 s → 5 min; / 112 = 23,142.9
    s → 386 min; / 1344 = 1,928.6 s → 32 min; / 28 = 92,571.4 s → 1,543 min; / 336 =
    7,714.3 s → 129 min; / 7 = 370,285.7 s → 6,171 min."""
    from slagraph.compiler.alerts import pyrra_factors

    minutes = [(n, lo // 60, sh // 60, f) for n, lo, sh, f in pyrra_factors(28 * DAY)]
    assert minutes == [
        ("critical", 60, 5, 14.0),
        ("critical", 360, 30, 7.0),
        ("warning", 1440, 120, 2.0),
        ("warning", 5760, 360, 1.0),
    ]
    minutes = [(lo // 60, sh // 60) for _, lo, sh, _ in pyrra_factors(30 * DAY)]
    assert minutes == [(64, 5), (386, 32), (1543, 129), (6171, 386)]
    model = slagraph.compile(
        "stream r { account: text, at: time, ok: bool }\n"
        "sla s { window rolling 28d\n objective good = share(r, ok) >= 99.9%\n"
        " alert burn_rates pyrra }\n"
    )
    critical, warning = model.ir.agreements["s"].alerts
    assert (critical.name, warning.name) == ("good_critical", "good_warning")
    first = critical.condition.parts[0].parts
    assert [(leaf.window, leaf.threshold) for leaf in first] == [(3600, 14.0), (300, 14.0)]


def test_formats_spell_rows_as_the_json_module_does() -> None:
    """The alert rows are written by the engine's column writers: byte for byte what
    json.dumps per row (jsonl), of the document (json) and the row-dict CSV give."""
    import json as _json

    from slagraph.engine import writers

    root = Path(__file__).resolve().parents[1]
    model = slagraph.load(root / "examples" / "sre" / "api_slo.sla")
    for result in (
        model.alerts(str(root / "examples" / "sre" / "data")),
        model.alerts(
            str(root / "examples" / "sre" / "data"),
            start="2026-03-01T00:00:00Z",
            end="2026-03-01T00:10:00Z",
        ),
    ):
        rows = result.rows()
        assert result.to_jsonl() == "".join(_json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        assert result.to_json() == _json.dumps({"rows": rows}, ensure_ascii=False, indent=1) + "\n"
        assert result.to_csv() == writers.rows_csv(
            rows, list(rows[0]) if rows else ["kind", "node", "account", "alert", "start", "end"]
        )
    assert len(model.alerts(str(root / "examples" / "sre" / "data")).rows()) == 4
