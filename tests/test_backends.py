"""The portal behaves the same on PostgreSQL and with sessions in Redis."""

from __future__ import annotations

import pytest
import redis
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import Account
from tests.conftest import (
    Registration,
    base_settings,
    english_client,
    import_demo_register,
    make_app,
)


@pytest.fixture
def postgres_app(tmp_path, oidc_issuer, postgres_url):
    app = make_app(base_settings(tmp_path, oidc_issuer) | {"DATABASE_URL": postgres_url})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def walk(app, sub="anna.andersson", username="anna@example.fi"):
    client = english_client(app)
    registration = Registration(client)
    response = registration.register(sub, username)
    assert response.status_code == 303, client.get("/register/").text
    return client


@pytest.mark.postgres
def test_registration_and_services_on_postgresql(tmp_path, postgres_app):
    app = postgres_app
    import_demo_register(app, tmp_path / "register")
    client = walk(app)
    page = client.get("/account/services").text
    assert "100001" in page and "100002" in page
    with app.app_context():
        assert db.engine.dialect.name == "postgresql"
        assert db.session.scalar(select(func.count(Account.id))) == 1
        assert db.session.scalar(text("SELECT count(*) FROM sessions")) >= 1


@pytest.mark.postgres
def test_double_submit_on_postgresql_creates_one_account(postgres_app):
    app = postgres_app
    client = english_client(app)
    registration = Registration(client)
    registration.accept_terms()
    registration.identify("matti.virtanen")
    registration.create_account("matti@example.fi")
    registration.create_account("matti@example.fi")
    with app.app_context():
        assert db.session.scalar(select(func.count(Account.id))) == 1


@pytest.mark.redis
def test_sessions_live_in_redis_when_configured(tmp_path, oidc_issuer, redis_url):
    app = make_app(base_settings(tmp_path, oidc_issuer) | {"REDIS_URL": redis_url})
    client = walk(app)
    store = redis.Redis.from_url(redis_url)
    session_id = client.get_cookie("selfie_session").value
    assert store.exists(f"selfie:session:{session_id}")
    with app.app_context():
        assert not db.inspect(db.engine).has_table("sessions")  # nothing stored in the database
    assert client.get("/account/services").status_code == 200
    client.post("/logout")
    assert not store.exists(f"selfie:session:{session_id}")
    assert client.get("/account/services").status_code == 302
    store.close()


@pytest.mark.redis
def test_the_session_cookie_holds_only_an_opaque_id(tmp_path, oidc_issuer, redis_url):
    app = make_app(base_settings(tmp_path, oidc_issuer) | {"REDIS_URL": redis_url})
    client = walk(app)
    cookie = client.get_cookie("selfie_session")
    assert cookie.http_only and cookie.same_site == "Lax"
    assert "anna" not in cookie.value and "." not in cookie.value


@pytest.mark.redis
def test_an_unreachable_database_gives_a_friendly_page(tmp_path, oidc_issuer, redis_url):
    """Sessions in Redis, the database down: a translated 503, not a stack trace."""
    from app import create_app

    settings = base_settings(tmp_path, oidc_issuer) | {
        "REDIS_URL": redis_url,
        "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/selfie",
        "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}},
    }
    app = create_app(settings)  # starting needs no database: nothing slow or fragile at start-up
    client = english_client(app)
    client.set_cookie("selfie_lang", "fi")
    response = client.get("/terms/")
    assert response.status_code == 503
    assert '<html lang="fi">' in response.text
    assert "Traceback" not in response.text and "psycopg" not in response.text


@pytest.mark.postgres
def test_parallel_wrong_passwords_all_count_towards_the_lock(postgres_app):
    """Failures are counted in the database atomically: threads cannot lose counts."""
    import threading

    from app.models import LoginThrottle
    from app.services.accounts import service as accounts

    outcomes: list[str] = []
    barrier = threading.Barrier(accounts.FAILURES_BEFORE_LOCK - 1)

    def attempt():
        with postgres_app.app_context():
            barrier.wait()
            try:
                accounts.authenticate("target@example.fi", "wrong password entirely")
            except accounts.LoginFailed:
                outcomes.append("failed")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt) for _ in range(accounts.FAILURES_BEFORE_LOCK - 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == ["failed"] * (accounts.FAILURES_BEFORE_LOCK - 1)
    with postgres_app.app_context():
        assert (
            db.session.scalar(select(LoginThrottle.failures)) == accounts.FAILURES_BEFORE_LOCK - 1
        )
        with pytest.raises(accounts.AccountLocked):
            accounts.authenticate("target@example.fi", "wrong password entirely")
