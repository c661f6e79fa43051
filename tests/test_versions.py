"""Versions of an agreement (SPEC §6.6): `effective DATE`, each period judged by the
version in effect at its start. Golden numbers are worked out by hand below.

The data, for account acme (fee 2,000), ten tickets a month, each created at 09:00Z:

* June 2026: nine first replies at 14:00 (5h), one at 18:00 (9h).
  Version 2026-01-01 (<= 8h, >= 95%): 9/10 = 90% < 95% → tier `below 95% -> 5%` (90% is
  not below 80%): 5% × 2,000 = 100. (Judged by the July terms, 4h, it would be 0% → 20%
  → 400: the test shows it is not.)
* July 2026: nine at 12:00 (3h), one at 14:00 (5h).
  Version 2026-07-01 (<= 4h, >= 98%): 9/10 = 90% < 98% → `below 98% -> 10%` (90% is not
  below 90%): 10% × 2,000 = 200. (By the January terms, 8h: 100%, met, no credit.)

So the two halves cost 100 + 200 = 300, and each row names the version that judged it.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

import slagraph
from slagraph.cli import main
from slagraph.syntax.format import format_source

HEAD = """\
stream tickets { account: text, id: text, created: time, first_reply: time? }
accounts { account: text, fee: number }
"""
JANUARY = """
sla support "Support" effective 2026-01-01 {
    objective reply = share(tickets, first_reply - created <= 8h) >= 95%
    credit on reply: below 95% -> 5%, below 80% -> 10%
}
"""
JULY = """
sla support "Support" effective 2026-07-01 {
    objective reply = share(tickets, first_reply - created <= 4h) >= 98%
    credit on reply: below 98% -> 10%, below 90% -> 20%
}
"""
AS_OF = "2026-08-01T00:00:00Z"


def tickets(months: dict[int, list[int]]) -> dict[str, list]:
    """Ten tickets per month, created 09:00Z on days 1..10, replied after `hours`."""
    out: dict[str, list] = {"account": [], "id": [], "created": [], "first_reply": []}
    for month, hours in months.items():
        for day, h in enumerate(hours, start=1):
            created = dt.datetime(2026, month, day, 9, tzinfo=dt.UTC)
            out["account"].append("acme")
            out["id"].append(f"T{month}-{day}")
            out["created"].append(created.isoformat())
            out["first_reply"].append((created + dt.timedelta(hours=h)).isoformat())
    return out


DATA = {
    "tickets": tickets({6: [9] + [5] * 9, 7: [5] + [3] * 9}),
    "accounts": {"account": ["acme"], "fee": [2000.0]},
}


def rows(text: str, data: dict = DATA, as_of: str = AS_OF) -> list[dict]:
    return slagraph.compile(text).evaluate(data, as_of=as_of).rows()


def cell(found: list[dict], node: str, period: str) -> dict:
    return next(r for r in found if r.get("node") == node and r.get("period") == period)


def test_a_mid_year_amendment_judges_each_half_by_its_own_terms() -> None:
    found = rows(HEAD + JANUARY + JULY)
    june, july = cell(found, "support.reply", "2026-06"), cell(found, "support.reply", "2026-07")
    assert (june["value"], june["target"], june["credit"], june["version"]) == (
        0.9,
        0.95,
        100.0,
        "2026-01-01",
    )
    assert (july["value"], july["target"], july["credit"], july["version"]) == (
        0.9,
        0.98,
        200.0,
        "2026-07-01",
    )
    roots = [r for r in found if r["node"] == "support"]
    assert [r["version"] for r in roots] == ["2026-01-01", "2026-07-01"]
    assert sum(r["credit"] for r in roots) == 300.0


def test_the_definitions_order_in_the_file_does_not_matter() -> None:
    assert rows(HEAD + JULY + JANUARY) == rows(HEAD + JANUARY + JULY)


def test_each_version_alone_reproduces_its_half() -> None:
    """Dropping `effective` from one version gives the old contract: its June row is the
    versioned model's June row, value for value (credits of both halves reproduced)."""
    versioned = rows(HEAD + JANUARY + JULY)
    old = rows(HEAD + JANUARY.replace(" effective 2026-01-01", ""))
    new = rows(HEAD + JULY.replace(" effective 2026-07-01", ""))

    def strip(row: dict) -> dict:
        return {k: v for k, v in row.items() if k != "version"}

    assert strip(cell(versioned, "support.reply", "2026-06")) == cell(
        old, "support.reply", "2026-06"
    )
    assert strip(cell(versioned, "support.reply", "2026-07")) == cell(
        new, "support.reply", "2026-07"
    )
    assert cell(old, "support.reply", "2026-07")["credit"] == 0.0  # 8h: all ten in time
    assert cell(new, "support.reply", "2026-06")["credit"] == 400.0  # 4h: none in time


def test_periods_before_the_first_version_have_no_rows() -> None:
    found = rows(HEAD + JULY)
    assert {r["period"] for r in found if "period" in r} == {"2026-07"}


def test_an_unversioned_model_has_no_version_field() -> None:
    found = rows(HEAD + JANUARY.replace(" effective 2026-01-01", ""))
    assert all("version" not in r for r in found)


def test_an_effective_date_inside_a_period_takes_effect_at_the_next_start() -> None:
    """Judged by the version in effect at the period's start: 2026-06-15 judges July on."""
    found = rows(HEAD + JANUARY + JULY.replace("2026-07-01", "2026-06-15"))
    assert cell(found, "support.reply", "2026-06")["version"] == "2026-01-01"
    assert cell(found, "support.reply", "2026-07")["version"] == "2026-06-15"


def test_the_start_is_local_to_the_agreement_s_timezone() -> None:
    """In Santiago (-04 in July) the July period starts 2026-07-01T04:00Z; the version
    effective 2026-07-01 judges it, though July 1 00:00Z is still June there."""
    zone = '    timezone "America/Santiago"\n}\n'
    text = HEAD + JANUARY.replace("\n}\n", "\n" + zone) + JULY.replace("\n}\n", "\n" + zone)
    found = rows(text)
    assert cell(found, "support.reply", "2026-07")["version"] == "2026-07-01"
    assert cell(found, "support.reply", "2026-06")["version"] == "2026-01-01"


def test_extends_resolves_per_version() -> None:
    """`gold` is written once, on top of `support`: it takes each of support's versions
    from its date, with its own statements added (here a flat credit on breach)."""
    gold = "\nsla gold extends support {\n    credit 1% when breached\n}\n"
    found = rows(HEAD + JANUARY + JULY + gold)
    june, july = cell(found, "gold", "2026-06"), cell(found, "gold", "2026-07")
    assert (june["version"], june["credit_pct"]) == ("2026-01-01", pytest.approx(0.06))
    assert (july["version"], july["credit_pct"]) == ("2026-07-01", pytest.approx(0.11))
    assert cell(found, "gold.reply", "2026-07")["target"] == 0.98


def test_a_later_own_version_and_the_parent_s_dates_combine() -> None:
    """`gold` amended on 2026-03-01 over a `support` amended on 2026-07-01: three
    combinations, from Jan (none: gold starts in March), March and July."""
    gold = (
        "\nsla gold extends support effective 2026-03-01 {\n    credit 1% when breached\n}\n"
        "\nsla gold extends support effective 2026-06-10 {\n    credit 2% when breached\n}\n"
    )
    model = slagraph.compile(HEAD + JANUARY + JULY + gold)
    dates = [v.effective for v in model.ir.agreements["gold"].versions]
    assert dates == [dt.date(2026, 3, 1), dt.date(2026, 6, 10), dt.date(2026, 7, 1)]
    found = model.evaluate(DATA, as_of=AS_OF).rows()
    assert cell(found, "gold", "2026-06")["version"] == "2026-03-01"  # June 1: before 06-10
    july = cell(found, "gold", "2026-07")
    assert (july["version"], july["credit_pct"]) == ("2026-07-01", pytest.approx(0.12))


def test_a_version_gap_is_a_compile_error() -> None:
    text = (
        HEAD
        + JULY
        + "\nsla gold extends support effective 2026-01-01 {\n    credit 1% when breached\n}\n"
    )
    with pytest.raises(slagraph.SlaCompileError) as info:
        slagraph.compile(text)
    message = str(info.value)
    assert "version gap" in message
    assert "'support', whose first version is effective 2026-07-01" in message
    assert message.startswith("<string>:9:18:")  # at `extends support`


def test_two_versions_on_one_date_overlap() -> None:
    with pytest.raises(slagraph.SlaCompileError, match="versions overlap"):
        slagraph.compile(HEAD + JULY + JULY)


def test_a_second_undated_definition_says_how_to_version() -> None:
    with pytest.raises(slagraph.SlaCompileError, match="give each one 'effective DATE'"):
        slagraph.compile(HEAD + JANUARY + JULY.replace(" effective 2026-07-01", ""))


def test_versions_keep_their_period() -> None:
    text = HEAD + JANUARY + JULY.replace("\n}\n", "\n    period quarterly\n}\n")
    with pytest.raises(slagraph.SlaCompileError, match="changes its period"):
        slagraph.compile(text)


def test_terminations_count_each_version_s_own_periods() -> None:
    """Breached in June (January terms), July and August (July terms): a `2 consecutive`
    rule of the July version arises in August, not July (June is not its period)."""
    rule = "    terminate when reply breached in 2 consecutive periods\n}\n"
    text = HEAD + JANUARY.replace("\n}\n", "\n" + rule) + JULY.replace("\n}\n", "\n" + rule)
    data = {
        "tickets": tickets({6: [9] + [5] * 9, 7: [5] + [3] * 9, 8: [5] + [3] * 9}),
        "accounts": DATA["accounts"],
    }
    found = rows(text, data, "2026-09-01T00:00:00Z")
    rights = [r for r in found if r["kind"] == "termination"]
    assert rights == [
        {
            "kind": "termination",
            "node": "support",
            "account": "acme",
            "period": "2026-08",
            "target": "reply",
            "rule": "2 consecutive periods",
            "version": "2026-07-01",
        }
    ]


def test_earnback_looks_at_the_periods_after_whoever_judges_them() -> None:
    """June's credit (January terms, `earnback when met in 1 following periods`) is earned
    back when July is met under the July terms."""
    earn = "    earnback when met in 1 following periods\n}\n"
    text = HEAD + JANUARY.replace("\n}\n", "\n" + earn) + JULY
    data = {"tickets": tickets({6: [9] + [5] * 9, 7: [1] * 10}), "accounts": DATA["accounts"]}
    found = rows(text, data)
    assert cell(found, "support", "2026-06")["earned_back"] is True
    assert cell(found, "support", "2026-07")["status"] == "met"


def test_a_master_counts_a_child_only_from_its_first_version() -> None:
    """`late` starts in July: in June the master's score is `support`'s alone (1 of 1
    members present, breached → 0.0), in July both count (0 of 2 met → 0.0 … with late
    met, 1 of 2 → 0.5)."""
    late = """
sla late "Volume" effective 2026-07-01 {
    objective volume = count(tickets) >= 1
}
master desk { include support, late }
"""
    found = rows(HEAD + JANUARY + JULY + late)
    assert cell(found, "desk", "2026-06")["score"] == 0.0
    assert cell(found, "desk", "2026-07")["score"] == 0.5
    assert not [r for r in found if r.get("node") == "desk.late" and r["period"] == "2026-06"]


def test_records_use_each_version_s_limit() -> None:
    result = slagraph.compile(HEAD + JANUARY + JULY).evaluate(DATA, as_of=AS_OF)
    table = result.records("support.reply").to_pylist()
    limits = {(r["period"], r["limit"]) for r in table}
    assert limits == {("2026-06", 8 * 3600.0), ("2026-07", 4 * 3600.0)}
    failed = [r["id"] for r in table if r["verdict"] == "failed"]
    assert failed == ["T6-1", "T7-1"]


def test_explain_says_which_version_judged() -> None:
    result = slagraph.compile(HEAD + JANUARY + JULY).evaluate(DATA, as_of=AS_OF)
    text = str(result.explain("acme", "2026-07"))
    assert "version effective 2026-07-01" in text
    assert "98.0000%" in text


def test_due_uses_the_terms_in_force_at_as_of() -> None:
    """An open ticket created 2026-07-20T09:00Z is due at 13:00 under the July terms (4h),
    not 17:00 (8h)."""
    data = {
        "tickets": {
            "account": ["acme"],
            "id": ["OPEN"],
            "created": ["2026-07-20T09:00:00Z"],
            "first_reply": [None],
        },
        "accounts": DATA["accounts"],
    }
    table = slagraph.compile(HEAD + JANUARY + JULY).due(data, as_of="2026-07-20T10:00:00Z")
    due = table.to_pylist()
    assert len(due) == 1
    assert (due[0]["limit"], str(due[0]["breaches_at"])) == (14400.0, "2026-07-20 13:00:00+00:00")


def test_format_keeps_effective() -> None:
    text = HEAD + JANUARY + JULY
    formatted = format_source(text)
    assert 'sla support "Support" effective 2026-07-01 {' in formatted
    assert format_source(formatted) == formatted
    assert rows(formatted) == rows(text)


def test_eval_command_shows_the_version(tmp_path) -> None:  # type: ignore[no-untyped-def]
    model = tmp_path / "support.sla"
    model.write_text(HEAD + JANUARY + JULY, encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    t = DATA["tickets"]
    lines = ["account,id,created,first_reply"] + [
        ",".join(str(t[c][i]) for c in t) for i in range(len(t["id"]))
    ]
    (data / "tickets.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (data / "accounts.csv").write_text("account,fee\nacme,2000\n", encoding="utf-8")
    runner = CliRunner()
    args = ["eval", str(model), "--data", str(data), "--as-of", AS_OF]
    table = runner.invoke(main, args)
    assert table.exit_code == 0, table.output
    header = table.stdout.splitlines()[0].split()
    assert header[:4] == ["account", "period", "node", "version"]
    jsonl = runner.invoke(main, [*args, "--format", "jsonl"])
    versions = [json.loads(line).get("version") for line in jsonl.stdout.splitlines()]
    assert versions == ["2026-01-01"] * 2 + ["2026-07-01"] * 2


def test_the_report_says_which_version_judged() -> None:
    from slagraph.report import render

    model = slagraph.compile(HEAD + JANUARY + JULY)
    page = render(model.evaluate(DATA, as_of=AS_OF), model)
    assert page.count('<span class="tag ver">version 2026-01-01</span>') == 2  # sla, reply
    assert page.count('<span class="tag ver">version 2026-07-01</span>') == 2


def test_a_test_file_asserts_the_version(tmp_path) -> None:  # type: ignore[no-untyped-def]
    model = tmp_path / "support.sla"
    model.write_text(HEAD + JANUARY + JULY, encoding="utf-8")
    cases = tmp_path / "support.sla-test.toml"
    cases.write_text(
        """
[data]
accounts = \"\"\"
account,fee
acme,2000
\"\"\"

[[case]]
name = "july is judged by the july terms"
as_of = "2026-08-01T00:00:00Z"
[case.data]
tickets = \"\"\"
account,id,created,first_reply
acme,A,2026-07-01T09:00:00Z,2026-07-01T14:00:00Z
\"\"\"
[[case.expect]]
node = "support.reply"
account = "acme"
period = "2026-07"
version = 2026-07-01
credit = 400
target = "98%"
""",
        encoding="utf-8",
    )
    assert slagraph.load(model).test(cases).ok
    wrong = cases.read_text(encoding="utf-8").replace(
        "version = 2026-07-01", 'version = "2026-01-01"'
    )
    cases.write_text(wrong, encoding="utf-8")
    report = slagraph.load(model).test(cases)
    assert not report.ok
    assert "version: expected 2026-01-01, got 2026-07-01" in str(report)


def test_dask_gives_the_same_rows(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Versions on a cluster: each partition judges its accounts' periods by the same
    versions, and the rows (with `version`) and termination lines equal one process's."""
    import distributed

    rule = "    terminate when reply breached in 1 consecutive periods\n}\n"
    text = HEAD + JANUARY + JULY.replace("\n}\n", "\n" + rule)
    t = tickets({6: [9] + [5] * 9, 7: [5] + [3] * 9})
    other = tickets({6: [1] * 10, 7: [1] * 10})
    data = tmp_path / "data"
    data.mkdir()
    lines = ["account,id,created,first_reply"]
    for name, source in (("acme", t), ("zeta", other)):
        for i in range(len(source["id"])):
            row = [name, *(str(source[c][i]) for c in ("id", "created", "first_reply"))]
            lines.append(",".join(row))
    (data / "tickets.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (data / "accounts.csv").write_text("account,fee\nacme,2000\nzeta,500\n", encoding="utf-8")
    model = slagraph.compile(text)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        spread = model.evaluate(str(data), as_of=AS_OF, client=client).to_jsonl()
    alone = model.evaluate(str(data), as_of=AS_OF).to_jsonl()
    assert spread == alone
    assert '"version": "2026-07-01"' in alone and '"kind": "termination"' in alone
