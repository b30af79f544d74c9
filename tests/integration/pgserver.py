"""A private PostgreSQL cluster on 127.0.0.1 for the integration tests and bench/scale.py.

Debian's `postgresql` package (installed by .ci/setup) gives the server binaries under
/usr/lib/postgresql/<major>/bin; the system cluster is not used. `initdb` refuses to run as
root, so as root the cluster is made and run as the `postgres` user in a world-readable temp
dir. fsync is off: the tests check our transactions, not the disk.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

LOOPBACK = "127.0.0.1"
USER = "caseconsultant"


def _bindir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


def postgres_available() -> bool:
    return _bindir() is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


class PgCluster:
    """`PgCluster().start()`; `url(db)` for a connection URL; `new_database()` for a fresh one."""

    def __init__(self) -> None:
        bindir = _bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL server binaries are missing: apt-get install postgresql "
                               "(.ci/setup does this)")
        self.bin = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="cc-pg."))
        self.data = self.dir / "data"
        self.sock = self.dir / "sock"
        self.log = self.dir / "postgres.log"
        self.port = _free_port()
        self._as_root = os.geteuid() == 0

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self._as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120)

    def start(self) -> PgCluster:
        if not self.data.exists():
            self.sock.mkdir()
            os.chmod(self.dir, 0o755)
            if self._as_root:
                pg = pwd.getpwnam("postgres")
                for p in (self.dir, self.sock):
                    os.chown(p, pg.pw_uid, pg.pw_gid)
            self._run("initdb", "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8",
                      "--locale=C", "--no-sync")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o",
                  f"-p {self.port} -k {self.sock} -c listen_addresses={LOOPBACK} -c fsync=off "
                  "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@{LOOPBACK}:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database: one per test keeps tests independent."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:16]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def cleanup(self) -> None:
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
