"""Shared fixtures: an app per test on its own database, a real OIDC provider over HTTP.

The identification provider is oidc-provider-mock, served on loopback in a
thread. PostgreSQL and Redis fixtures skip (with the reason) when the
servers cannot be reached; ``.ci/run`` makes sure CI reaches them.

With ``SELFIE_TEST_DATABASE_URL`` set (a PostgreSQL server URL, e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``), every app a test
builds gets a throwaway database on that server instead of a SQLite file
(``make test-postgres``); it is created when the test first asks for it and
dropped after the test.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from oidc_provider_mock import User, run_server_in_thread

from app import create_app
from app.extensions import db
from app.services.customers.demo import FEATURED

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
#: When set, the suite runs on throwaway databases on this PostgreSQL server.
TEST_DATABASE_URL = os.environ.get("SELFIE_TEST_DATABASE_URL", "")
# Parallel runs (several checkouts on one machine) pick their own database number.
REDIS_URL = os.environ.get("SELFIE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PERSONS = {p.sub: p for p in FEATURED}


# -- the identification provider -------------------------------------------
@pytest.fixture(scope="session")
def oidc_issuer() -> Iterator[str]:
    users = [
        User(
            sub=p.sub,
            claims={"hetu": p.code, "given_name": p.given_name, "family_name": p.family_name},
        )
        for p in FEATURED
    ]
    with run_server_in_thread(require_nonce=True, user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


def set_person_claims(issuer: str, sub: str, claims: dict) -> None:
    """Give a (possibly new) person claims at the mock provider, over its HTTP API."""
    response = requests.put(f"{issuer}/users/{sub}", json=claims, timeout=5)
    response.raise_for_status()


# -- the test database ---------------------------------------------------------
_throwaway_databases: list[tuple[str, str]] = []  # (server URL, name) made during this test


def create_database(server_url: str) -> str:
    """A new empty database on the PostgreSQL server at ``server_url``; returns its URL."""
    import sqlalchemy as sa

    name = f"selfie_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        unavailable(f"PostgreSQL not reachable at {admin.url.host}:{admin.url.port}: {error.orig}")
    finally:
        admin.dispose()
    _throwaway_databases.append((server_url, name))
    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(autouse=True)
def _drop_throwaway_databases():
    yield
    if _throwaway_databases:
        # Close every pool first: a test may leave an app's engine open, and a dropped
        # database's connections would otherwise be found unclosed by the garbage collector.
        for engines in list(db._app_engines.values()):
            for engine in engines.values():
                engine.dispose()
    while _throwaway_databases:
        drop_database(*_throwaway_databases.pop())


def test_database_url(tmp_path: Path) -> str:
    """SQLite in the test's folder, or a throwaway database (SELFIE_TEST_DATABASE_URL)."""
    if TEST_DATABASE_URL:
        return create_database(TEST_DATABASE_URL)
    return f"sqlite:///{tmp_path / 'selfie.sqlite3'}"


test_database_url.__test__ = False  # a helper, not a test


# -- the portal --------------------------------------------------------------
def base_settings(tmp_path: Path, issuer: str) -> dict[str, object]:
    database = test_database_url(tmp_path)
    if database.startswith("postgresql"):
        # No pool: a test's apps come and go, and pooled connections to a database
        # dropped after the test would outlive it.
        from sqlalchemy.pool import NullPool

        engine = {"SQLALCHEMY_ENGINE_OPTIONS": {"poolclass": NullPool}}
    else:
        engine = {}
    return engine | {
        "ENV": "development",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-" + uuid.uuid4().hex,
        "IDENTITY_KEY": "test-identity-key",
        "DATABASE_URL": database,
        "IDENTITY_ALLOW_TEMPORARY": True,
        "OIDC_ISSUER": issuer,
        "OIDC_CLIENT_ID": "selfie-test",
        "OIDC_CLIENT_SECRET": "selfie-test-secret",
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "localhost",
    }


_APPS_BUILT: list = []


def make_app(settings: dict[str, object]):
    """Build an app and its schema through the real migrations."""
    from flask_migrate import upgrade

    application = create_app(settings)
    with application.app_context():
        upgrade()
    _APPS_BUILT.append(application)
    return application


@pytest.fixture(autouse=True)
def _close_brokers():
    """Each app owns its broker (and so its discovery cache and HTTP connections):
    a fresh app starts afresh, and its connections are closed when the test ends."""
    yield
    while _APPS_BUILT:
        broker = _APPS_BUILT.pop().extensions.get("selfie_broker")
        if hasattr(broker, "close"):
            broker.close()


@pytest.fixture
def settings(tmp_path, oidc_issuer) -> dict[str, object]:
    return base_settings(tmp_path, oidc_issuer)


@pytest.fixture
def app(settings):
    """The portal on its own SQLite file. No app context stays pushed during a test:
    requests must not share ``g`` (Flask-Login and Flask-Babel cache there), so a
    test that reads the database opens ``with app.app_context():`` itself."""
    application = make_app(settings)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def english_client(app):
    """A browser that chose English: assertions read in the msgid language.

    Tests about Swedish (the default) or Finnish set the language themselves.
    """
    test_client = app.test_client()
    test_client.set_cookie("selfie_lang", "en")
    return test_client


@pytest.fixture
def client(app):
    return english_client(app)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# -- real servers --------------------------------------------------------------
def unavailable(reason: str):
    """Skip with the reason; in CI (SELFIE_REQUIRE_SERVICES=1) a missing server fails."""
    if os.environ.get("SELFIE_REQUIRE_SERVICES"):
        pytest.fail(f"required for CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def postgres_url() -> str:
    """A fresh PostgreSQL database for one test on 127.0.0.1:5432, dropped afterwards."""
    return create_database(TEST_DATABASE_URL or POSTGRES_ADMIN_URL)


@pytest.fixture
def redis_url() -> Iterator[str]:
    import redis

    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError as error:
        unavailable(f"Redis not reachable at 127.0.0.1:6379: {error}")
    connection.flushdb()
    yield REDIS_URL
    connection.flushdb()
    connection.close()


# -- identity codes in what a test sees ----------------------------------------------------
def code_leaks(texts, codes) -> list[str]:
    """Where a full code, or the part after its birth date, shows in ``texts``.

    The report names each finding masked (``150385-****`` in text 3), so even
    a failing test prints no identity code.
    """
    from app.services.identity_codes import mask

    found = []
    for code in codes:
        tail = re.compile(rf"(?<!\d){re.escape(code[7:])}(?![0-9A-Za-z])")
        for index, item in enumerate(texts):
            if code in item or code.lower() in item or tail.search(item):
                found.append(
                    f"{mask(code)} in text {index}: {mask(tail.sub('****', item))[:200]!r}"
                )
    return found


# -- data ----------------------------------------------------------------------------
def import_demo_register(app, directory: Path):
    """The generated demo register, imported through the real importer."""
    from app.services.customers.demo import write_demo_register
    from app.services.customers.importer import import_register

    customers_csv, services_csv, _ = write_demo_register(directory)
    with app.app_context():
        return import_register(
            customers_csv,
            services_csv,
            identity_key=app.config["IDENTITY_KEY"],
            allow_temporary=True,
        )


@pytest.fixture
def demo_register(app, tmp_path):
    return import_demo_register(app, tmp_path / "register")


def audit_events(app, event: str | None = None):
    """The audit trail's rows (optionally of one event), detached from the session."""
    from sqlalchemy import select

    from app.models import AuditEvent

    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.id)
        if event is not None:
            query = query.where(AuditEvent.event == event)
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


def refused_by(app) -> str | None:
    """The check that refused the last identification (its audit detail), or None."""
    failures = audit_events(app, "identification_failed")
    return failures[-1].detail if failures else None


# -- walking the registration with the Flask client ----------------------------
CSRF_PATTERN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF_PATTERN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Registration:
    """Drives the registration steps through the Flask test client and the real provider."""

    def __init__(self, client):
        self.client = client

    def accept_terms(self):
        page = self.client.get("/terms/")
        version = re.search(r'name="version" type="hidden" value="([^"]+)"', page.text).group(1)
        return self.client.post("/terms/accept", data={"version": version})

    def start_identification(self, method: str = "bank") -> str:
        response = self.client.post("/register/identify", data={"method": method})
        assert response.status_code == 303, response.text
        return response.headers["Location"]

    def authorize_at_provider(self, authorize_url: str, sub: str | None, deny=False) -> str:
        """Act as the person at oidc-provider-mock; returns the callback path and query."""
        data = {"action": "deny"} if deny else {"sub": sub}
        answer = requests.post(authorize_url, data=data, allow_redirects=False, timeout=5)
        assert answer.status_code == 302, answer.text
        location = answer.headers["Location"]
        assert location.startswith("http://localhost/register/callback"), location
        return location.removeprefix("http://localhost")

    def identify(self, sub: str, method: str = "bank"):
        callback = self.authorize_at_provider(self.start_identification(method), sub)
        return self.client.get(callback)

    def create_account(self, username: str, password: str = "correct horse battery"):
        return self.client.post(
            "/register/account",
            data={"username": username, "password": password, "confirm": password},
        )

    def come_back_identified(self, sub: str):
        """Log out, then walk terms and identification again (an existing person)."""
        self.client.post("/logout")
        self.accept_terms()
        return self.identify(sub)

    def register(self, sub: str, username: str, password: str = "correct horse battery"):
        self.accept_terms()
        self.identify(sub)
        return self.create_account(username, password)


@pytest.fixture
def registration(client) -> Registration:
    return Registration(client)
