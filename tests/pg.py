"""A real PostgreSQL server for the tests, started in a temporary folder.

Debian's ``postgresql`` package (scripts/system-packages.sh) puts the server binaries in
``/usr/lib/postgresql/<version>/bin``. The server runs as an unprivileged user (``nobody``
when the tests run as root: PostgreSQL refuses to run as root), listens only on a Unix
socket inside its folder (no TCP port at all), and is stopped at teardown.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

SUPERUSER = "evalround"


def server_bin() -> Path | None:
    """The newest installed PostgreSQL server's bin folder, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                   else 0)
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass(frozen=True)
class PostgresServer:
    folder: Path  # holds the data directory, the socket and the log

    def url(self, database: str) -> str:
        """The URL of one database, as a hiring team would pass it to `init --db`."""
        return f"postgresql://{SUPERUSER}@/{database}?host={self.folder}"

    def admin_sql(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host=str(self.folder), user=SUPERUSER, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        name = "t_" + uuid.uuid4().hex[:12]
        self.admin_sql(f"CREATE DATABASE {name}")
        return self.url(name)


def _as_user() -> dict[str, object]:
    """subprocess arguments that run the server as an unprivileged user."""
    if os.geteuid() != 0:
        return {}
    return {"user": 65534, "group": 65534, "extra_groups": []}  # nobody


@contextmanager
def running_server() -> Iterator[PostgresServer]:
    bindir = server_bin()
    if bindir is None:
        if platform.system() == "Linux" and shutil.which("apt-get"):
            pytest.fail("PostgreSQL server binaries are missing (no /usr/lib/postgresql/*/bin/"
                        "initdb): run `bash scripts/system-packages.sh` (make install does)")
        pytest.skip("no PostgreSQL server installed (initdb not found)")
    # Not under pytest's tmp folder: that one is private to root, and the server is not root.
    folder = Path(tempfile.mkdtemp(prefix="evalround-pg-"))
    user = _as_user()
    if user:
        os.chown(folder, 65534, 65534)
    env = {"PATH": f"{bindir}:/usr/bin:/bin", "HOME": str(folder), "LANG": "C.UTF-8",
           "LC_ALL": "C.UTF-8"}
    data = folder / "data"

    def run(*argv: str) -> None:
        proc = subprocess.run([str(bindir / argv[0]), *argv[1:]], env=env, cwd=folder,
                              capture_output=True, text=True, **user)  # type: ignore[call-overload]
        if proc.returncode != 0:
            pytest.fail(f"{' '.join(argv)} failed:\n{proc.stdout}\n{proc.stderr}")

    try:
        run("initdb", "-D", str(data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
            "--no-sync", "--no-instructions")
        options = (f"-c listen_addresses='' -c unix_socket_directories={folder} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=300")
        run("pg_ctl", "-D", str(data), "-l", str(folder / "server.log"), "-o", options,
            "-w", "-t", "60", "start")
        try:
            yield PostgresServer(folder)
        finally:
            run("pg_ctl", "-D", str(data), "-m", "fast", "-w", "-t", "60", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
