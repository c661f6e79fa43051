"""slagraph is a guest in its host's process: compiling and evaluating leave the host's
garbage collector, frozen objects, threads and malloc settings as they were. Each check
runs in a fresh child process, so nothing earlier in the test session can mask it."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent

HOST = """
import gc, json, threading
import slagraph
from slagraph import process

slagraph.load("examples/spec/model.sla").evaluate("examples/spec/data")  # imports done
gc.freeze()  # the host froze its start-up objects: slagraph must not add to them
before = (gc.isenabled(), gc.get_freeze_count(), threading.active_count())
model = slagraph.load("examples/spec/model.sla")
result = model.evaluate("examples/spec/data")
rows = result.rows()
model.whatif("examples/spec/data", ['outages += 1h where service == "api"'])
after = (gc.isenabled(), gc.get_freeze_count(), threading.active_count())
print(json.dumps({"before": before, "after": after, "rows": len(rows),
                  "malloc_tuned": process.tuned()}))
"""


def test_evaluate_leaves_the_hosts_process_as_it_was() -> None:
    out = subprocess.run(
        [sys.executable, "-c", HOST], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert seen["rows"] > 0
    (enabled, frozen, threads), (enabled_after, frozen_after, threads_after) = (
        seen["before"],
        seen["after"],
    )
    assert (enabled_after, threads_after) == (enabled, threads)
    # Never thawed (gc.unfreeze empties the set) nor added to (gc.freeze): frozen objects
    # can only die, as a few left by the warm-up evaluation do when refcounts drop.
    assert frozen - 500 <= frozen_after <= frozen
    assert seen["malloc_tuned"] is None  # never even tried: only the CLI opts in


def test_only_the_cli_tunes_the_process() -> None:
    """No module of the library but slagraph/process.py calls mallopt or switches the
    collector, and of the library only the CLI imports slagraph.process."""
    touching = {"mallopt", "disable", "freeze", "unfreeze", "set_threshold"}
    importers = []
    for path in sorted((ROOT / "slagraph").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in touching:
                assert rel == "slagraph/process.py", f"{rel}:{node.lineno} calls {node.attr}"
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "slagraph"
                and any(a.name == "process" for a in node.names)
            ):
                importers.append(rel)
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [getattr(node, "module", None)] + [a.name for a in node.names]
                if "slagraph.process" in names:
                    importers.append(rel)
    assert importers == ["slagraph/cli/common.py"]
