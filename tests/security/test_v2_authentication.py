"""ASVS V2 (authentication): rate limits on login, identification and account
creation, the growing lock per typed username, no user enumeration, and
argon2id password storage.

No test sleeps: clocks are moved with monkeypatch.
"""

from __future__ import annotations

import base64
import html
import re
from datetime import datetime, timedelta

import pytest
import redis
from argon2 import PasswordHasher
from sqlalchemy import select

from app.extensions import db
from app.services.accounts import passwords
from app.services.accounts import service as accounts
from app.web.auth.routes import LOGIN_LIMIT, USERNAME_LIMIT
from app.web.registration.routes import SESSION_STEP_LIMIT, STEP_LIMIT
from tests.conftest import (
    Registration,
    audit_events,
    english_client,
)
from tests.support.security import (
    GENERIC_FAILURE,
    LOCKED_MESSAGE,
    PASSWORD,
    USERNAME,
    WRONG,
    Clock,
    address,
    allowed,
    login,
    signed_in,
    translated,
)


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
