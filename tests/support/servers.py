"""Real servers a test starts and stops itself: gunicorn masters, a throwaway
PostgreSQL cluster and a throwaway Redis, each on a free loopback port.

Never the shared servers on 5432/6379: a fault test stops its own. Waiting is
always on a condition (a port answering, a page served) with a bounded
timeout, never a fixed sleep.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from glob import glob
from pathlib import Path

import requests

REPOSITORY = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable[[], object], timeout: float = 20, what: str = "") -> object:
    """Poll ``condition`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = condition()
        except (OSError, requests.RequestException):
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout}s waiting for {what or condition}")
        time.sleep(0.05)  # polling interval of a bounded wait, not a synchronisation sleep


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Gunicorn:
    """One gunicorn master (as one portal host would run it) on its own port."""

    def __init__(self, env: dict[str, str], workers: int = 1, python: str = sys.executable,
                 cwd: Path | None = None, extra: tuple[str, ...] = ()):  # fmt: skip
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(tempfile.mkstemp(prefix="selfie-gunicorn-", suffix=".log")[1])
        command = [
            python, "-m", "gunicorn", "-c", "python:app.gunicorn_config",
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers), *extra,
            "app:create_app()",
        ]  # fmt: skip
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("SELFIE_", "GUNICORN_"))}
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, env=clean | env, cwd=cwd or REPOSITORY, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        try:
            wait_until(self._answers, 30, f"gunicorn on {self.port}")
        except TimeoutError:
            self.stop()
            raise AssertionError(f"gunicorn did not start:\n{self.output()}") from None

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{self.output()}")
        return requests.get(f"{self.url}/healthz", timeout=2).status_code == 200

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if os.environ.get("SELFIE_KEEP_SERVER_LOGS") is None:
            self.log.unlink(missing_ok=True)

    def __enter__(self) -> Gunicorn:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; the tests run as root in CI."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def postgres_binaries() -> Path | None:
    found = sorted(glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


class ThrowawayPostgres:
    """A PostgreSQL cluster of its own in a temporary folder (initdb, pg_ctl) on a free port."""

    def __init__(self):
        binaries = postgres_binaries()
        if binaries is None:
            raise FileNotFoundError("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
        self.bin = binaries
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="selfie-pg-"))
        self.data = self.folder / "data"
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8")  # fmt: skip
        self.start()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(_as_postgres_user([str(self.bin / tool), *args]), check=True,
                       capture_output=True, timeout=60)  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l",
                  str(self.folder / "server.log"), "-w", "-t", "30", "start")  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "30", "stop")

    def running(self) -> bool:
        return port_open(self.port)

    def destroy(self) -> None:
        if self.running():
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class ThrowawayRedis:
    """A redis-server of its own on a free port, without persistence."""

    def __init__(self):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise FileNotFoundError("redis-server is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(lambda: port_open(self.port), 20, f"redis-server on {self.port}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def destroy(self) -> None:
        self.stop()
