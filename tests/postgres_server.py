"""A throwaway PostgreSQL server for the tests: initdb in a temporary folder, started on a
free localhost port with password (SCRAM) authentication, stopped and deleted at the end.

The server refuses to run as root, so as root (CI) it runs as the `postgres` user that
the Debian package creates. Without PostgreSQL binaries the tests skip, saying why, except
in CI (CI=true), where .ci/run installs them and their absence is a failure.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import attrs

USER = "slagraph"
PASSWORD = "pa55-w0rd.s3cret"
DATABASE = "slagraph_test"


@attrs.frozen
class Server:
    host: str
    port: int
    socket_dir: str

    def uri(self, password: str = PASSWORD, database: str = DATABASE) -> str:
        return f"postgresql://{USER}:{password}@{self.host}:{self.port}/{database}"

    def admin_uri(self, database: str = DATABASE) -> str:
        """Over the unix socket as the superuser (trust): for setting up tables."""
        return f"postgresql://postgres@/{database}?host={self.socket_dir}&port={self.port}"


def bindir() -> Path | None:
    """Where initdb and pg_ctl are: Debian's versioned folder (newest), else pg_config's."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        folder = Path(out.stdout.strip())
        if (folder / "initdb").exists():
            return folder
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def why_not() -> str | None:
    """Why no server can be started here, or None when one can."""
    if bindir() is None:
        return "no PostgreSQL binaries (initdb, pg_ctl): apt-get install postgresql"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server as"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running() -> Iterator[Server]:
    folder = bindir()
    assert folder is not None
    run_as: dict = {}
    top = Path(tempfile.mkdtemp(prefix="slagraph-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(top, owner.pw_uid, owner.pw_gid)
        run_as = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}
    data = top / "data"
    password_file = top / "password"
    password_file.write_text("unused-superuser-password\n")
    if run_as:
        os.chown(password_file, run_as["user"], run_as["group"])
    port = _free_port()

    def pg(*args: str) -> None:
        subprocess.run(
            [str(folder / args[0]), *args[1:]],
            check=True,
            capture_output=True,
            cwd=top,
            **run_as,
        )

    pg(
        "initdb", "-D", str(data), "-U", "postgres", "--auth-local=trust",
        "--auth-host=scram-sha-256", f"--pwfile={password_file}", "-E", "UTF8",
    )  # fmt: skip
    options = f"-k {top} -c listen_addresses=127.0.0.1 -p {port} -c fsync=off"
    pg("pg_ctl", "-D", str(data), "-o", options, "-l", str(top / "log"), "-w", "start")
    try:
        server = Server("127.0.0.1", port, str(top))
        import adbc_driver_postgresql.dbapi as dbapi

        with dbapi.connect(server.admin_uri("postgres"), autocommit=True) as con:
            with con.cursor() as cur:
                cur.execute(f"CREATE USER {USER} PASSWORD '{PASSWORD}'")
                cur.execute(f"CREATE DATABASE {DATABASE} OWNER {USER}")
        yield server
    finally:
        pg("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(top, ignore_errors=True)
