"""Settings: defaults overridden from the environment (prefix ``SELFIE_``).

Each setting is declared once, in ``app.settings_table.SETTINGS``; this
module reads them, derives Flask's own keys and checks them at start-up.
Secrets have no defaults: outside development the portal refuses to start
without them, naming the missing setting, so a misconfigured server fails
loudly instead of running with a guessable key.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

from flask import Flask

from app.settings_table import BY_NAME, REQUIRED_SECRETS, SETTINGS, json_value

DEV_SECRETS_FILE = "secrets.json"


class MissingSettingError(RuntimeError):
    """Raised at start-up when a required setting is absent."""

    def __init__(self, names: list[str]):
        self.names = names
        listed = ", ".join(f"SELFIE_{name}" for name in names)
        super().__init__(f"Selfie cannot start: missing required setting(s): {listed}")


def from_environment(name: str) -> object | None:
    """The setting ``name`` as the environment gives it, parsed; None when unset."""
    raw = os.environ.get(f"SELFIE_{name}")
    return None if raw is None else BY_NAME[name].parse(raw)


def instance_path() -> str | None:
    """Where the instance folder is: needed before the app (and its config) exists.

    Unset, Flask chooses: ``instance/`` beside a checkout, ``<prefix>/var/app-instance``
    for an installed wheel."""
    return str(from_environment("INSTANCE_PATH") or "") or None


def load_settings(app: Flask, overrides: dict[str, object] | None = None) -> None:
    """Fill ``app.config`` from defaults, the environment and ``overrides``.

    ``overrides`` is how tests configure an app; the environment is how an
    operator does. Each value in the environment is parsed as its ``Setting``
    says (``SELFIE_PROXY_HOPS=1`` becomes the integer 1, a numeric key stays text).
    """
    app.config.from_prefixed_env("SELFIE", loads=json_value)  # settings Flask itself reads
    for setting in SETTINGS:
        if setting.in_config:
            value = from_environment(setting.name)
            app.config[setting.name] = setting.default if value is None else value
    if overrides:
        app.config.update(overrides)
    _check_environment(app)
    _derive(app)
    _check_required(app)


ENVIRONMENTS = ("production", "development")


class InvalidSettingError(RuntimeError):
    """Raised at start-up when a setting has a value the portal cannot use."""


def _check_environment(app: Flask) -> None:
    """Only production and development (the test suite runs development, TESTING on)."""
    env = app.config["ENV"]
    if env in ENVIRONMENTS:
        return
    raise InvalidSettingError(
        f"Selfie cannot start: SELFIE_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}"
    )


def is_development(app: Flask) -> bool:
    """Development relaxes transport rules (plain http on loopback)."""
    return app.config["ENV"] == "development"


def _derive(app: Flask) -> None:
    config = app.config
    instance = Path(app.instance_path)
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{instance / 'selfie.sqlite3'}"
    config["SQLALCHEMY_DATABASE_URI"] = config["DATABASE_URL"]
    config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
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
