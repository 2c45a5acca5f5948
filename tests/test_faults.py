"""Faults against real servers: the database stops and returns, Redis goes away and
returns, the broker is unreachable or slow, a worker dies while creating an account.

The portal runs as a real gunicorn master; PostgreSQL and Redis that must go
away are throwaway servers these tests start on free ports (never the shared
ones). Every wait is on a condition with a bounded timeout.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
import time

import pytest
import requests
import sqlalchemy as sa

from tests.conftest import unavailable
from tests.support.portal import count, migrate, portal_env
from tests.support.servers import (
    Gunicorn,
    ThrowawayPostgres,
    ThrowawayRedis,
    postgres_binaries,
    wait_until,
)
from tests.support.walk import Person

pytestmark = pytest.mark.slow
UNAVAILABLE = {
    "sv": "Tjänsten fungerar inte just nu",
    "fi": "Palvelu ei ole juuri nyt käytettävissä",
}


# -- PostgreSQL stops and comes back -------------------------------------------------------
def probe_readiness(base_url: str, attempts: int = 3) -> requests.Response:
    """GET /readyz as a load balancer does: no session, a new connection, and a reset
    connection tried again (CI once saw one reset right after the database stopped;
    what this asserts is the answer, not the transport)."""

    def probe() -> requests.Response:
        return requests.get(f"{base_url}/readyz", timeout=30, headers={"Connection": "close"})

    for _ in range(attempts - 1):
        with contextlib.suppress(requests.ConnectionError):
            return probe()
    return probe()


@pytest.fixture
def own_postgres():
    if postgres_binaries() is None:
        unavailable("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin")
    cluster = ThrowawayPostgres()
    yield cluster
    cluster.destroy()


def test_the_database_going_away_gives_a_translated_503_and_service_returns_without_restart(
    own_postgres, oidc_issuer, tmp_path
):
    url = own_postgres.url
    migrate(tmp_path, oidc_issuer, url)
    with Gunicorn(portal_env(oidc_issuer, url), workers=2) as portal:
        person = Person("fi")
        person.accept_terms(portal.url)
        assert person.identify(portal.url, "anna.andersson").status_code == 303
        token = person.token(f"{portal.url}/register/account")
        own_postgres.stop()
        started = time.monotonic()
        away = person.create_account(portal.url, "anna@example.fi", token=token)
        assert time.monotonic() - started < 15
        assert away.status_code == 503
        assert UNAVAILABLE["fi"] in away.text and "Traceback" not in away.text
        assert probe_readiness(portal.url).status_code == 503
        own_postgres.start()
        assert count(url, "accounts") == 0  # nothing half-created
        wait_until(lambda: person.get(f"{portal.url}/readyz").status_code == 200, 30, "ready")
        master = portal.process.pid
        created = person.create_account(portal.url, "anna@example.fi")
        assert created.status_code == 303, created.text[:500]
        assert count(url, "accounts") == 1
        assert portal.process.pid == master and portal.process.poll() is None


# -- Redis goes away and comes back --------------------------------------------------------
@pytest.fixture
def own_redis():
    try:
        server = ThrowawayRedis()
    except FileNotFoundError as error:
        unavailable(str(error))
    yield server
    server.destroy()


def test_redis_going_away_gives_a_clear_page_no_crash_loop_and_service_returns(
    own_redis, oidc_issuer, tmp_path
):
    url = f"sqlite:///{tmp_path / 'selfie.sqlite3'}"
    migrate(tmp_path, oidc_issuer, url)
    env = portal_env(oidc_issuer, url, own_redis.url, SELFIE_RATELIMIT_ENABLED="true")
    with Gunicorn(env, workers=1) as portal:
        person = Person("sv")
        assert person.accept_terms(portal.url).status_code == 303  # a session in Redis
        workers = portal.worker_pids()
        own_redis.stop()
        away = person.get(f"{portal.url}/terms/")
        assert away.status_code == 503
        assert UNAVAILABLE["sv"] in away.text and "Traceback" not in away.text
        newcomer = Person("sv")
        # A reader stores nothing (the CSRF secret rides in a signed cookie), so the
        # terms still show; the first step that must store a session cannot.
        assert newcomer.get(f"{portal.url}/terms/").status_code == 200
        refused = newcomer.accept_terms(portal.url)
        assert refused.status_code == 503 and UNAVAILABLE["sv"] in refused.text
        assert person.get(f"{portal.url}/healthz").status_code == 200
        ready = person.get(f"{portal.url}/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["redis"] == "failed"
        assert portal.worker_pids() == workers  # no worker died, nothing restarts in a loop
        own_redis.start()
        wait_until(lambda: person.get(f"{portal.url}/readyz").status_code == 200, 30, "ready")
        assert person.get(f"{portal.url}/terms/").status_code == 200
        assert portal.worker_pids() == workers


# -- the broker unreachable or slow --------------------------------------------------------
class SilentServer:
    """Accepts connections and never answers: a broker that hangs."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.held.append(connection)

    def close(self) -> None:
        self.socket.close()
        for connection in self.held:
            connection.close()


@pytest.fixture
def silent_broker():
    server = SilentServer()
    yield f"http://127.0.0.1:{server.port}"
    server.close()


@pytest.fixture
def closed_port_broker():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there any more


@pytest.mark.parametrize("broker", ["silent_broker", "closed_port_broker"])
def test_a_slow_or_unreachable_broker_gives_a_friendly_page_within_the_timeout(
    broker, request, oidc_issuer, tmp_path
):
    issuer = request.getfixturevalue(broker)
    url = f"sqlite:///{tmp_path / 'selfie.sqlite3'}"
    migrate(tmp_path, oidc_issuer, url)
    env = portal_env(issuer, url, SELFIE_OIDC_TIMEOUT="2")
    with Gunicorn(env, workers=1) as portal:
        person = Person("sv")
        person.accept_terms(portal.url)
        started = time.monotonic()
        answer = person.post(f"{portal.url}/register/identify", {"method": "bank"},
                             f"{portal.url}/register/")  # fmt: skip
        elapsed = time.monotonic() - started
        assert answer.status_code == 503
        assert "Identifieringen fungerar inte just nu" in answer.text
        assert elapsed < 2 * 2 + 3, f"took {elapsed:.1f}s with a 2 s broker timeout"


# -- a worker killed in the middle of creating an account ----------------------------------
def test_a_worker_killed_while_creating_an_account_leaves_no_partial_account(
    postgres_url, redis_url, oidc_issuer, tmp_path
):
    migrate(tmp_path, oidc_issuer, postgres_url)
    env = portal_env(oidc_issuer, postgres_url, redis_url)
    engine = sa.create_engine(postgres_url)
    with Gunicorn(env, workers=1) as portal, engine.connect() as blocker:
        person = Person()
        person.accept_terms(portal.url)
        assert person.identify(portal.url, "matti.virtanen").status_code == 303
        # Hold inserts into accounts: the worker's transaction stops in the middle.
        blocker.execute(sa.text("LOCK TABLE accounts IN SHARE MODE"))
        attempt = threading.Thread(
            target=lambda: _ignore_errors(person.create_account, portal.url, "matti@example.fi")
        )
        attempt.start()
        wait_until(lambda: _inserts(engine, waiting=True), 30, "the insert to wait for the lock")
        (worker,) = portal.worker_pids()
        os.kill(worker, signal.SIGKILL)
        attempt.join(timeout=30)
        blocker.rollback()  # release the lock: the killed worker's transaction must not commit
        wait_until(lambda: not _inserts(engine), 30, "the dead worker's insert to end")
        assert count(postgres_url, "accounts") == 0
        wait_until(lambda: portal.worker_pids() not in ([], [worker]), 30, "a new worker")
        wait_until(lambda: person.get(f"{portal.url}/healthz").status_code == 200, 30, "healthz")
        again = person.create_account(portal.url, "matti@example.fi")
        assert again.status_code == 303, again.text[:500]
        assert count(postgres_url, "accounts") == 1
    engine.dispose()


def _inserts(engine, waiting: bool = False) -> int:
    """Inserts into accounts in progress (waiting for a lock, if asked); a fresh
    connection each time, since pg_stat_activity is a snapshot per transaction."""
    query = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND state = 'active' AND query ILIKE 'INSERT INTO accounts%' "
        "AND (wait_event_type = 'Lock' OR NOT :waiting)"
    )
    with engine.connect() as connection:
        return connection.scalar(sa.text(query), {"waiting": waiting})


def _ignore_errors(function, *args) -> None:
    """The worker is killed under this request on purpose: its connection error is expected."""
    with contextlib.suppress(requests.RequestException):
        function(*args)
