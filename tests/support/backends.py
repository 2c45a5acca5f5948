"""One test on both databases: the portal migrated on SQLite or on a fresh PostgreSQL."""

from __future__ import annotations

import pytest

from app.extensions import db
from tests.conftest import make_app

#: ``@pytest.fixture(params=BACKENDS)``: the PostgreSQL run carries the postgres mark.
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def app_on_backend(request, settings):
    """Yield the app on ``request.param``'s database (a generator fixture's body)."""
    if request.param == "postgresql":
        settings = settings | {"DATABASE_URL": request.getfixturevalue("postgres_url")}
    else:  # SQLite even when the whole suite runs on PostgreSQL (make test-postgres)
        sqlite_file = request.getfixturevalue("tmp_path") / "backend.sqlite3"
        settings = settings | {"DATABASE_URL": f"sqlite:///{sqlite_file}"}
    application = make_app(settings)
    with application.app_context():
        assert db.engine.dialect.name == request.param
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
