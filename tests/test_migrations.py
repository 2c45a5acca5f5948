"""The migrations and the models agree: an empty database upgraded to head has exactly
the models' schema, and the newest migration can be undone and redone.

Runs on SQLite, and on PostgreSQL when ``SELFIE_TEST_DATABASE_URL`` is set
(``make test-postgres``), plus once on the PostgreSQL server directly.
"""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from app.extensions import db
from app.resources import MIGRATIONS
from tests.conftest import make_app


def _not_flask_sessions(obj, name, type_, reflected, compare_to) -> bool:
    """Flask-Session creates and owns its table; the migrations leave it alone (as env.py)."""
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return getattr(table, "name", None) != "sessions"


def schema_differences(app) -> list:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"include_object": _not_flask_sessions, "compare_type": True},
        )
        return compare_metadata(context, db.metadata)


def current_revision(app) -> str | None:
    with app.app_context(), db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _check_upgrade_gives_the_models(app) -> None:
    assert schema_differences(app) == []
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert current_revision(app) == head


def test_upgrading_an_empty_database_gives_exactly_the_models_schema(app):
    _check_upgrade_gives_the_models(app)


@pytest.mark.postgres
def test_upgrading_an_empty_postgresql_database_gives_exactly_the_models_schema(
    settings, postgres_url
):
    app = make_app(settings | {"DATABASE_URL": postgres_url})
    try:
        _check_upgrade_gives_the_models(app)
    finally:
        with app.app_context():
            db.engine.dispose()


def test_the_newest_migration_downgrades_one_step_and_upgrades_again(app):
    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_revision(script.get_current_head())
    with app.app_context():
        downgrade(revision="-1")
    assert current_revision(app) == head.down_revision
    assert schema_differences(app) != []  # the newest migration's change is gone
    with app.app_context():
        upgrade()
    assert current_revision(app) == head.revision
    assert schema_differences(app) == []


def test_a_difference_between_models_and_database_is_found(app):
    """The comparison itself can fail: drop an index the models declare."""
    from sqlalchemy import text

    with app.app_context():
        index = next(i for t in db.metadata.sorted_tables for i in t.indexes)
        db.session.execute(text(f"DROP INDEX {index.name}"))
        db.session.commit()
    assert schema_differences(app) != []
