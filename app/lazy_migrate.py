"""Flask-Migrate, loaded only when used: a web worker never imports Alembic."""

from __future__ import annotations

import click
from flask import Flask, g
from flask.cli import with_appcontext

from app import resources


class LazyMigrate:
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

        directory = str(resources.MIGRATIONS)
        Migrate(self.app, db, directory=directory, render_as_batch=True)
        return getattr(self.app.extensions["migrate"], name)


class LazyDbCommands(click.Group):
    """``flask db …``: Flask-Migrate's commands, imported when the group is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from flask_migrate.cli import db

        return db.list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        from flask_migrate.cli import db

        return db.get_command(ctx, name)


@click.group("db", cls=LazyDbCommands)
@click.option("-d", "--directory", default=None, help="Migration script directory")
@click.option("-x", "--x-arg", multiple=True, help="Additional arguments for env.py")
@with_appcontext
def db_commands(directory: str | None, x_arg: tuple[str, ...]) -> None:
    """Perform database migrations (Flask-Migrate's ``db`` group, loaded when used)."""
    g.directory = directory
    g.x_arg = x_arg
