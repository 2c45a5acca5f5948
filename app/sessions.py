"""Server-side sessions (Flask-Session) and who is signed in (Flask-Login).

Sessions live in the database by default and in Redis when
``SELFIE_REDIS_URL`` is set. The browser holds only a random session id in
an HttpOnly, SameSite=Lax cookie (Secure outside development).
"""

from __future__ import annotations

import functools
import time

import redis
from flask import Flask, current_app, session
from flask_session.sqlalchemy import sqlalchemy as flask_session_sqlalchemy

from app.extensions import db, login_manager
from app.models import Account
from app.staff_models import STAFF_ID_PREFIX, StaffAccount

SESSION_TABLE = "sessions"
#: When the session began, for the absolute timeout (idle is the cookie lifetime).
STARTED_KEY = "_started"

# Flask-Session declares its table model each time it is initialised; with
# one shared declarative base that warns on the second app (tests build
# many). Declaring it once per database object keeps one model.
flask_session_sqlalchemy.create_session_model = functools.cache(
    flask_session_sqlalchemy.create_session_model
)


def configure(app: Flask) -> None:
    """Choose the session store and wire Flask-Login before the extensions start."""
    config = app.config
    config["SESSION_PERMANENT"] = True
    config["SESSION_KEY_PREFIX"] = "selfie:session:"
    config["SESSION_ID_LENGTH"] = 32
    if config["REDIS_URL"]:
        config["SESSION_TYPE"] = "redis"
        config["SESSION_REDIS"] = redis.Redis.from_url(config["REDIS_URL"])
        config.setdefault("RATELIMIT_STORAGE_URI", config["REDIS_URL"])
    else:
        config["SESSION_TYPE"] = "sqlalchemy"
        config["SESSION_SQLALCHEMY"] = db
        config["SESSION_SQLALCHEMY_TABLE"] = SESSION_TABLE
        config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    config.setdefault("RATELIMIT_KEY_PREFIX", "selfie")
    if config["SESSION_COOKIE_SECURE"]:
        # A __Host- cookie is only accepted Secure, with Path=/ and no Domain: the
        # browser sends it to this host alone (ASVS 3.4.4). Plain http in development
        # cannot set one, so the prefix goes on only where cookies are Secure.
        name = config["SESSION_COOKIE_NAME"].removeprefix("__Host-")
        config["SESSION_COOKIE_NAME"] = f"__Host-{name}"
        config["SESSION_COOKIE_PATH"] = "/"
        config["SESSION_COOKIE_DOMAIN"] = None
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # the session id itself is rotated instead
    login_manager.login_message = None


@login_manager.user_loader
def load_account(user_id: str) -> Account | StaffAccount | None:
    """Flask-Login's one loader for both kinds of account.

    A customer's id is ``id:session_version``, a staff member's
    ``staff:id:session_version`` (``StaffAccount.get_id``): the kind is in the
    session itself, so one kind's session can never load the other kind's
    account. An outdated version (or a removed account) signs out.
    """
    model = Account
    if user_id.startswith(STAFF_ID_PREFIX):
        model, user_id = StaffAccount, user_id.removeprefix(STAFF_ID_PREFIX)
    account_id, _, version = user_id.partition(":")
    if not account_id.isdigit() or not version.isdigit():
        return None
    account = db.session.get(model, int(account_id))
    if account is None or account.session_version != int(version):
        return None
    return account


def rotate() -> None:
    """Give the current session a new id (after identification and at login)."""
    current_app.session_interface.regenerate(session)
    session[STARTED_KEY] = int(time.time())


def end() -> None:
    """Remove the session from the store, not just its contents.

    Regenerate before clearing: Flask-Session skips an empty session.
    """
    current_app.session_interface.regenerate(session)
    session.clear()
