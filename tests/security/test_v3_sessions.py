"""ASVS V3 (session management): new ids at sign-in, stored sessions deleted at
logout, cookie attributes, idle and absolute timeouts.

No test sleeps: clocks are moved with monkeypatch.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import redis

from app import light_sessions
from app.services.terms import DEFAULT_VERSION
from app.sessions import STARTED_KEY
from tests.conftest import (
    Registration,
    english_client,
)
from tests.support.security import (
    NEW_PASSWORD,
    PASSWORD,
    SESSION_COOKIE,
    SESSION_PREFIX,
    USERNAME,
    Recorder,
    login,
    register,
    session_id,
    signed_in,
    stored_session_ids,
)


# -- 4. sessions ---------------------------------------------------------------------------------
def test_login_issues_a_new_session_id_and_deletes_the_old_one(app, anna):
    Registration(anna).accept_terms()  # a session from before the login
    before = session_id(anna)
    assert before in stored_session_ids(app)
    assert login(anna).status_code == 303
    after = session_id(anna)
    assert after != before
    assert before not in stored_session_ids(app)
    assert after in stored_session_ids(app)


def test_identification_issues_a_new_session_id_and_deletes_the_old_one(app, registration, client):
    registration.accept_terms()
    before = session_id(client)
    assert before in stored_session_ids(app)
    registration.identify("anna.andersson")
    assert session_id(client) != before
    assert before not in stored_session_ids(app)


def test_a_session_id_planted_by_someone_else_is_never_adopted(app, anna):
    anna.set_cookie(SESSION_COOKIE, "planted-by-an-attacker")
    login(anna)
    assert session_id(anna) != "planted-by-an-attacker"
    assert "planted-by-an-attacker" not in stored_session_ids(app)


def test_session_ids_are_long_random_tokens(app):
    ids = set()
    for _ in range(3):
        browser = english_client(app)
        Registration(browser).accept_terms()
        ids.add(session_id(browser))
    assert len(ids) == 3
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43,}", sid) for sid in ids)  # 32 random bytes


def test_the_session_id_never_appears_in_a_url(app, client):
    seen = Recorder(client)
    walk = Registration(client)
    walk.register("anna.andersson", USERNAME, PASSWORD)
    session_ids = {session_id(client)}
    client.post("/logout")
    login(client)
    session_ids.add(session_id(client))
    assert not [url for url in seen.urls for sid in session_ids if sid in url]


def test_the_production_session_cookie_is_host_only_secure_httponly_and_lax(build):
    app = build(ENV="production")
    response = app.test_client().post(
        "/terms/accept", data={"version": DEFAULT_VERSION}, base_url="https://localhost"
    )
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if "session=" in c]
    assert cookie.startswith("__Host-selfie_session=")
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}
    assert "secure" in attributes and "httponly" in attributes
    assert attributes["path"] == "Path=/" and attributes["samesite"] == "SameSite=Lax"
    assert "domain" not in attributes


def test_logout_removes_the_session_from_the_database_store(app, member):
    old = session_id(member)
    assert old in stored_session_ids(app)
    assert member.post("/logout").status_code == 303
    assert old not in stored_session_ids(app)
    replay = english_client(app)
    replay.set_cookie(SESSION_COOKIE, old)
    assert not signed_in(replay)


@pytest.mark.redis
def test_logout_removes_the_session_from_redis(build, redis_url):
    app = build(REDIS_URL=redis_url)
    store = redis.Redis.from_url(redis_url)
    client = register(app)
    old = session_id(client)
    assert store.exists(SESSION_PREFIX + old)
    client.post("/logout")
    assert not store.exists(SESSION_PREFIX + old)
    replay = english_client(app)
    replay.set_cookie(SESSION_COOKIE, old)
    assert not signed_in(replay)
    store.close()


@pytest.mark.redis
def test_a_redis_session_lives_only_as_long_as_the_idle_timeout(build, redis_url):
    app = build(REDIS_URL=redis_url, SESSION_IDLE_MINUTES=5)
    store = redis.Redis.from_url(redis_url)
    client = register(app)
    assert 0 < store.ttl(SESSION_PREFIX + session_id(client)) <= 5 * 60
    store.close()


class SessionClock:
    """Moves the session store's clock (Flask-Session reads ``datetime.utcnow``)."""

    shift = timedelta(0)

    @classmethod
    def advance(cls, **delta) -> None:
        cls.shift += timedelta(**delta)


@pytest.fixture
def session_clock(monkeypatch) -> type[SessionClock]:
    from flask_session.sqlalchemy import sqlalchemy as store_module

    class ShiftedDatetime(datetime):
        @classmethod
        def utcnow(cls):
            return datetime.now(UTC).replace(tzinfo=None) + SessionClock.shift

    monkeypatch.setattr(SessionClock, "shift", timedelta(0))
    monkeypatch.setattr(store_module, "datetime", ShiftedDatetime)
    monkeypatch.setattr(
        light_sessions, "now", lambda: time.time() + SessionClock.shift.total_seconds()
    )
    return SessionClock


def test_an_idle_session_expires_after_the_configured_minutes(build, session_clock):
    app = build(SESSION_IDLE_MINUTES=5)
    client = register(app)
    sid = session_id(client)
    session_clock.advance(minutes=5, seconds=30)
    assert not signed_in(client)
    assert sid not in stored_session_ids(app)


def test_activity_keeps_a_session_alive(build, session_clock):
    app = build(SESSION_IDLE_MINUTES=5)
    client = register(app)
    for _ in range(3):
        session_clock.advance(minutes=4)
        assert signed_in(client)


def test_the_idle_timeout_defaults_to_thirty_minutes(app, member, session_clock):
    session_clock.advance(minutes=29)
    assert signed_in(member)
    session_clock.advance(minutes=30, seconds=30)
    assert not signed_in(member)


def started(client, seconds_ago: int) -> None:
    with client.session_transaction() as session:
        session[STARTED_KEY] = int(time.time()) - seconds_ago


@pytest.mark.parametrize(("age", "still_in"), [(12 * 3600 - 60, True), (12 * 3600 + 60, False)])
def test_a_session_ends_after_twelve_hours_however_active(app, member, age, still_in):
    started(member, age)
    assert signed_in(member) is still_in


@pytest.mark.parametrize(("age", "still_in"), [(59 * 60, True), (61 * 60, False)])
def test_the_absolute_timeout_follows_the_setting(build, age, still_in):
    client = register(build(SESSION_ABSOLUTE_HOURS=1))
    started(client, age)
    assert signed_in(client) is still_in


def test_the_absolute_timeout_removes_the_stored_session(app, member):
    sid = session_id(member)
    started(member, 13 * 3600)
    assert not signed_in(member)
    assert sid not in stored_session_ids(app)


def test_changing_the_password_signs_out_the_accounts_other_sessions(app, registration, client):
    registration.register("anna.andersson", USERNAME, PASSWORD)
    other = english_client(app)
    assert login(other).status_code == 303
    client.post("/logout")
    registration.accept_terms()
    registration.identify("anna.andersson")
    response = client.post(
        "/register/existing", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 303
    assert signed_in(client)
    assert not signed_in(other)
