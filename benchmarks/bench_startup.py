"""Start-up: whole processes, as a user runs them (docs/performance.md, "Start-up").

    python benchmarks/bench_startup.py                       # this checkout
    python benchmarks/bench_startup.py --root /tmp/before --root .   # two checkouts, alternating

Each command runs in a fresh interpreter with `PYTHONPATH` set to the checkout, `-runs`
times, the commands (and checkouts) alternating so that a change of load on the machine
hits all of them alike. One untimed run of each first, with bytecode writing on, so that
every checkout is measured with its `.pyc` files in place, as an installed wheel is.
Reported: median and minimum wall time, and median CPU time (user + system of the child,
which waiting for a busy core does not inflate). Not a pytest benchmark on purpose: what
is measured is the process, interpreter start-up and imports included.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "examples" / "customer_support" / "model.sla"  # 23 lines, public holidays
PLAIN = ROOT / "examples" / "service_availability" / "model.sla"  # 26 lines, no holidays
CLI = "import sys; from slagraph.cli import main; sys.exit(main())"

COMMANDS: dict[str, list[str]] = {
    "python -c pass": ["-c", "pass"],
    "import slagraph": ["-c", "import slagraph"],
    "slagraph --version": ["-c", CLI, "--version"],
    "slagraph check (23 lines)": ["-c", CLI, "check", str(MODEL)],
    "slagraph check (26, no holidays)": ["-c", CLI, "check", str(PLAIN)],
}


def run_once(args: list[str], env: dict[str, str], cwd: str) -> tuple[float, float]:
    """Wall and CPU seconds of one child process; fails loudly if the command fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *args], env=env, cwd=cwd, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{args} failed:\n{done.stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", action="append", type=Path, help="checkout(s) to time")
    parser.add_argument("--runs", type=int, default=11)
    options = parser.parse_args()
    roots = [root.resolve() for root in options.root or [ROOT]]
    envs = {}
    for root in roots:
        env = dict(os.environ, PYTHONPATH=str(root))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        envs[root] = env
    times: dict[tuple[Path, str], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as cwd:
        for root in roots:  # untimed: write the .pyc files
            for args in COMMANDS.values():
                run_once(args, envs[root], cwd)
        for _ in range(options.runs):
            for name, args in COMMANDS.items():
                for root in roots:
                    times.setdefault((root, name), []).append(run_once(args, envs[root], cwd))
    print(f"load average {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs), {options.runs} runs")
    print(f"{'command':32} {'checkout':24} {'median':>8} {'min':>8} {'CPU':>8}")
    for name in COMMANDS:
        for root in roots:
            walls, cpus = zip(*times[(root, name)], strict=True)
            print(
                f"{name:32} {str(root)[-24:]:24} {statistics.median(walls) * 1000:6.0f}ms "
                f"{min(walls) * 1000:6.0f}ms {statistics.median(cpus) * 1000:6.0f}ms"
            )


if __name__ == "__main__":
    main()
