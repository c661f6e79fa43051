"""The working tree's evaluation time against an earlier commit's, in paired processes.

    python -m benchmarks.versus b617d07                 # 6 pairs, both cores
    SLAGRAPH_THREADS=1 python -m benchmarks.versus b617d07 --pairs 4

The commit is checked out into a temporary git worktree. Each pair runs the two versions
in fresh processes one after the other (alternating which goes first), each process
evaluating the subset model on the cached 10^7-event, 1,000-account tables: one warm-up,
then the median of `--runs` evaluations, wall and CPU (all threads), and the minor page
faults per evaluation. On this VM, whose speed drifts by ±30% over minutes, the median
of the per-pair ratios is the figure to read; absolute times only compare within a pair.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

ONE = """
import gc, json, resource, statistics, sys, time
sys.path.insert(0, sys.argv[1])
import slagraph
from benchmarks.generate import cached
assert slagraph.__file__.startswith(sys.argv[1]), slagraph.__file__
_, tables, as_of = cached(int(float(sys.argv[3])), accounts=int(sys.argv[4]))
model = slagraph.load(sys.argv[1] + "/benchmarks/spec_subset.sla")
model.evaluate(tables, as_of=as_of)
wall, cpu = [], []
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(int(sys.argv[2])):
    gc.collect()
    c, t = time.process_time(), time.perf_counter()
    model.evaluate(tables, as_of=as_of)
    wall.append(time.perf_counter() - t)
    cpu.append(time.process_time() - c)
faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / len(wall)
med = statistics.median
print(json.dumps({"wall": med(wall), "cpu": med(cpu), "faults": faults}))
"""


def _run(tree: Path, args: argparse.Namespace) -> dict[str, float]:
    command = [
        sys.executable,
        "-c",
        ONE,
        str(tree),
        str(args.runs),
        args.events,
        str(args.accounts),
    ]
    out = subprocess.run(command, capture_output=True, text=True, cwd=tempfile.gettempdir())
    if out.returncode:
        raise SystemExit(f"{tree}: {out.stderr.strip().splitlines()[-1]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.versus", description=__doc__)
    p.add_argument("commit", help="the earlier version: a commit, tag or branch")
    p.add_argument("--pairs", type=int, default=6)
    p.add_argument("--runs", type=int, default=5, help="timed evaluations per process")
    p.add_argument("--events", default="1e7")
    p.add_argument("--accounts", type=int, default=1000)
    args = p.parse_args(argv)
    base = Path(tempfile.mkdtemp(prefix="slagraph-versus-")) / "tree"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(base), args.commit],
        check=True,
    )
    try:
        cache = ROOT / "benchmarks" / ".cache"  # the generated data, shared
        if cache.exists() and not (base / "benchmarks" / ".cache").exists():
            os.symlink(cache, base / "benchmarks" / ".cache")
        ratios, walls = [], {"before": [], "now": []}
        for i in range(args.pairs):
            order = [("before", base), ("now", ROOT)]
            got = dict((name, _run(tree, args)) for name, tree in order[:: 1 if i % 2 else -1])
            for name in walls:
                walls[name].append(got[name]["wall"])
            ratios.append(got["now"]["wall"] / got["before"]["wall"])
            print(
                f"pair {i + 1}: {args.commit} {got['before']['wall']:.3f} s "
                f"(cpu {got['before']['cpu']:.3f}, {got['before']['faults']:,.0f} page faults), "
                f"now {got['now']['wall']:.3f} s (cpu {got['now']['cpu']:.3f}, "
                f"{got['now']['faults']:,.0f} page faults), ratio {ratios[-1]:.3f}",
                flush=True,
            )
        print(
            f"median: {args.commit} {statistics.median(walls['before']):.3f} s, now "
            f"{statistics.median(walls['now']):.3f} s; median per-pair ratio "
            f"{statistics.median(ratios):.3f}"
        )
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)])
        shutil.rmtree(base.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
