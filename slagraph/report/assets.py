"""The report's inline stylesheet and script. Nothing here loads anything: no fonts, no
images, no network. The script only reads the DOM and toggles `hidden`/`open`; it never
writes markup (no innerHTML), so account names stay inert text."""

from __future__ import annotations

from importlib import resources

# A strict policy for the file itself: only the inline style and script run, images may
# only be data: URLs, and nothing else can be fetched (SPEC: self-contained report).
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)


def _read(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


CSS = _read("report.css")
JS = _read("report.js")
