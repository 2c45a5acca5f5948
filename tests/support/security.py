"""What the security tests share: the app builder, signed-in members, quick hashing, clocks.

Fixtures and helpers live here; ``tests/security/conftest.py`` hands the fixtures to pytest.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from flask_babel import force_locale, gettext
from limits import parse_many
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import Account
from app.services.accounts import passwords
from app.services.accounts import service as accounts
from tests.conftest import (
    Registration,
    english_client,
    make_app,
)

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"
USERNAME = "anna@example.fi"
WRONG = "wrong password entirely"
SESSION_COOKIE = "selfie_session"
SESSION_PREFIX = "selfie:session:"
GENERIC_FAILURE = "The username or password is wrong."
LOCKED_MESSAGE = "Too many failed attempts."
CSRF_PAGE = "Your session has expired"


@pytest.fixture
def build(settings):
    """``make_app`` with overrides; every app built here is disposed of afterwards."""
    built = []

    def factory(**overrides):
        application = make_app(settings | overrides)
        built.append(application)
        return application

    yield factory
    for application in built:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


def login(client, username=USERNAME, password=PASSWORD, **kwargs):
    return client.post("/login", data={"username": username, "password": password}, **kwargs)


def signed_in(client) -> bool:
    return client.get("/account/services").status_code == 200


def session_id(client) -> str:
    return client.get_cookie(SESSION_COOKIE).value


def stored_session_ids(app) -> set[str]:
    with app.app_context():
        rows = db.session.execute(text("SELECT session_id FROM sessions")).scalars()
        return {row.removeprefix(SESSION_PREFIX) for row in rows}


def account_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Account.id)))


def allowed(limit: str) -> int:
    """How many requests the first (shortest) window of a limit string lets through."""
    return parse_many(limit)[0].amount


def address(n: int) -> dict[str, str]:
    return {"REMOTE_ADDR": f"198.51.100.{n % 250 + 1}"}


def register(app, sub="anna.andersson", username=USERNAME):
    """A new browser that walks the registration; returns it signed in."""
    client = english_client(app)
    response = Registration(client).register(sub, username, PASSWORD)
    assert response.status_code == 303, client.get("/register/").text
    return client


@pytest.fixture
def member(registration, client):
    """Anna, registered through the real flow and signed in on ``client``."""
    response = registration.register("anna.andersson", USERNAME, PASSWORD)
    assert response.status_code == 303
    return client


@pytest.fixture
def anna(member):
    """Anna registered, then logged out: the login form is in front of her."""
    member.post("/logout")
    member.get("/")  # shows (and so removes) the "You have logged out" message
    return member


@pytest.fixture
def quick_hashing(monkeypatch):
    """Cheap argon2 parameters, for tests of counting and locking (not of the hash itself)."""
    quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    dummy = quick.hash("selfie-timing-equaliser")
    monkeypatch.setattr(passwords, "hasher", lambda: quick)
    monkeypatch.setattr(passwords, "_dummy_hash", lambda _current: dummy)


def translated(app, language: str, msgid: str) -> str:
    with app.test_request_context(), force_locale(language):
        return gettext(msgid)


class Clock:
    """Stands in for ``utcnow`` in the account service."""

    def __init__(self):
        self.now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(accounts, "utcnow", fake)
    return fake


class Recorder:
    """Keeps every URL, header and body a test client saw."""

    def __init__(self, client):
        self.texts: list[str] = []
        self.urls: list[str] = []
        self._open = client.open
        client.open = self.open

    def open(self, *args, **kwargs):
        response = self._open(*args, **kwargs)
        self.urls += [response.request.url, response.headers.get("Location", "")]
        self.texts.append(response.request.url)
        self.texts.extend(f"{name}: {value}" for name, value in response.headers.items())
        self.texts.append(response.get_data(as_text=True))
        return response
