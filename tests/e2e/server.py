"""A real `hub serve` in a subprocess: its own process group, a free loopback port, /readyz."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import requests

from adapters.settings import Settings
from adapters.storage import open_application
from tests.conftest import ADMIN_TOKEN, HUB_ADMIN
from tests.stores import store_settings

HUB = Path(sys.executable).with_name("hub")


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def hub_env(settings: Settings, **extra: str) -> dict[str, str]:
    """This process's environment without its HUB_* variables, plus the store's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATABASE_URL=settings.database_url, HUB_CIPHER_KEY=settings.cipher_key or "",
               HUB_ADMIN_TOKEN=ADMIN_TOKEN, **extra)
    return env


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    """Poll `condition` until it holds or `timeout` seconds pass; whether it held."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def group_members(pgid: int) -> list[int]:
    """Pids of the live (not zombie) processes in a process group, from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(stat.parent.name))
    return members


class HubProcess:
    """`hub serve` as a subprocess; `kill()` sends SIGKILL to its whole process group."""

    def __init__(self, env: dict[str, str], workdir: Path, *, workers: int = 3,
                 threads: int = 4, args: tuple[str, ...] = ()) -> None:
        self.env, self.workdir = env, workdir
        self.argv = [str(HUB), "serve", "--host", "127.0.0.1", "--workers", str(workers),
                     "--threads", str(threads), *args]
        self.log_path = workdir / f"hub-serve-{time.monotonic_ns()}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def start(self, timeout: float = 60.0) -> HubProcess:
        """Start on a free port and wait until /readyz answers 200."""
        self.port = free_port()
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [*self.argv, "--port", str(self.port)], env=self.env, cwd=self.workdir,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"hub serve exited ({self.process.returncode}):\n{self.log()}")
            try:
                if requests.get(self.url("/readyz"), timeout=10).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet, or its workers are still booting
            time.sleep(0.1)
        raise TimeoutError(f"hub serve not ready after {timeout}s:\n{self.log()}")

    def kill(self) -> None:
        """kill -9 of the whole process group (main process, workers, jobs); waits until it is gone."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)
        self.wait_gone(30)

    def wait_gone(self, timeout: float) -> bool:
        """Wait until no process of the group runs; whether that happened in time."""
        return wait_for(lambda: not self.group_alive(), timeout)

    def terminate(self, timeout: float = 60.0) -> int:
        """SIGTERM to the main process only, as a service manager sends it; its exit status."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def group_alive(self) -> bool:
        """Whether any process of the group is still running (zombies do not count)."""
        assert self.process is not None
        return bool(group_members(self.process.pid))

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_records(self) -> list[dict[str, Any]]:
        """The JSON lines of the server's output (other lines are skipped)."""
        records = []
        for line in self.log().splitlines():
            if line.startswith("{"):
                records.append(json.loads(line))
        return records

    def __enter__(self) -> Self:
        return self.start() if self.process is None else self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()
        elif self.process is not None and self.group_alive():
            os.killpg(self.process.pid, signal.SIGKILL)
            self.wait_gone(30)


def db_init(settings: Settings, workdir: Path) -> None:
    """`hub db init`, as an operator runs it before the first `hub serve`."""
    subprocess.run([str(HUB), "db", "init"], env=hub_env(settings), cwd=workdir, check=True,
                   capture_output=True, timeout=120)


def seed_parties(settings: Settings, suffix: str) -> dict[str, str]:
    """Two agencies with an admin token each; returns the tokens."""
    application = open_application(settings)
    try:
        tokens = {}
        for role in ("referrer", "receiver"):
            slug = f"{role}-{suffix}"
            application.register_agency(HUB_ADMIN, id=slug, name=f"{role} {suffix}",
                                        kind="other", jurisdiction=f"test/{role}")
            tokens[role] = application.issue_token(HUB_ADMIN, agency=slug, user="u1",
                                                   role="admin")
            tokens[f"{role}_agency"] = slug
        return tokens
    finally:
        application.close()


@contextmanager
def seeded_store(kind: str, tmp_path: Path) -> Iterator[tuple[Settings, dict[str, str]]]:
    """A fresh, initialised store of `kind` with two parties."""
    with store_settings(kind, tmp_path) as settings:
        db_init(settings, tmp_path)
        yield settings, seed_parties(settings, os.urandom(4).hex())


def bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


def referral_body(to_agency: str, name: str = "Zhang Wei", id_number: str | None = None) -> dict[str, Any]:
    """A valid submission to `to_agency`."""
    subject: dict[str, Any] = {"name": name}
    if id_number:
        subject["id_number"] = id_number
    return {"to_agency": to_agency, "category": "family_education_guidance", "urgency": "urgent",
            "reason": "Guardian asks for family education guidance.", "subject": subject,
            "consent": {"basis": "guardian_consent"}}
