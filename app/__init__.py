"""Selfie: the customer self-service portal.

``create_app`` is a list of short ``register_*`` steps; each blueprint owns
its routes, forms and templates, and domain rules live in plain modules.
"""

from __future__ import annotations

from flask import Flask

from app import resources
from app.settings import instance_path, load_settings


def create_app(overrides: dict[str, object] | None = None) -> Flask:
    """Build the portal. ``overrides`` replaces settings (tests use it)."""
    app = Flask(
        __name__,
        static_folder=str(resources.STATIC),
        instance_path=instance_path(),
    )
    load_settings(app, overrides)
    resources.register(app)
    from app import requestlog, security, web

    security.register_logging(app)
    requestlog.choose_format(app)
    register_extensions(app)
    web.register_blueprints(app)
    web.register_template_helpers(app)
    web.register_error_handlers(app)
    security.register_request_guards(app)
    register_commands(app)
    register_operations(app)
    return app


def register_extensions(app: Flask) -> None:
    from app import extensions, i18n, lazy_migrate, light_sessions, sessions
    from app.request_models import Request  # noqa: F401 - the requests tables join the metadata

    extensions.db.init_app(app)
    app.extensions["migrate"] = lazy_migrate.LazyMigrate(app)
    app.cli.add_command(lazy_migrate.db_commands)
    extensions.babel.init_app(app, locale_selector=i18n.select_locale)
    extensions.csrf.init_app(app)
    sessions.configure(app)
    extensions.server_session.init_app(app)
    light_sessions.install(app)
    extensions.login_manager.init_app(app)
    extensions.limiter.init_app(app)
    extensions.identification_broker.init_app(app)


def register_operations(app: Flask) -> None:
    """Health endpoints, the session store guard and the request log (outermost)."""
    from app import health, requestlog, sessionstore

    health.register(app)
    sessionstore.register(app)
    requestlog.register(app)


def register_commands(app: Flask) -> None:
    from app.commands import register

    register(app)
