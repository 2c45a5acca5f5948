"""``/healthz`` and ``/readyz`` for the proxy, systemd and monitoring.

``/healthz`` says only that the process answers. ``/readyz`` says whether this
host can serve customers now: the database answers, Redis answers (when
configured), the identification broker's discovery document is reachable and
every catalogue is present. Each check is named with ``ok`` or ``failed`` and
nothing more (no addresses, versions or error texts; the reason goes to the
log). Neither endpoint opens a session or sets a cookie, and neither is rate
limited, so a load balancer polling every second costs no session row and can
never lock itself out.
"""

from __future__ import annotations

from pathlib import Path

import requests
from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db, limiter
from app.i18n import LANGUAGES
from app.resources import catalogue_problem

bp = Blueprint("health", __name__)
PATHS = frozenset({"/healthz", "/readyz"})
#: Seconds a readiness probe waits for the broker at most (the probe itself must stay quick).
BROKER_PROBE_TIMEOUT = 3.0


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    checks = {
        "database": _database(),
        "redis": _redis(),
        "broker": _broker(),
        "catalogues": _catalogues(),
    }
    checks = {name: state for name, state in checks.items() if state is not None}
    ready = all(state == "ok" for state in checks.values())
    return jsonify(status="ready" if ready else "unavailable", checks=checks), 200 if ready else 503


def _failed(name: str, error: Exception) -> str:
    current_app.logger.warning("readiness: %s failed: %s", name, type(error).__name__)
    return "failed"


def _database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except SQLAlchemyError as error:
        return _failed("database", error)
    finally:
        db.session.remove()


def _redis() -> str | None:
    client = current_app.config.get("SESSION_REDIS")
    if client is None:
        return None  # not configured: sessions and counters live elsewhere
    import redis

    try:
        client.ping()
        return "ok"
    except redis.RedisError as error:
        return _failed("redis", error)


def _broker() -> str:
    issuer = str(current_app.config["OIDC_ISSUER"]).rstrip("/")
    if not issuer:
        return _failed("broker", LookupError("SELFIE_OIDC_ISSUER is not set"))
    timeout = min(float(current_app.config["OIDC_TIMEOUT"]), BROKER_PROBE_TIMEOUT)
    try:
        response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=timeout)
        response.raise_for_status()
        if response.json().get("issuer"):
            return "ok"
        return _failed("broker", ValueError("discovery document without issuer"))
    except (requests.RequestException, ValueError) as error:
        return _failed("broker", error)


def _catalogues() -> str:
    directory = Path(current_app.config["BABEL_TRANSLATION_DIRECTORIES"])
    missing = [lang for lang in LANGUAGES if catalogue_problem(directory, lang) is not None]
    return _failed("catalogues", LookupError(", ".join(missing))) if missing else "ok"


def register(app: Flask) -> None:
    """Add the endpoints, exempt from rate limits (app/sessionstore.py keeps sessions away)."""
    limiter.exempt(bp)
    app.register_blueprint(bp)
