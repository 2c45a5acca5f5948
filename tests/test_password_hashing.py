"""argon2id parameters are settings; a hash made with others is upgraded at the next login."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import select

from app.extensions import db
from app.models import Account
from app.services.accounts import passwords
from app.settings_table import DEFAULTS
from tests.conftest import Registration, english_client, make_app

PASSWORD = "correct horse battery"
USERNAME = "anna@example.com"
#: OWASP Password Storage Cheat Sheet: argon2id, at least 19 MiB, 2 iterations, 1 lane.
OWASP_MINIMUM = {"memory_cost": 19 * 1024, "time_cost": 2, "parallelism": 1}


@pytest.fixture
def build(settings):
    built = []

    def factory(**overrides):
        built.append(make_app(settings | overrides))
        return built[-1]

    yield factory
    for application in built:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


def stored_hash(app) -> str:
    with app.app_context():
        return db.session.scalar(select(Account.password_hash).where(Account.username == USERNAME))


def test_the_defaults_are_no_weaker_than_owasps_minimum():
    parameters = extract_parameters(passwords.hash_password(PASSWORD))  # no app: the defaults
    assert parameters.type.name == "ID"
    assert parameters.memory_cost >= OWASP_MINIMUM["memory_cost"]
    assert parameters.time_cost >= OWASP_MINIMUM["time_cost"]
    assert parameters.parallelism >= OWASP_MINIMUM["parallelism"]
    assert parameters.memory_cost == DEFAULTS["PASSWORD_HASH_MEMORY_KIB"]


def test_the_configured_parameters_are_used(build):
    app = build(
        PASSWORD_HASH_MEMORY_KIB=32768, PASSWORD_HASH_ITERATIONS=3, PASSWORD_HASH_PARALLELISM=2
    )
    client = english_client(app)
    assert Registration(client).register("anna.andersson", USERNAME, PASSWORD).status_code == 303
    parameters = extract_parameters(stored_hash(app))
    assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (32768, 3, 2)


def test_a_hash_with_other_parameters_is_rehashed_at_the_next_login(build):
    app = build()
    client = english_client(app)
    assert Registration(client).register("anna.andersson", USERNAME, PASSWORD).status_code == 303
    client.post("/logout")
    old = PasswordHasher(memory_cost=8192, time_cost=1, parallelism=1).hash(PASSWORD)
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.username == USERNAME))
        account.password_hash = old
        db.session.commit()
    wrong = client.post("/login", data={"username": USERNAME, "password": "not the password"})
    assert wrong.status_code == 400
    assert stored_hash(app) == old, "a failed login changes nothing"
    assert (
        client.post("/login", data={"username": USERNAME, "password": PASSWORD}).status_code == 303
    )
    upgraded = stored_hash(app)
    assert upgraded != old
    parameters = extract_parameters(upgraded)
    assert parameters.memory_cost == DEFAULTS["PASSWORD_HASH_MEMORY_KIB"]
    assert parameters.time_cost == DEFAULTS["PASSWORD_HASH_ITERATIONS"]
    client.post("/logout")
    assert (
        client.post("/login", data={"username": USERNAME, "password": PASSWORD}).status_code == 303
    )
    assert stored_hash(app) == upgraded, "an up-to-date hash is left alone"
