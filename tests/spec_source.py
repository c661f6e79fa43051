"""Where the tests read the SPEC: the live one beside the checkout (../shared/SPEC.md)
when it is there, else the copy in tests/fixtures/SPEC.md, so that a clean clone tests
every SPEC example too. `test_format.py` checks that the copy equals the live SPEC
whenever both are present."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIVE_SPEC = ROOT.parent / "shared" / "SPEC.md"
SPEC_COPY = ROOT / "tests" / "fixtures" / "SPEC.md"
SPEC = LIVE_SPEC if LIVE_SPEC.is_file() else SPEC_COPY
