"""Writes events.sqlite: `incidents` is a view over a table that was dropped since.
Run from this folder to remake it."""

import sqlite3
from pathlib import Path

db = Path(__file__).with_name("events.sqlite")
db.unlink(missing_ok=True)
con = sqlite3.connect(db)
con.execute("PRAGMA page_size = 1024")
con.execute("CREATE TABLE accounts (account TEXT, fee REAL)")
con.execute("INSERT INTO accounts VALUES ('acme', 100.0)")
con.execute("CREATE TABLE raw_incidents (account TEXT, opened TEXT, resolved TEXT)")
con.execute("CREATE VIEW incidents AS SELECT * FROM raw_incidents")
con.execute("DROP TABLE raw_incidents")
con.commit()
con.close()
