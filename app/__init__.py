"""Selfie: the customer self-service portal.

``create_app`` is a list of short ``register_*`` steps; each blueprint owns
its routes, forms and templates, and domain rules live in plain modules.
"""

from __future__ import annotations

import os

import click
from flask import Flask, g
from flask.cli import with_appcontext

from app.settings import PROJECT_ROOT, load_settings


def create_app(overrides: dict[str, object] | None = None) -> Flask:
    """Build the portal. ``overrides`` replaces settings (tests use it)."""
    app = Flask(
        __name__,
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=os.environ.get("SELFIE_INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
    )
    load_settings(app, overrides)
    from app import security, web

    security.register_logging(app)
    register_extensions(app)
    web.register_blueprints(app)
    web.register_template_helpers(app)
    web.register_error_handlers(app)
    security.register_request_guards(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    from app import extensions, i18n, light_sessions, sessions

    extensions.db.init_app(app)
    app.extensions["migrate"] = _LazyMigrate(app)
    app.cli.add_command(db_commands)
    extensions.babel.init_app(app, locale_selector=i18n.select_locale)
    extensions.csrf.init_app(app)
    sessions.configure(app)
    extensions.server_session.init_app(app)
    light_sessions.install(app)
    extensions.login_manager.init_app(app)
    extensions.limiter.init_app(app)


class _LazyMigrate:
    """Flask-Migrate's entry in ``app.extensions``, set up on first use.

    Flask-Migrate imports Alembic (about 20 MiB), which a web worker never
    needs: ``flask db …`` and ``flask_migrate.upgrade()`` read this entry, and
    only then is the real one made.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app

    def __getattr__(self, name: str) -> object:
        from flask_migrate import Migrate

        from app.extensions import db

        directory = str(PROJECT_ROOT / "migrations")
        Migrate(self.app, db, directory=directory, render_as_batch=True)
        return getattr(self.app.extensions["migrate"], name)


class _LazyDbCommands(click.Group):
    """``flask db …``: Flask-Migrate's commands, imported when the group is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from flask_migrate.cli import db

        return db.list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        from flask_migrate.cli import db

        return db.get_command(ctx, name)


@click.group("db", cls=_LazyDbCommands)
@click.option("-d", "--directory", default=None, help="Migration script directory")
@click.option("-x", "--x-arg", multiple=True, help="Additional arguments for env.py")
@with_appcontext
def db_commands(directory: str | None, x_arg: tuple[str, ...]) -> None:
    """Perform database migrations (Flask-Migrate's ``db`` group, loaded when used)."""
    g.directory = directory
    g.x_arg = x_arg


def register_commands(app: Flask) -> None:
    from app.commands import register

    register(app)
