"""Security controls, each proved through the Flask client (or the unit it lives in).

Rate limits, the login lock, no user enumeration, session handling, CSRF,
security headers, safe redirects, the reverse-proxy setting and personal
data in logs. docs/security.md maps these tests to OWASP ASVS 4.0.3.
No test sleeps: clocks are moved with monkeypatch, session timestamps with
``client.session_transaction()``.
"""

from __future__ import annotations

import base64
import html
import logging
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import redis
from argon2 import PasswordHasher
from flask_babel import force_locale, gettext
from limits import parse_many
from sqlalchemy import func, select, text

from app import light_sessions
from app.extensions import db
from app.models import Account, AuditEvent
from app.security import IdentityCodeFilter
from app.services.accounts import passwords
from app.services.accounts import service as accounts
from app.services.terms import DEFAULT_VERSION
from app.sessions import STARTED_KEY
from app.web.auth.routes import LOGIN_LIMIT, USERNAME_LIMIT
from app.web.registration.routes import SESSION_STEP_LIMIT, STEP_LIMIT
from tests.conftest import (
    PERSONS,
    Registration,
    audit_events,
    code_leaks,
    csrf_token,
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


# -- helpers -----------------------------------------------------------------------------------
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


# -- 1. rate limits ------------------------------------------------------------------------------
@pytest.fixture
def limited(build, quick_hashing):
    return build(RATELIMIT_ENABLED=True)


def test_rate_limit_counters_are_in_memory_without_redis(limited):
    assert limited.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_login_is_limited_per_client_address(limited):
    client = english_client(limited)
    for n in range(allowed(LOGIN_LIMIT)):
        response = login(client, f"nobody{n}@example.fi", WRONG, environ_base=address(1))
        assert response.status_code == 400
    assert login(client, "one.more@example.fi", WRONG, environ_base=address(1)).status_code == 429
    assert login(client, "one.more@example.fi", WRONG, environ_base=address(2)).status_code == 400


def test_login_is_limited_per_username_from_any_address(limited):
    client = english_client(limited)
    for n in range(allowed(USERNAME_LIMIT)):
        typed = "Target@Example.fi " if n % 2 else "target@example.fi"
        assert login(client, typed, WRONG, environ_base=address(n)).status_code == 400
    assert login(client, "target@example.fi", WRONG, environ_base=address(99)).status_code == 429
    assert login(client, "other@example.fi", WRONG, environ_base=address(99)).status_code == 400


REGISTRATION_POSTS = ["/register/identify", "/register/account", "/register/existing"]


@pytest.mark.parametrize("path", REGISTRATION_POSTS)
def test_identification_and_account_creation_are_limited_per_address(limited, path):
    for _ in range(allowed(STEP_LIMIT)):
        fresh_session = english_client(limited)
        assert fresh_session.post(path, environ_base=address(7)).status_code == 303
    assert english_client(limited).post(path, environ_base=address(7)).status_code == 429
    assert english_client(limited).post(path, environ_base=address(8)).status_code == 303


@pytest.mark.parametrize("path", REGISTRATION_POSTS)
def test_identification_and_account_creation_are_limited_per_session(limited, path):
    client = english_client(limited)
    Registration(client).accept_terms()
    for n in range(allowed(SESSION_STEP_LIMIT)):
        assert client.post(path, environ_base=address(n)).status_code == 303
    assert client.post(path, environ_base=address(200)).status_code == 429
    assert english_client(limited).post(path, environ_base=address(200)).status_code == 303


TOO_MANY = "Too many attempts"
TOO_MANY_TEXT = (
    "You have tried too many times in a short while. Please wait a moment and try again."
)


def translated(app, language: str, msgid: str) -> str:
    with app.test_request_context(), force_locale(language):
        return gettext(msgid)


def exhaust_username_limit(client):
    for n in range(allowed(USERNAME_LIMIT)):
        login(client, "target@example.fi", WRONG, environ_base=address(n))
    return login(client, "target@example.fi", WRONG, environ_base=address(99))


@pytest.mark.parametrize("language", ["sv", "fi", "en"])
def test_the_429_page_is_in_the_customers_language(limited, language):
    client = limited.test_client()
    client.set_cookie("selfie_lang", language)
    response = exhaust_username_limit(client)
    assert response.status_code == 429
    title = translated(limited, language, TOO_MANY)
    assert language == "en" or title != TOO_MANY  # a real translation, not the msgid
    assert f'<html lang="{language}">' in response.text
    assert f"<h1>{html.escape(title)}</h1>" in response.text
    assert html.escape(translated(limited, language, TOO_MANY_TEXT)) in response.text


def test_the_429_answer_says_when_to_retry(limited):
    response = exhaust_username_limit(english_client(limited))
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60


@pytest.mark.redis
def test_rate_limit_counters_live_in_redis_when_configured(build, redis_url):
    app = build(RATELIMIT_ENABLED=True, REDIS_URL=redis_url)
    store = redis.Redis.from_url(redis_url)
    client = english_client(app)
    for n in range(allowed(USERNAME_LIMIT)):
        login(client, "target@example.fi", WRONG, environ_base=address(n))
    assert login(client, "target@example.fi", WRONG, environ_base=address(99)).status_code == 429
    keys = [key.decode() for key in store.keys("*")]
    counters = [key for key in keys if "LIMITER/selfie/" in key]
    assert any("/login-user:" in key for key in counters), keys
    assert not any("target@example.fi" in key for key in keys)  # the key is a hash
    store.delete(*counters)  # the counters were in Redis: without them, the next try is let in
    assert login(client, "target@example.fi", WRONG, environ_base=address(99)).status_code == 400
    store.close()


# -- 2. failed logins lock the username for a while ---------------------------------------------
def test_five_failed_logins_lock_the_username(anna):
    for _ in range(accounts.FAILURES_BEFORE_LOCK - 1):
        response = login(anna, password=WRONG)
        assert response.status_code == 400 and GENERIC_FAILURE in response.text
    response = login(anna, password=WRONG)
    assert response.status_code == 400
    assert LOCKED_MESSAGE in response.text


def test_an_unknown_username_locks_exactly_like_a_registered_one(anna):
    """The lock itself must not tell which addresses are registered."""
    answers = {}
    for username in (USERNAME, "nobody.here@example.fi"):
        for _ in range(accounts.FAILURES_BEFORE_LOCK - 1):
            login(anna, username, WRONG)
        last = login(anna, username, WRONG)
        answers[username] = (last.status_code, LOCKED_MESSAGE in last.text)
    assert answers[USERNAME] == answers["nobody.here@example.fi"] == (400, True)


def test_the_throttle_keeps_no_typed_username(app, anna):
    from app.models import LoginThrottle

    for _ in range(2):
        login(anna, "131052-308T", WRONG)
        login(anna, USERNAME, WRONG)
    with app.app_context():
        keys = [row.username_key for row in db.session.scalars(select(LoginThrottle))]
    assert len(keys) == 2
    assert all(len(key) == 64 and "@" not in key and "131052" not in key for key in keys)


def test_a_locked_username_refuses_even_the_right_password(anna):
    for _ in range(accounts.FAILURES_BEFORE_LOCK):
        login(anna, password=WRONG)
    response = login(anna)
    assert LOCKED_MESSAGE in response.text
    assert not signed_in(anna)


def test_the_lock_is_recorded_in_the_audit_trail(app, anna):
    for _ in range(accounts.FAILURES_BEFORE_LOCK):
        login(anna, password=WRONG, headers={"User-Agent": "Attacker/1.0"})
    (locked,) = audit_events(app, "locked")
    assert locked.username == USERNAME
    assert locked.client_ip == "127.0.0.1"
    assert locked.user_agent == "Attacker/1.0"
    assert len(audit_events(app, "login_failed")) == accounts.FAILURES_BEFORE_LOCK - 1


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


@pytest.fixture
def stored_account(app, quick_hashing):
    """An account straight in the database, for the account service's own tests."""
    from tests.factories import AccountFactory

    with app.app_context():
        AccountFactory(username=USERNAME, password=PASSWORD)
        yield
        db.session.remove()


def fail_once() -> datetime | None:
    """One wrong password; returns the end of the lock if it caused (or met) one."""
    try:
        accounts.authenticate(USERNAME, WRONG)
    except accounts.AccountLocked as locked:
        return locked.until
    except accounts.LoginFailed:
        return None
    raise AssertionError("a wrong password was accepted")


def lock_now(clock: Clock) -> timedelta:
    """Fail until the username locks; returns how long the lock lasts."""
    for _ in range(accounts.FAILURES_BEFORE_LOCK):
        until = fail_once()
    assert until is not None
    return until - clock.now


@pytest.mark.parametrize(("minutes_apart", "locks"), [(3, True), (4, False)])
def test_only_failures_within_fifteen_minutes_count_towards_the_lock(
    stored_account, clock, minutes_apart, locks
):
    results = []
    for _ in range(accounts.FAILURES_BEFORE_LOCK):
        results.append(fail_once())
        clock.advance(minutes=minutes_apart)
    assert (results[-1] is not None) is locks


def test_the_lock_lasts_minutes_and_grows_with_each_repeat(stored_account, clock):
    durations = []
    for _ in range(7):
        durations.append(lock_now(clock))
        clock.advance(minutes=60)
    assert durations[0] >= timedelta(minutes=1)
    assert durations[1] > durations[0]
    assert durations == sorted(durations)
    assert max(durations) <= timedelta(hours=1)  # minutes, never days


def test_the_lock_ends_by_itself(stored_account, clock):
    duration = lock_now(clock)
    with pytest.raises(accounts.AccountLocked):
        accounts.authenticate(USERNAME, PASSWORD)
    clock.advance(seconds=duration.total_seconds() + 1)
    assert accounts.authenticate(USERNAME, PASSWORD).username == USERNAME


def test_a_successful_login_resets_the_failure_count(stored_account, clock):
    for _ in range(accounts.FAILURES_BEFORE_LOCK - 1):
        assert fail_once() is None
    accounts.authenticate(USERNAME, PASSWORD)
    for _ in range(accounts.FAILURES_BEFORE_LOCK - 1):
        assert fail_once() is None


def test_a_successful_login_resets_the_growth_of_the_lock(stored_account, clock):
    first = lock_now(clock)
    clock.advance(minutes=60)
    accounts.authenticate(USERNAME, PASSWORD)
    assert lock_now(clock) == first


def test_a_long_password_is_never_truncated(app, quick_hashing):
    from tests.factories import AccountFactory

    long_password = "x" * 127 + "y"
    with app.app_context():
        AccountFactory(username=USERNAME, password=long_password)
        with pytest.raises(accounts.LoginFailed):
            accounts.authenticate(USERNAME, "x" * 128)
        assert accounts.authenticate(USERNAME, long_password).username == USERNAME
        db.session.remove()


def test_password_hashes_are_salted_argon2id():
    first, second = passwords.hash_password(PASSWORD), passwords.hash_password(PASSWORD)
    assert first != second
    for hashed in (first, second):
        variant, _version, _parameters, salt, _digest = hashed.split("$")[1:]
        assert variant == "argon2id"
        assert len(base64.b64decode(salt + "=" * (-len(salt) % 4))) >= 16  # ASVS: 32 bits


# -- 3. no user enumeration at login ------------------------------------------------------------
@pytest.mark.parametrize("unknown", ["nobody@example.fi", "not an e-mail address"])
def test_a_wrong_password_and_an_unknown_username_get_the_same_answer(anna, unknown):
    wrong_password = login(anna, USERNAME, WRONG)
    unknown_username = login(anna, unknown, WRONG)
    assert wrong_password.status_code == unknown_username.status_code == 400
    assert GENERIC_FAILURE in wrong_password.text
    assert page_without(wrong_password, USERNAME) == page_without(unknown_username, unknown)


def page_without(response, typed: str) -> str:
    """The page with the typed username and the (time-stamped) CSRF tokens blanked out."""
    page = response.text.replace(html.escape(typed), "…")
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', page)


@pytest.fixture
def argon2_verifications(monkeypatch) -> list[str]:
    """Spy on argon2's verify (the hasher has slots: patch its class): the hashes it checks."""
    checked: list[str] = []
    original = PasswordHasher.verify

    def spy(self, hash, password):
        checked.append(hash)
        return original(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", spy)
    return checked


@pytest.mark.parametrize("unknown", ["nobody@example.fi", "not an e-mail address"])
def test_an_unknown_username_still_costs_one_argon2_verification(
    anna, argon2_verifications, unknown
):
    assert login(anna, unknown, WRONG).status_code == 400
    assert len(argon2_verifications) == 1
    assert argon2_verifications[0].startswith("$argon2id$")


def test_a_locked_username_still_costs_one_argon2_verification(anna, argon2_verifications):
    for _ in range(accounts.FAILURES_BEFORE_LOCK):
        login(anna, password=WRONG)
    argon2_verifications.clear()
    assert LOCKED_MESSAGE in login(anna).text
    assert len(argon2_verifications) == 1


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


# -- 5. CSRF and no state change on GET ---------------------------------------------------------
STATE_CHANGING = [
    "/login",
    "/logout",
    "/language",
    "/terms/accept",
    "/register/identify",
    "/register/account",
    "/register/existing",
    "/account/sessions/end-others",
    "/account/close",
]
PLAUSIBLE_FORM = {
    "end-password": PASSWORD,
    "close-password": PASSWORD,
    "close-understood": "y",
    "username": USERNAME,
    "password": PASSWORD,
    "confirm": PASSWORD,
    "language": "fi",
    "version": DEFAULT_VERSION,
    "method": "bank",
}


@pytest.fixture
def csrf_app(build):
    from tests.factories import AccountFactory

    application = build(WTF_CSRF_ENABLED=True)
    with application.app_context():
        AccountFactory(username=USERNAME, password=PASSWORD, language="en")
        db.session.remove()
    return application


def post_with_token(client, path: str, page: str, data: dict):
    return client.post(path, data=data | {"csrf_token": csrf_token(client.get(page).text)})


def csrf_login(client):
    response = post_with_token(
        client, "/login", "/login", {"username": USERNAME, "password": PASSWORD}
    )
    assert response.status_code == 303
    return client


def test_every_post_route_is_in_the_csrf_table(app):
    posts = {rule.rule for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert posts == set(STATE_CHANGING)


@pytest.mark.parametrize("path", STATE_CHANGING)
def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(csrf_app, path):
    client = csrf_login(english_client(csrf_app))
    events_before = len(audit_events(csrf_app))
    response = client.post(path, data=PLAUSIBLE_FORM)
    assert response.status_code == 400
    assert CSRF_PAGE in response.text
    assert signed_in(client)
    assert len(audit_events(csrf_app)) == events_before
    assert client.get_cookie("selfie_lang").value == "en"


@pytest.mark.parametrize("language", ["sv", "fi", "en"])
def test_the_csrf_page_is_in_the_customers_language(csrf_app, language):
    client = csrf_app.test_client()
    client.set_cookie("selfie_lang", language)
    response = client.post("/terms/accept", data={"version": DEFAULT_VERSION})
    assert response.status_code == 400
    title = translated(csrf_app, language, CSRF_PAGE)
    assert language == "en" or title != CSRF_PAGE
    assert f'<html lang="{language}">' in response.text
    assert f"<h1>{html.escape(title)}</h1>" in response.text


def test_a_csrf_token_from_another_session_is_refused(csrf_app):
    client = csrf_login(english_client(csrf_app))
    stranger_token = csrf_token(english_client(csrf_app).get("/login").text)
    response = client.post("/logout", data={"csrf_token": stranger_token})
    assert response.status_code == 400
    assert signed_in(client)


def test_logout_with_the_pages_token_signs_out(csrf_app):
    client = csrf_login(english_client(csrf_app))
    response = post_with_token(client, "/logout", "/account/services", {})
    assert response.status_code == 303
    assert not signed_in(client)


def test_the_whole_registration_works_with_csrf_protection(csrf_app):
    client = english_client(csrf_app)
    walk = Registration(client)
    post_with_token(client, "/terms/accept", "/terms/", {"version": DEFAULT_VERSION})
    started_at = post_with_token(client, "/register/identify", "/register/", {"method": "bank"})
    assert started_at.status_code == 303
    client.get(walk.authorize_at_provider(started_at.headers["Location"], "matti.virtanen"))
    form = {"username": "matti@example.fi", "password": PASSWORD, "confirm": PASSWORD}
    response = post_with_token(client, "/register/account", "/register/account", form)
    assert response.status_code == 303
    assert signed_in(client)


def test_logout_by_get_is_not_allowed(member):
    assert member.get("/logout").status_code == 405
    assert signed_in(member)


FORM_PAGES = {"auth.login", "registration.account", "registration.existing"}


def test_only_form_pages_answer_both_get_and_post(app):
    both = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if {"GET", "POST"} <= rule.methods and rule.endpoint != "static"
    }
    assert both == FORM_PAGES


def test_the_login_form_sent_by_get_signs_nobody_in(app, anna):
    events_before = len(audit_events(app))
    response = anna.get("/login", query_string={"username": USERNAME, "password": PASSWORD})
    assert response.status_code == 200
    assert not signed_in(anna)
    assert len(audit_events(app)) == events_before


def test_the_account_form_sent_by_get_creates_nothing(app, registration, client):
    registration.accept_terms()
    registration.identify("anna.andersson")
    form = {"username": USERNAME, "password": PASSWORD, "confirm": PASSWORD}
    assert client.get("/register/account", query_string=form).status_code == 200
    assert account_count(app) == 0


def test_the_new_password_form_sent_by_get_changes_nothing(app, anna, registration):
    registration.accept_terms()
    registration.identify("anna.andersson")
    form = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert anna.get("/register/existing", query_string=form).status_code == 200
    assert login(english_client(app), password=NEW_PASSWORD).status_code == 400
    assert login(english_client(app), password=PASSWORD).status_code == 303


# -- 6. headers ---------------------------------------------------------------------------------
PUBLIC_PAGES = ["/", "/login", "/terms/", "/register/", "/no-such-page"]


def policy(response) -> dict[str, list[str]]:
    directives = response.headers["Content-Security-Policy"].split(";")
    return {d.split()[0]: d.split()[1:] for d in directives if d.strip()}


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_the_csp_allows_no_inline_scripts_or_styles(client, path):
    csp = policy(client.get(path))
    for directive in ("default-src", "script-src", "style-src"):
        assert directive in csp
        assert "'unsafe-inline'" not in csp[directive]
        assert "'unsafe-eval'" not in csp[directive]
    assert csp["object-src"] == ["'none'"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_the_csp_forbids_framing(client, path):
    assert policy(client.get(path))["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_sniffing_referrers_and_browser_features_are_restricted(client, path):
    headers = client.get(path).headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in {"same-origin", "strict-origin", "no-referrer"}
    assert "camera=()" in headers["Permissions-Policy"]
    assert "geolocation=()" in headers["Permissions-Policy"]


INLINE = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=", re.IGNORECASE)


@pytest.mark.parametrize("path", ["/", "/login", "/terms/", "/register/"])
def test_public_pages_need_no_inline_script_or_style(client, path):
    page = client.get(path)
    assert page.status_code == 200
    assert not INLINE.search(page.text), INLINE.search(page.text)


@pytest.mark.parametrize("path", ["/", "/account/services", "/account/details"])
def test_signed_in_pages_need_no_inline_script_or_style(member, path):
    page = member.get(path)
    assert page.status_code == 200
    assert not INLINE.search(page.text), INLINE.search(page.text)


def test_hsts_is_sent_over_https(client):
    hsts = client.get("/", base_url="https://localhost").headers["Strict-Transport-Security"]
    assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 365 * 24 * 3600


def test_hsts_is_not_sent_over_plain_http(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


@pytest.mark.parametrize("path", ["/", "/account/services", "/account/details"])
def test_signed_in_pages_are_not_stored(member, path):
    assert "no-store" in member.get(path).headers["Cache-Control"]


@pytest.mark.parametrize(
    "path", ["/terms/", "/register/", "/login", "/register/account", "/register/existing"]
)
def test_registration_steps_are_not_stored(client, path):
    assert "no-store" in client.get(path).headers["Cache-Control"]


def test_the_username_step_after_identification_is_not_stored(registration, client):
    registration.accept_terms()
    registration.identify("anna.andersson")
    page = client.get("/register/account")
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]


def test_static_files_are_not_marked_no_store(member):
    with member.get("/static/css/selfie.css") as response:
        assert response.status_code == 200
        assert "no-store" not in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize(
    "path", ["/static/", "/static/css/", "/.git/config", "/.env", "/instance/secrets.json"]
)
def test_no_directory_listing_and_no_project_files_are_served(client, path):
    assert client.get(path).status_code == 404


# -- 7. safe redirects --------------------------------------------------------------------------
EVIL_TARGETS = [
    "https://evil.example/account/services",
    "HTTP://evil.example",
    "https:evil.example",
    "//evil.example",
    "///evil.example",
    "//localhost@evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "/\t/evil.example",
    "/\r\n/evil.example",
    " //evil.example",
    "evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "%2F%2Fevil.example",  # sent encoded twice: decoded once by the server
    "%2f%5cevil.example",
    "%5C%5Cevil.example",
    "https%3A%2F%2Fevil.example",
]


def lands_on_services(response) -> bool:
    location = urlsplit(response.headers["Location"])
    return location.netloc in {"", "localhost"} and location.path == "/account/services"


@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_login_never_redirects_off_site(anna, target):
    response = anna.post(
        "/login", data={"username": USERNAME, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 303
    assert lands_on_services(response), response.headers["Location"]


@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_a_signed_in_visit_to_login_never_redirects_off_site(member, target):
    response = member.get("/login", query_string={"next": target})
    assert lands_on_services(response), response.headers["Location"]


@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_the_login_form_does_not_carry_a_bad_target(anna, target):
    page = anna.get("/login", query_string={"next": target}).text
    assert re.search(r'<input id="next" name="next" type="hidden" value="">', page)


@pytest.mark.parametrize("target", ["/account/details", "/account/services?sort=name"])
def test_a_local_target_is_honoured(anna, target):
    response = anna.post(
        "/login", data={"username": USERNAME, "password": PASSWORD, "next": target}
    )
    assert response.headers["Location"] == target


# -- 8. reverse proxy ---------------------------------------------------------------------------
FORWARDED = {"X-Forwarded-For": "192.0.2.66, 203.0.113.7", "X-Forwarded-Proto": "https"}


def test_with_one_proxy_hop_the_forwarded_address_is_audited(build):
    app = build(PROXY_HOPS=1)
    english_client(app).post("/terms/accept", data={"version": DEFAULT_VERSION}, headers=FORWARDED)
    (accepted,) = audit_events(app, "terms_accepted")
    assert accepted.client_ip == "203.0.113.7"  # the proxy's view; the rest is the client's word


def test_with_one_proxy_hop_the_forwarded_scheme_gets_hsts(build):
    client = english_client(build(PROXY_HOPS=1))
    assert "Strict-Transport-Security" in client.get("/", headers=FORWARDED).headers


def test_without_a_proxy_forwarded_headers_are_ignored_in_the_audit(app, client):
    client.post("/terms/accept", data={"version": DEFAULT_VERSION}, headers=FORWARDED)
    (accepted,) = audit_events(app, "terms_accepted")
    assert accepted.client_ip == "127.0.0.1"


def test_without_a_proxy_a_forwarded_scheme_gets_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/", headers=FORWARDED).headers


# -- 9. personal identity codes stay out of logs, pages, URLs and the audit trail ---------------
ANNA_CODE = PERSONS["anna.andersson"].code


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


@pytest.fixture
def every_log_record(app, caplog, monkeypatch):
    """caplog at DEBUG with every logger switched on.

    Building the app runs the migrations, and Alembic's ``fileConfig`` in
    migrations/env.py disables every logger that existed before (the app's
    and Werkzeug's included); switched back on here so that nothing escapes
    the search.
    """
    for logger in logging.Logger.manager.loggerDict.values():
        if isinstance(logger, logging.Logger) and logger.disabled:
            monkeypatch.setattr(logger, "disabled", False)
    caplog.set_level(logging.DEBUG)
    return caplog


def logged(caplog) -> list[str]:
    formatter = logging.Formatter()
    return [formatter.format(record) for record in caplog.records]


def stored_texts(app) -> list[str]:
    """The audit trail and the stored sessions, as text."""
    with app.app_context():
        rows = [
            " ".join(str(getattr(event, c.name)) for c in AuditEvent.__table__.columns)
            for event in db.session.scalars(select(AuditEvent))
        ]
        blobs = db.session.execute(text("SELECT data FROM sessions")).scalars()
        rows += [bytes(blob).decode("latin-1") for blob in blobs]
        return rows


def test_the_whole_registration_leaves_no_code_anywhere(app, client, oidc_issuer, every_log_record):
    from tests.conftest import set_person_claims

    seen = Recorder(client)
    walk = Registration(client)
    for sub in PERSONS:
        walk.register(sub, f"{sub}@example.fi", PASSWORD)
        client.get("/account/details")
        client.get("/account/services")
        client.post("/logout")
        login(client, f"{sub}@example.fi", WRONG)
        login(client, f"{sub}@example.fi", PASSWORD)
        client.post("/logout")
    walk.accept_terms()
    walk.identify("anna.andersson")  # registered already: the new-password step
    client.post("/register/existing", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    client.post("/logout")
    broken = ANNA_CODE[:-1] + ("X" if ANNA_CODE[-1] != "X" else "Y")  # a bad checksum
    set_person_claims(oidc_issuer, "broken.anna", {"hetu": broken})
    walk.accept_terms()
    walk.identify("broken.anna")
    client.get("/register/")
    assert account_count(app) == len(PERSONS)
    assert len(every_log_record.records) > 0
    codes = [p.code for p in PERSONS.values()] + [broken]
    texts = seen.texts + logged(every_log_record) + stored_texts(app)
    assert code_leaks(texts, codes) == []


def test_a_refused_import_names_the_rows_but_never_the_codes(app, tmp_path, every_log_record):
    from app.services.customers.importer import CUSTOMER_COLUMNS, SERVICE_COLUMNS

    matti = PERSONS["matti.virtanen"].code
    bad_checksum = ANNA_CODE[:-1] + ("X" if ANNA_CODE[-1] != "X" else "Y")
    rows = [
        ",".join(CUSTOMER_COLUMNS),
        f"100001,{bad_checksum},Anna Andersson,Storgatan 1,65100,Vasa,anna@example.fi,050 1",
        f"100002,{matti},,Kauppatori 2,65100,Vaasa,matti@example.fi,050 2",
        f"100003,{matti}-9,Matti Virtanen,Kauppatori 2,65100,Vaasa,matti@example.fi,050 3",
    ]
    customers = tmp_path / "customers.csv"
    customers.write_text("\n".join(rows) + "\n", encoding="utf-8")
    services = tmp_path / "services.csv"
    services.write_text(",".join(SERVICE_COLUMNS) + "\n", encoding="utf-8")
    command = ["customers", "import", str(customers), str(services)]
    result = app.test_cli_runner().invoke(args=command)
    assert result.exit_code != 0
    assert "customers.csv:2" in result.output and "nothing was imported" in result.output
    texts = [result.output, *logged(every_log_record), *stored_texts(app)]
    assert code_leaks(texts, [bad_checksum, matti]) == []


def test_an_exception_report_masks_the_code(app, every_log_record):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # report it as in production, not re-raise

    @app.get("/boom")
    def boom():
        raise LookupError(f"no customer for {ANNA_CODE}")

    response = english_client(app).get("/boom")
    assert response.status_code == 500
    assert code_leaks([response.text], [ANNA_CODE]) == []
    report = "\n".join(logged(every_log_record))
    assert "LookupError: no customer for 150385-****" in report
    assert code_leaks([report], [ANNA_CODE]) == []


def test_a_code_typed_as_the_username_stays_out_of_the_audit_trail(app, client):
    login(client, ANNA_CODE, WRONG, headers={"User-Agent": f"Browser {ANNA_CODE}"})
    assert audit_events(app, "login_failed")
    assert code_leaks(stored_texts(app), [ANNA_CODE]) == []


def record(msg, args=(), exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("selfie.test", logging.INFO, __file__, 1, msg, args, exc_info)


def formatted(item: logging.LogRecord) -> str:
    assert IdentityCodeFilter().filter(item) is True
    return logging.Formatter().format(item)


@pytest.mark.parametrize(
    ("msg", "args"),
    [
        pytest.param(f"customer {ANNA_CODE} logged in", (), id="in-the-message"),
        pytest.param("customer %s logged in", (ANNA_CODE,), id="as-an-argument"),
        pytest.param("customer %(code)s logged in", ({"code": ANNA_CODE},), id="as-a-mapping"),
        pytest.param("customer %s logged in", (ANNA_CODE.lower(),), id="lower-case"),
    ],
)
def test_the_log_filter_masks_codes_in_messages_and_arguments(msg, args):
    output = formatted(record(msg, args))
    assert output == "customer 150385-**** logged in"


def exception_with(message: str):
    try:
        raise ValueError(message)
    except ValueError:
        return sys.exc_info()


def test_the_log_filter_masks_codes_in_exception_reports():
    item = record("import of %s failed", ("customers.csv",), exception_with(f"bad {ANNA_CODE}"))
    output = formatted(item)
    assert output.startswith("import of customers.csv failed\nTraceback")
    assert "ValueError: bad 150385-****" in output
    assert code_leaks([output], [ANNA_CODE]) == []


def test_the_log_filter_keeps_percent_signs_in_a_masked_exception_intact():
    item = record("row %s", (3,), exception_with(f"100% sure {ANNA_CODE} %s"))
    output = formatted(item)
    assert "ValueError: 100% sure 150385-**** %s" in output


def test_the_log_filter_leaves_a_record_without_codes_alone():
    exc_info = exception_with("nothing personal")
    item = record("row %s of %s", (3, "customers.csv"), exc_info)
    IdentityCodeFilter().filter(item)
    assert (item.msg, item.args, item.exc_info) == ("row %s of %s", (3, "customers.csv"), exc_info)


def test_a_broken_logging_call_is_masked_and_does_not_raise():
    output = formatted(record("%s logged in from %s", (ANNA_CODE,)))
    assert "150385-****" in output
    assert code_leaks([output], [ANNA_CODE]) == []


def test_the_log_filter_masks_a_stack():
    item = record("lookup")
    item.stack_info = f'Stack (most recent call last):\n  lookup("{ANNA_CODE}")'
    assert code_leaks([formatted(item)], [ANNA_CODE]) == []


def test_records_of_any_logger_reach_any_handler_masked(app):
    """Even a handler configured after the app (Alembic's, gunicorn's) never sees a code."""
    import io

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    library = logging.getLogger("some.library.configured.later")
    library.addHandler(handler)
    try:
        library.warning("claims: {'hetu': '%s'}", ANNA_CODE)
    finally:
        library.removeHandler(handler)
    assert stream.getvalue() == "claims: {'hetu': '150385-****'}\n"
