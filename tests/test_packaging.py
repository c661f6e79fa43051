"""The built wheel carries the grammar and works outside the source tree."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_installs_and_checks_outside_the_repo(tmp_path: Path) -> None:
    """Build the wheel, install it into a fresh venv away from the repo, run `check`."""
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        check=True,
    )
    wheel = next(dist.glob("slagraph-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", str(wheel)], check=True)
    model = tmp_path / "work" / "model.sla"
    model.parent.mkdir()
    shutil.copy(ROOT / "examples" / "spec" / "model.sla", model)
    done = subprocess.run(
        [env_dir / "bin" / "slagraph", "check", str(model)],
        cwd=model.parent,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"ok: {model}: 7 agreements")
    # The grammar comes from inside the installed package, not from a checkout.
    where = subprocess.run(
        [
            python,
            "-c",
            "import slagraph.syntax.parser as p, importlib.resources as r;"
            "print(r.files('slagraph').joinpath('grammar/slagraph.lark').is_file(),"
            " r.files('slagraph').joinpath('syntax/lark_tables/slagraph.pickle').is_file())",
        ],
        cwd=model.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    # ... and so do the saved parser tables (syntax/tables.py).
    assert where.stdout.strip() == "True True"
