"""Writes events.sqlite: a valid header and schema, the incidents table's page overwritten
(what a disk fault or a partial copy leaves). Run from this folder to remake it."""

import sqlite3
from pathlib import Path

db = Path(__file__).with_name("events.sqlite")
db.unlink(missing_ok=True)
con = sqlite3.connect(db)
con.execute("PRAGMA page_size = 1024")
con.execute("CREATE TABLE accounts (account TEXT, fee REAL)")
con.execute("INSERT INTO accounts VALUES ('acme', 100.0)")
con.execute("CREATE TABLE incidents (account TEXT, opened TEXT, resolved TEXT)")
con.execute("INSERT INTO incidents VALUES ('acme', '2026-01-05T10:00:00Z', NULL)")
(root,) = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'incidents'").fetchone()
con.commit()
con.close()
data = bytearray(db.read_bytes())
start = (root - 1) * 1024
data[start : start + 1024] = b"\xa5" * 1024
db.write_bytes(bytes(data))
