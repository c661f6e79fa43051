"""The `slagraph` command as a user meets it: outputs, exit codes, and no tracebacks.

Runs the CLI in-process through click's runner (same code path as the console script).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from slagraph.cli import main
from tests.spec_source import SPEC

ROOT = Path(__file__).resolve().parents[1]
MODEL = str(ROOT / "examples" / "spec" / "model.sla")
DATA = str(ROOT / "examples" / "spec" / "data")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output + result.stderr
    return result.exit_code, result.stdout, result.stderr


def spec_blocks() -> list[str]:
    path = SPEC if SPEC.is_file() else ROOT / "tests" / "fixtures" / "spec_example.sla"
    text = path.read_text("utf-8")
    blocks = re.findall(r"^```\n(.*?)^```", text, re.S | re.M)
    return blocks or [text]


def test_help_lists_every_command() -> None:
    code, out, _ = run("--help")
    assert code == 0
    commands = ("check", "fmt", "graph", "test", "eval", "explain", "whatif", "diff", "simulate")
    commands += ("report",)
    for command in commands:
        assert re.search(rf"^\s+{command}\b", out, re.M), command


def test_check_spec_example() -> None:
    code, out, _ = run("check", MODEL)
    assert (code, out) == (
        0,
        f"ok: {MODEL}: 7 agreements, 11 objectives, roots: gold, gold_support\n",
    )


@pytest.mark.parametrize("upto", range(1, len(spec_blocks()) + 1))
def test_every_spec_block_checks_and_formats(tmp_path: Path, upto: int) -> None:
    """Each fenced block of SPEC §2, with the declarations of the blocks before it (a
    block of SLAs needs the streams the previous block declares), and all of them
    together: `check` passes, and after `fmt -w`, `fmt --check` passes."""
    path = tmp_path / "block.sla"
    path.write_text("\n".join(spec_blocks()[:upto]), encoding="utf-8")
    assert run("check", str(path))[0] == 0
    assert run("fmt", "-w", str(path))[0] == 0
    code, out, _ = run("fmt", "--check", str(path))
    assert (code, out) == (0, f"ok: {path} is formatted\n")
    assert run("check", str(path))[0] == 0


def test_fmt_check_fails_on_unformatted(tmp_path: Path) -> None:
    path = tmp_path / "ugly.sla"
    path.write_text("stream s{account:text,t:time}\n", encoding="utf-8")
    code, _, err = run("fmt", "--check", str(path))
    assert (code, err) == (1, f"would reformat {path}\n")


def test_check_error_has_location_caret_and_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "bad.sla"
    path.write_text("sla a {\n    objectiv x = count(s) >= 1\n}\n", encoding="utf-8")
    code, out, err = run("check", str(path))
    assert code == 1 and out == ""
    assert err.startswith(f"{path}:2:5: syntax error: unexpected name 'objectiv'")
    assert "(did you mean 'objective'?)" in err
    assert err.rstrip().endswith("|     ^^^^^^^^")


def test_missing_file_is_a_clean_error(tmp_path: Path) -> None:
    code, _, err = run("check", str(tmp_path / "nope.sla"))
    missing = tmp_path / "nope.sla"
    assert (code, err) == (2, f"error: cannot read {missing}: No such file or directory\n")


def test_graph_mermaid_renders_the_multilevel_tree() -> None:
    code, out, _ = run("graph", MODEL, "--format", "mermaid")
    assert code == 0
    assert out.startswith("flowchart TD\n")
    for edge in (
        "master_gold --> master_acme",
        "master_acme --> sla_availability",
        "sla_availability --> objective_availability_api_up",
        "objective_availability_api_up --> stream_outages",
        "objective_availability_api_up --> calendar_maintenance",
    ):
        assert f"    {edge}\n" in out


def test_graph_dot_and_json() -> None:
    code, out, _ = run("graph", MODEL, "--format", "dot")
    assert (
        code == 0 and out.startswith("digraph slagraph {") and "master_gold -> master_acme;" in out
    )
    code, out, _ = run("graph", MODEL, "--format", "json")
    data = json.loads(out)
    assert {n["id"] for n in data["nodes"]} >= {"master:gold", "sla:availability", "stream:outages"}


def test_eval_jsonl_rows_follow_the_contract() -> None:
    code, out, _ = run("eval", MODEL, "--data", DATA, "--format", "jsonl")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    keys = [
        "account",
        "period",
        "node",
        "kind",
        "status",
        "met",
        "value",
        "target",
        "score",
        "budget_used",
        "credit_pct",
        "credit",
        "earned_back",
        "final",
    ]
    nodes = [r for r in rows if r["kind"] in ("master", "sla", "objective")]
    assert nodes and all(list(r) == keys for r in nodes)
    assert {r["period"] for r in nodes} == {"2026-01", "2026-02", "2026-03"}
    feb = {r["node"]: r for r in nodes if r["account"] == "acme" and r["period"] == "2026-02"}
    # Hand-checked: tier 10% (api_up below 99.9%) + incidents' flat 5% = 15% of 20,000.
    assert feb["gold.acme"]["credit_pct"] == pytest.approx(0.15)
    assert feb["gold.acme"]["credit"] == pytest.approx(3000.0)
    # Pool: at_risk 12% × acme's allocation 80% = 9.6% of the fee.
    assert feb["gold"]["credit_pct"] == pytest.approx(0.096)


def test_eval_json_csv_and_table() -> None:
    code, out, _ = run("eval", MODEL, "--data", DATA, "--format", "json")
    assert code == 0 and json.loads(out)["rows"]
    code, out, _ = run("eval", MODEL, "--data", DATA, "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("account,period,node,kind,status")
    code, out, _ = run("eval", MODEL, "--data", DATA, "--from", "2026-02", "--to", "2026-02")
    assert code == 0
    assert "2026-02" in out and "2026-01" not in out and "2026-03" not in out
    assert "api_up" in out and "breached" in out


def test_eval_bad_as_of_is_a_usage_error() -> None:
    code, _, err = run("eval", MODEL, "--data", DATA, "--as-of", "yesterday")
    assert code == 2 and "as-of 'yesterday' is not a time" in err


def test_explain_names_the_failing_records() -> None:
    code, out, _ = run(
        "explain",
        MODEL,
        "gold.acme.availability",
        "--data",
        DATA,
        "--account",
        "acme",
        "--period",
        "2026-02",
    )
    assert code == 0
    assert out.startswith("gold.acme.availability [sla] 2026-02: breached")
    # times in the node's timezone (America/Santiago), the outage's own columns shown
    assert (
        "row=29, down_in_period=3h, stream=outages, service=api, "
        "start=2026-02-10T11:00:00-03:00, end=2026-02-10T14:00:00-03:00" in out
    )


def test_explain_unknown_account_suggests() -> None:
    code, _, err = run("explain", MODEL, "--data", DATA, "--account", "acm", "--period", "2026-02")
    assert code == 2 and "unknown account 'acm' (did you mean 'acme'?)" in err


def test_whatif_shows_only_differences() -> None:
    code, out, _ = run(
        "whatif",
        MODEL,
        "--data",
        DATA,
        "--change",
        'add outages account="acme" service="api" '
        "start=2026-01-10T14:00:00Z duration=3h planned=false",
    )
    assert code == 0
    assert "gold.acme.availability.api_up  met → breached" in out
    assert "globex" not in out
    code, out, _ = run(
        "whatif", MODEL, "--data", DATA, "--change", 'drop incidents where priority == "P9"'
    )
    assert (code, out) == (0, "no differences\n")
