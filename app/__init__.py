"""Selfie: the customer self-service portal.

``create_app`` is a list of short ``register_*`` steps; each blueprint owns
its routes, forms and templates, and domain rules live in plain modules.
"""

from __future__ import annotations

import os

from flask import Flask

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
    extensions.migrate.init_app(
        app, extensions.db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True
    )
    extensions.babel.init_app(app, locale_selector=i18n.select_locale)
    extensions.csrf.init_app(app)
    sessions.configure(app)
    extensions.server_session.init_app(app)
    light_sessions.install(app)
    extensions.login_manager.init_app(app)
    extensions.limiter.init_app(app)


def register_commands(app: Flask) -> None:
    from app.commands import register

    register(app)
