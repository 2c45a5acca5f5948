"""Settings: embedded defaults, overridden from the environment (prefix ``SELFIE_``).

Every key here is documented in README. Secrets have no defaults: outside
development and testing the portal refuses to start without them, naming the
missing setting, so a misconfigured server fails loudly instead of running
with a guessable key.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Settings that must be present outside development and testing.
REQUIRED_SECRETS = ("SECRET_KEY", "IDENTITY_KEY")
DEV_SECRETS_FILE = "secrets.json"


class MissingSettingError(RuntimeError):
    """Raised at start-up when a required setting is absent."""

    def __init__(self, names: list[str]):
        self.names = names
        listed = ", ".join(f"SELFIE_{name}" for name in names)
        super().__init__(f"Selfie cannot start: missing required setting(s): {listed}")


DEFAULTS: dict[str, object] = {
    "ENV": "production",
    "DATABASE_URL": "",  # filled in from the instance folder
    "REDIS_URL": "",
    "IDENTITY_ALLOW_TEMPORARY": False,
    # The operator, as published (shared/wording.md).
    "OPERATOR_NAME": "JNT",
    "SUPPORT_PHONE": "06 786 8222",
    "SUPPORT_EMAIL": "kundtjanst@jnt.fi",
    "SUPPORT_HOURS": "weekdays",
    # OpenID Connect identification broker.
    "OIDC_ISSUER": "",
    "OIDC_CLIENT_ID": "selfie",
    "OIDC_CLIENT_SECRET": "",
    "OIDC_IDENTITY_CLAIM": "hetu",
    "OIDC_PROFILE": "plain",  # "plain" or "ftn"
    "OIDC_METHODS_FILE": "",
    "OIDC_SIGNING_KEY_FILE": "",
    "OIDC_ENCRYPTION_KEY_FILE": "",
    "OIDC_SP_NAME": "Selfie",
    "OIDC_TIMEOUT": 10,
    # Sessions and security.
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_ABSOLUTE_HOURS": 12,
    "PROXY_HOPS": 0,
    "AUDIT_RETENTION_DAYS": 365,
    "RATELIMIT_ENABLED": True,
    # argon2id for passwords: OWASP's minimum (19 MiB, 2 iterations, 1 lane) by default.
    "PASSWORD_HASH_MEMORY_KIB": 19456,
    "PASSWORD_HASH_ITERATIONS": 2,
    "PASSWORD_HASH_PARALLELISM": 1,
}


def load_settings(app: Flask, overrides: dict[str, object] | None = None) -> None:
    """Fill ``app.config`` from defaults, the environment and ``overrides``.

    ``overrides`` is how tests configure an app; the environment is how an
    operator does. Values in the environment are parsed as JSON where they
    can be (``SELFIE_PROXY_HOPS=1`` becomes the integer 1).
    """
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("SELFIE", loads=_loads)
    for name in TEXT_SETTINGS:  # taken exactly as written: a numeric key stays a string
        raw = os.environ.get(f"SELFIE_{name}")
        if raw is not None:
            app.config[name] = raw
    if overrides:
        app.config.update(overrides)
    _check_environment(app)
    _derive(app)
    _check_required(app)


#: Settings that are text whatever they look like (never parsed as JSON).
TEXT_SETTINGS = (
    "SECRET_KEY",
    "IDENTITY_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "OPERATOR_NAME",
    "SUPPORT_PHONE",
    "SUPPORT_EMAIL",
    "SUPPORT_HOURS",
    "OIDC_ISSUER",
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
    "OIDC_IDENTITY_CLAIM",
    "OIDC_PROFILE",
    "OIDC_METHODS_FILE",
    "OIDC_SIGNING_KEY_FILE",
    "OIDC_ENCRYPTION_KEY_FILE",
    "OIDC_SP_NAME",
)
ENVIRONMENTS = ("production", "development")


class InvalidSettingError(RuntimeError):
    """Raised at start-up when a setting has a value the portal cannot use."""


def _check_environment(app: Flask) -> None:
    """Only production and development; "testing" is for the test suite's own apps."""
    env = app.config["ENV"]
    if env in ENVIRONMENTS or (env == "testing" and app.config.get("TESTING")):
        return
    raise InvalidSettingError(
        f"Selfie cannot start: SELFIE_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}"
    )


def _loads(value: str) -> object:
    try:
        return json.loads(value)
    except ValueError:
        return value


def is_development(app: Flask) -> bool:
    """Development and testing relax transport rules (plain http on loopback)."""
    return app.config["ENV"] in {"development", "testing"}


def _derive(app: Flask) -> None:
    config = app.config
    instance = Path(app.instance_path)
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{instance / 'selfie.sqlite3'}"
    config["SQLALCHEMY_DATABASE_URI"] = config["DATABASE_URL"]
    config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    config["BABEL_TRANSLATION_DIRECTORIES"] = str(PROJECT_ROOT / "translations")
    config["BABEL_DEFAULT_LOCALE"] = "sv"
    config["BABEL_DEFAULT_TIMEZONE"] = "Europe/Helsinki"
    config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=int(config["SESSION_IDLE_MINUTES"]))
    config["SESSION_COOKIE_NAME"] = "selfie_session"
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["SESSION_COOKIE_SECURE"] = not is_development(app)
    config["REMEMBER_COOKIE_DURATION"] = timedelta(seconds=0)
    config["WTF_CSRF_TIME_LIMIT"] = None  # bound to the session, which expires itself
    if not config.get("OIDC_METHODS_FILE"):
        config["OIDC_METHODS_FILE"] = str(
            Path(__file__).parent / "services" / "identification" / "methods.json"
        )


def _load_development_secrets(app: Flask) -> None:
    """In development only, take missing secrets from ``instance/secrets.json``.

    ``make demo`` writes that file once (``python -m app.devsecrets``), so a
    demo keeps its sessions and identity references across restarts.
    """
    path = Path(app.instance_path) / DEV_SECRETS_FILE
    if not path.exists():
        return
    stored = json.loads(path.read_text(encoding="utf-8"))
    for name in REQUIRED_SECRETS:
        if not app.config.get(name) and stored.get(name):
            app.config[name] = stored[name]


def _check_required(app: Flask) -> None:
    if app.config["ENV"] == "development":
        _load_development_secrets(app)
    missing = [name for name in REQUIRED_SECRETS if not app.config.get(name)]
    if missing:
        raise MissingSettingError(missing)
