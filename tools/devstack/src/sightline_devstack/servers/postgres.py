"""PostgreSQL from Debian's packages, as a private cluster inside the state folder.

Not Debian's `main` cluster: ours is initialised under `<state>/postgres/data`, listens only on
loopback and keeps its socket in the state folder, so it coexists with a system PostgreSQL.
Postgres refuses to run as root, so as root we run it as the `postgres` OS user.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import re
import signal
import stat
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql

from sightline_devstack import ports
from sightline_devstack.errors import InstallError, PlatformError
from sightline_devstack.servers.base import Launch, Server

_PG_ROOT = Path("/usr/lib/postgresql")
_SUPERUSER = "postgres"
_MAX_SOCKET_PATH = 107


def find_pg_bin() -> Path:
    """The bin folder of the newest PostgreSQL major installed under /usr/lib/postgresql."""
    candidates = [
        p / "bin"
        for p in _PG_ROOT.glob("*")
        if re.fullmatch(r"\d+", p.name) and (p / "bin" / "postgres").exists()
    ]
    if not candidates:
        raise InstallError("PostgreSQL server binaries not found under /usr/lib/postgresql")
    return max(candidates, key=lambda b: int(b.parent.name))


def unreachable_ancestor(path: Path, user: str) -> Path | None:
    """The first folder above `path` that `user` may not enter, or None if all are enterable.

    The server runs as `postgres` while the state folder belongs to root; a private parent
    (pytest's 0700 tmp folders, a 0700 home) would otherwise surface as a cryptic initdb error.
    """
    entry = pwd.getpwnam(user)
    gids = {entry.pw_gid, *os.getgrouplist(user, entry.pw_gid)}
    for folder in reversed(path.parents):
        info = folder.stat()
        if info.st_uid == entry.pw_uid:
            ok = bool(info.st_mode & stat.S_IXUSR)
        elif info.st_gid in gids:
            ok = bool(info.st_mode & stat.S_IXGRP)
        else:
            ok = bool(info.st_mode & stat.S_IXOTH)
        if not ok:
            return folder
    return None


class Postgres(Server):
    """A private PostgreSQL cluster with the project's role and database."""

    name = "postgres"
    # SIGINT is "fast shutdown": disconnect clients, then stop. SIGTERM would wait for every
    # client (a developer's psql, a service's pool) to hang up first.
    stop_signal = signal.SIGINT
    stop_timeout_s = 30.0

    @property
    def data_dir(self) -> Path:
        """PGDATA."""
        return self.dir / "data"

    @property
    def socket_dir(self) -> Path:
        """The unix socket folder, used by devstack itself for superuser provisioning.

        Inside the state folder unless that makes the socket path longer than the kernel's
        sun_path limit (107 bytes), in which case a short folder in /tmp named after it.
        """
        inside = self.dir / "run"
        if len(str(inside / ".s.PGSQL.65535")) <= _MAX_SOCKET_PATH:
            return inside
        digest = hashlib.sha256(str(self.dir).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"sightline-pg-{digest}"

    @property
    def os_user(self) -> str | None:
        """Who the server runs as: `postgres` when we are root, else ourselves."""
        return _SUPERUSER if os.geteuid() == 0 else None

    def wanted_ports(self) -> dict[str, int]:
        return {"sql": self.settings.postgres_port}

    def choose_ports(self, wanted: dict[str, int]) -> dict[str, int]:
        # Debian's own cluster (or a colleague's) may sit on 5432; we then take the next port
        # and publish it in platform.env rather than fight over it.
        port = ports.next_free_port(wanted["sql"], self.settings.host)
        if port != wanted["sql"]:
            self.say(f"postgres: port {wanted['sql']} is taken; using {port}")
        return {"sql": port}

    def _own(self, path: Path) -> None:
        if self.os_user is not None:
            entry = pwd.getpwnam(self.os_user)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def prepare(self, chosen_ports: dict[str, int]) -> None:
        if self.os_user is not None:
            blocked = unreachable_ancestor(self.dir, self.os_user)
            if blocked is not None:
                raise PlatformError(
                    f"postgres: the {self.os_user} user cannot enter {blocked} (mode"
                    f" {blocked.stat().st_mode & 0o777:o}); put SIGHTLINE_STATE_DIR somewhere"
                    " world-traversable"
                )
        for folder in (self.socket_dir, self.data_dir):
            folder.mkdir(parents=True, exist_ok=True)
            self._own(folder)
        self.data_dir.chmod(0o700)
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.say("postgres: initdb")
        result = subprocess.run(
            [
                str(find_pg_bin() / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                _SUPERUSER,
                "-E",
                "UTF8",
                "--no-locale",
                # The superuser only over our private socket; everyone else with a password.
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
            ],
            capture_output=True,
            text=True,
            check=False,
            user=self.os_user,
            group=self.os_user,
            extra_groups=[] if self.os_user else None,
            cwd=self.dir,
        )
        if result.returncode != 0:
            raise PlatformError(f"postgres: initdb failed:\n{result.stdout}{result.stderr}")

    def launch(self, chosen_ports: dict[str, int]) -> Launch:
        return Launch(
            argv=[
                str(find_pg_bin() / "postgres"),
                "-D",
                str(self.data_dir),
                "-p",
                str(chosen_ports["sql"]),
                "-c",
                f"listen_addresses={self.settings.host}",
                "-c",
                f"unix_socket_directories={self.socket_dir}",
                "-c",
                "logging_collector=off",
                "-c",
                "max_connections=200",
            ],
            user=self.os_user,
            cwd=self.dir,
        )

    def _superuser(self, chosen_ports: dict[str, int]) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host=str(self.socket_dir),
            port=chosen_ports["sql"],
            user=_SUPERUSER,
            dbname="postgres",
            connect_timeout=3,
            autocommit=True,
        )

    def is_ready(self, chosen_ports: dict[str, int]) -> bool:
        try:
            with self._superuser(chosen_ports) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error:
            return False
        return True

    def provision(self, chosen_ports: dict[str, int]) -> None:
        s = self.settings
        with self._superuser(chosen_ports) as conn:
            role_exists = conn.execute(
                "SELECT 1 FROM pg_roles WHERE rolname = %s", (s.db_user,)
            ).fetchone()
            if role_exists is None:
                # CREATEDB so test suites can make throwaway databases of their own.
                conn.execute(
                    sql.SQL("CREATE ROLE {} LOGIN CREATEDB PASSWORD {}").format(
                        sql.Identifier(s.db_user), sql.Literal(s.db_password)
                    )
                )
                self.say(f"postgres: created role {s.db_user}")
            db_exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (s.db_name,)
            ).fetchone()
            if db_exists is None:
                conn.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(
                        sql.Identifier(s.db_name), sql.Identifier(s.db_user)
                    )
                )
                self.say(f"postgres: created database {s.db_name}")

    def is_healthy(self, chosen_ports: dict[str, int]) -> bool:
        s = self.settings
        try:
            with psycopg.connect(
                host=s.host,
                port=chosen_ports["sql"],
                user=s.db_user,
                password=s.db_password,
                dbname=s.db_name,
                connect_timeout=3,
            ) as conn:
                row = conn.execute("SELECT 1").fetchone()
        except psycopg.Error:
            return False
        return row == (1,)
