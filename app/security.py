"""Cross-cutting protections: log masking, proxy trust, session timeouts, headers."""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

from flask import Flask, Response, request, session
from flask_login import current_user, logout_user
from werkzeug.middleware.proxy_fix import ProxyFix

from app import roles
from app.services.identity_codes import mask
from app.sessions import STARTED_KEY

#: Blueprints whose pages carry registration state or personal data.
PRIVATE_BLUEPRINTS = {"registration", "terms", "auth", "account", "staff"}


class IdentityCodeFilter(logging.Filter):
    """Masks anything shaped like a personal identity code in every log record.

    The message is formatted with its arguments first, so a code passed as an
    argument is caught too; an exception's text and a stack are masked as
    well. A record with nothing to mask is left as it was (arguments and
    ``exc_info`` intact for other handlers). A broken logging call (wrong
    arguments) is kept readable instead of raising into the caller.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        broken = False
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):
            broken = True
            message = f"{record.msg} (unformattable arguments: {record.args!r})"
        masked = mask(message)
        exception = record.exc_text
        if not exception and record.exc_info and record.exc_info[1] is not None:
            exception = logging.Formatter().formatException(record.exc_info)
        if exception and mask(exception) != exception:
            masked = f"{masked}\n{mask(exception)}"
            record.exc_info, record.exc_text = None, None
        if broken or masked != message:
            record.msg, record.args = masked, None
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True


_filter = IdentityCodeFilter()


def _masking_factory(make_record):
    """Wrap a log record factory so every record is masked as it is made."""

    def make_masked_record(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        _filter.filter(record)
        return record

    make_masked_record.selfie_masking = True  # type: ignore[attr-defined]
    return make_masked_record


def register_logging(app: Flask) -> None:
    """Mask every log record where it is made, and on the handlers and loggers known now.

    The record factory covers every logger and every handler, including ones
    configured later (Alembic's ``fileConfig`` replaces the root handlers
    when migrations run in the process; gunicorn adds its own).
    """
    if not getattr(logging.getLogRecordFactory(), "selfie_masking", False):
        logging.setLogRecordFactory(_masking_factory(logging.getLogRecordFactory()))
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    for handler in [*root.handlers, *app.logger.handlers]:
        if _filter not in handler.filters:
            handler.addFilter(_filter)
    for name in ("werkzeug", "selfie", app.logger.name):
        logger = logging.getLogger(name)
        if _filter not in logger.filters:
            logger.addFilter(_filter)


def register_request_guards(app: Flask) -> None:
    hops = int(app.config["PROXY_HOPS"])
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    app.before_request(_absolute_timeout)
    roles.register(app)  # after the timeout: an expired session is nobody's
    app.after_request(_security_headers)


def _absolute_timeout() -> None:
    """End a session older than the absolute limit, however active it has been."""
    from flask import current_app

    started = session.get(STARTED_KEY)
    limit = int(current_app.config["SESSION_ABSOLUTE_HOURS"]) * 3600
    if started is not None and time.time() - int(started) > limit:
        logout_user()
        session.clear()
    elif started is None and session.get("_user_id"):
        session[STARTED_KEY] = int(time.time())


def _form_action_sources(issuer: str) -> str:
    parts = urlsplit(issuer)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return " ".join(filter(None, ["'self'", origin]))


def _security_headers(response: Response) -> Response:
    from flask import current_app

    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        f"form-action {_form_action_sources(current_app.config['OIDC_ISSUER'])}; "
        "frame-ancestors 'none'",
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault(
        "Permissions-Policy",
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    )
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    private = request.blueprint in PRIVATE_BLUEPRINTS or current_user.is_authenticated
    if private and request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
        headers.setdefault("Pragma", "no-cache")
    return response
