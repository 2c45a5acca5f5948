"""What a page writes: nothing for a reader, at most one session refresh a minute signed in.

Counted for real: every SQL statement the engine sends (SQLAlchemy events) and
every command Redis receives on the test database (MONITOR). The numbers are
the issue's targets; a page that writes more fails here.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from app import light_sessions
from app.extensions import db
from tests.conftest import Registration, csrf_token, english_client, make_app
from tests.support.writes import redis_commands, sql_statements

READER_PAGES = ["/", "/login", "/terms/"]
SIGNED_IN_PAGES = ["/account/services", "/account/details"]
PASSWORD = "correct horse battery"
USERNAME = "anna@example.com"


def stored_sessions(app) -> int:
    with app.app_context():
        return db.session.scalar(text("SELECT count(*) FROM sessions"))


def registered(app):
    """Anna, registered through the real flow (CSRF off for the helper), then CSRF on."""
    client = english_client(app)
    assert Registration(client).register("anna.andersson", USERNAME, PASSWORD).status_code == 303
    client.post("/logout")
    app.config["WTF_CSRF_ENABLED"] = True
    return english_client(app)


@pytest.fixture
def portal(settings):
    application = make_app(settings)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def redis_portal(settings, redis_url):
    application = make_app(settings | {"REDIS_URL": redis_url})
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def clock(monkeypatch, seconds: float) -> None:
    """Move the refresh clock (the stored expiry itself needs no moving for these counts)."""
    monkeypatch.setattr(light_sessions, "now", lambda: time.time() + seconds)


def test_a_reader_writes_nothing_and_stores_no_session(portal):
    client = registered(portal)
    before = stored_sessions(portal)
    with portal.app_context(), sql_statements(db.engine) as sql:
        for page in READER_PAGES * 2:
            assert client.get(page).status_code == 200, page
    assert sql.writes == []
    assert stored_sessions(portal) == before == 0
    assert client.get_cookie("selfie_session") is None


def test_the_login_form_stays_csrf_protected_without_a_stored_session(portal):
    client = registered(portal)
    token = csrf_token(client.get("/login").text)
    forged = english_client(portal).post(
        "/login", data={"username": USERNAME, "password": PASSWORD}
    )
    assert forged.status_code == 400
    other = english_client(portal)
    other.get("/login")
    stolen = other.post(
        "/login", data={"username": USERNAME, "password": PASSWORD, "csrf_token": token}
    )
    assert stolen.status_code == 400, "a token is only good with its own signed cookie"
    assert stored_sessions(portal) == 0
    response = client.post(
        "/login", data={"username": USERNAME, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
    assert stored_sessions(portal) == 1, "the server-side session starts at login"
    assert client.get_cookie("selfie_session_light") is None


def test_a_tampered_light_cookie_is_ignored(portal):
    client = registered(portal)
    token = csrf_token(client.get("/login").text)
    cookie = client.get_cookie("selfie_session_light")
    client.set_cookie("selfie_session_light", cookie.value[:-2] + "xx")
    response = client.post(
        "/login", data={"username": USERNAME, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 400


def sign_in(app):
    client = registered(app)
    token = csrf_token(client.get("/login").text)
    response = client.post(
        "/login", data={"username": USERNAME, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
    return client


def test_a_signed_in_page_writes_nothing_and_refreshes_once_a_minute(portal, monkeypatch):
    client = sign_in(portal)
    with portal.app_context(), sql_statements(db.engine) as sql:
        for page in SIGNED_IN_PAGES * 3:
            assert client.get(page).status_code == 200, page
        assert sql.writes == []
        clock(monkeypatch, light_sessions.REFRESH_SECONDS + 1)
        for page in SIGNED_IN_PAGES * 3:
            assert client.get(page).status_code == 200, page
    assert len(sql.writes) == 1, sql.writes
    assert sql.writes[0].upper().startswith("UPDATE SESSIONS")


def test_logging_out_deletes_the_stored_session_and_leaves_none(portal):
    client = sign_in(portal)
    page = client.get("/account/details").text
    assert stored_sessions(portal) == 1
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    assert stored_sessions(portal) == 0
    assert client.get("/account/services").status_code == 302
    assert stored_sessions(portal) == 0


def test_redis_sees_no_write_from_a_reader_and_one_a_minute_signed_in(
    redis_portal, redis_url, monkeypatch
):
    reader = english_client(redis_portal)
    with redis_commands(redis_url) as seen:
        for page in READER_PAGES * 2:
            assert reader.get(page).status_code == 200, page
    assert seen.writes == []
    client = sign_in(redis_portal)
    with redis_commands(redis_url) as seen:
        for page in SIGNED_IN_PAGES * 3:
            assert client.get(page).status_code == 200, page
    assert seen.writes == []
    clock(monkeypatch, light_sessions.REFRESH_SECONDS + 1)
    with redis_commands(redis_url) as seen:
        for page in SIGNED_IN_PAGES * 3:
            assert client.get(page).status_code == 200, page
    assert len(seen.writes) == 1, seen.writes
    assert seen.writes[0][0].upper() == "SET"
