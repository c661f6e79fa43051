"""The built wheel carries the grammar and works outside the source tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
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
    # editors/ (highlighting grammars) is for editors, not for Python: not in the wheel.
    assert not [n for n in zipfile.ZipFile(wheel).namelist() if "editors/" in n]
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", str(wheel)], check=True)
    # A PYTHONPATH pointing at the checkout would import it instead of the installed wheel.
    outside = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    model = tmp_path / "work" / "model.sla"
    model.parent.mkdir()
    shutil.copy(ROOT / "examples" / "spec" / "model.sla", model)
    done = subprocess.run(
        [env_dir / "bin" / "slagraph", "check", str(model)],
        cwd=model.parent,
        env=outside,
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
        env=outside,
        capture_output=True,
        text=True,
        check=True,
    )
    # ... and so do the saved parser tables (syntax/tables.py).
    assert where.stdout.strip() == "True True"


def test_sdist_carries_the_editor_grammar(tmp_path: Path) -> None:
    """The sdist holds tests/, so it holds what tests/test_editor_grammar.py reads."""
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "-o", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    sdist = next(tmp_path.glob("slagraph-*.tar.gz"))
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert {
        "editors/slagraph.tmLanguage.json",
        "editors/tmbundle.py",
        "editors/vscode/package.json",
        "editors/vscode/language-configuration.json",
        "editors/vscode/syntaxes/slagraph.tmLanguage.json",
        "tests/test_editor_grammar.py",
    } <= names
