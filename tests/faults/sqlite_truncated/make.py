"""Writes events.sqlite: a valid database cut after its first 2 KiB (an interrupted
copy). Run from this folder to remake it."""

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
con.commit()
con.close()
db.write_bytes(db.read_bytes()[:2048])
