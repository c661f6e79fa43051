"""Build slagraph.tmbundle for editors that read TextMate bundles rather than VS Code
extensions: TextMate 2, Sublime Text, JetBrains IDEs (Settings → Editor → TextMate Bundles).

Those read grammars as XML property lists, so the bundle is made from the one JSON grammar
beside this file instead of keeping a second copy by hand:

    python editors/tmbundle.py OUT_DIR      # writes OUT_DIR/slagraph.tmbundle
"""

from __future__ import annotations

import json
import plistlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
GRAMMAR = HERE / "slagraph.tmLanguage.json"
BUNDLE_UUID = "0b9f3f0e-2c55-4f0e-9a57-3c1d9b6e8d20"
COMMENTS_UUID = "a3d6e1f4-7b8c-4e2d-9f10-6c5b4a3e2d1f"


def build(out_dir: Path) -> Path:
    """Write OUT_DIR/slagraph.tmbundle and return its path."""
    grammar = json.loads(GRAMMAR.read_text(encoding="utf-8"))
    grammar.pop("$schema", None)  # a JSON-editor hint, meaningless in a plist
    bundle = out_dir / "slagraph.tmbundle"
    (bundle / "Syntaxes").mkdir(parents=True, exist_ok=True)
    (bundle / "Preferences").mkdir(exist_ok=True)
    info = {
        "name": "slagraph",
        "uuid": BUNDLE_UUID,
        "description": "The slagraph SLA language (*.sla)",
    }
    # TM_COMMENT_START is what "Toggle Comment" inserts, in TextMate and Sublime Text.
    comments = {
        "name": "Comments",
        "scope": grammar["scopeName"],
        "settings": {"shellVariables": [{"name": "TM_COMMENT_START", "value": "# "}]},
        "uuid": COMMENTS_UUID,
    }
    for path, value in [
        (bundle / "info.plist", info),
        (bundle / "Syntaxes" / "slagraph.tmLanguage", grammar),
        (bundle / "Preferences" / "Comments.tmPreferences", comments),
    ]:
        with path.open("wb") as f:
            plistlib.dump(value, f)
    return bundle


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python editors/tmbundle.py OUT_DIR")
    print(build(Path(sys.argv[1])))
