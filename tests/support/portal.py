"""Settings for portal hosts run as real gunicorn masters in tests."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from app.extensions import db
from tests.conftest import base_settings, make_app


def portal_env(issuer: str, database_url: str, redis_url: str = "", **extra: str) -> dict:
    """The environment of one portal host; hosts given the same values share one state."""
    env = {
        "SELFIE_ENV": "development",  # plain http on loopback
        "SELFIE_SECRET_KEY": "host-test-secret-" + uuid.uuid4().hex,
        "SELFIE_IDENTITY_KEY": "test-identity-key",
        "SELFIE_DATABASE_URL": database_url,
        "SELFIE_IDENTITY_ALLOW_TEMPORARY": "true",
        "SELFIE_OIDC_ISSUER": issuer,
        "SELFIE_OIDC_CLIENT_ID": "selfie-test",
        "SELFIE_OIDC_CLIENT_SECRET": "selfie-test-secret",
        "SELFIE_RATELIMIT_ENABLED": "false",
    }
    if redis_url:
        env["SELFIE_REDIS_URL"] = redis_url
    return env | extra


def migrate(tmp_path, issuer: str, database_url: str) -> None:
    """Build the schema through the real migrations before the hosts start."""
    app = make_app(base_settings(tmp_path, issuer) | {"DATABASE_URL": database_url})
    with app.app_context():
        db.engine.dispose()


def count(database_url: str, table: str) -> int:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.scalar(sa.text(f"SELECT count(*) FROM {table}"))  # noqa: S608
    finally:
        engine.dispose()
