"""The web layer's shared wiring: blueprints, template helpers, error pages."""

from __future__ import annotations

import functools
import re
from datetime import datetime

from babel.dates import format_date as babel_format_date
from babel.numbers import format_currency, format_decimal
from flask import Flask, current_app, render_template
from flask_babel import get_locale, to_user_timezone
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from app.i18n import LANGUAGES
from app.services.accounts import passwords
from app.services.identification import BrokerMisconfigured, BrokerUnavailable

ERROR_TEXTS = {
    400: (_l("The request could not be understood"), _l("Please go back and try again.")),
    403: (_l("Access denied"), _l("You do not have access to this page.")),
    404: (_l("Page not found"), _l("The page you asked for does not exist or has moved.")),
    405: (_l("Not allowed"), _l("This address cannot be used that way.")),
    429: (
        _l("Too many attempts"),
        _l("You have tried too many times in a short while. Please wait a moment and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l("We could not complete your request. Nothing was saved. Please try again shortly."),
    ),
    503: (
        _l("The service is temporarily unavailable"),
        _l("Please try again in a few minutes. Nothing was saved."),
    ),
}


def register_blueprints(app: Flask) -> None:
    from app.web.account import bp as account_bp
    from app.web.auth import bp as auth_bp
    from app.web.invoices import bp as invoices_bp
    from app.web.main import bp as main_bp
    from app.web.registration import bp as registration_bp
    from app.web.requests import bp as requests_bp
    from app.web.staff import bp as staff_bp
    from app.web.terms import bp as terms_bp

    for blueprint in (
        main_bp,
        auth_bp,
        terms_bp,
        registration_bp,
        account_bp,
        invoices_bp,
        requests_bp,
        staff_bp,
    ):
        app.register_blueprint(blueprint)


def phone_href(phone: str) -> str:
    """``06 786 8222`` → ``tel:+35867868222`` (Finnish national to international)."""
    digits = re.sub(r"[^\d+]", "", phone)
    if digits.startswith("0") and not digits.startswith("00"):
        digits = "+358" + digits[1:]
    return f"tel:{digits}"


def support_hours(value: str) -> str:
    """The hours setting: the keyword ``weekdays`` is translated, anything else shown as set."""
    return str(_l("weekdays")) if value == "weekdays" else value


#: Finland's usage: 1.3.2021 in Swedish and Finnish; an unambiguous form in English.
SHORT_DATE = {"sv": "d.M.y", "fi": "d.M.y", "en": "d MMM y"}
#: Babel locale for each portal language's long dates and money (British English, not US).
FORMAT_LOCALE = {"sv": "sv_FI", "fi": "fi_FI", "en": "en_IE"}


def _language() -> str:
    return str(get_locale() or "sv")


def money(value) -> str:
    """``39.90`` → ``39,90 €`` in sv and fi, ``€39.90`` in en."""
    return _money(value, _language())


@functools.lru_cache(maxsize=2048)
def _money(value, language: str) -> str:
    """Pure formatting of a price, kept: Babel parses its pattern on every call, and a
    services page formats the same few prices again and again (no personal data)."""
    if language == "en":
        return format_currency(value, "EUR", locale=FORMAT_LOCALE["en"])
    return f"{format_decimal(value, format='#,##0.00', locale=FORMAT_LOCALE[language])} €"


def _local(value):
    """Times are stored in UTC; a date shown to a customer is the day in Finland."""
    return to_user_timezone(value).date() if isinstance(value, datetime) else value


def short_date(value) -> str:
    return _short_date(_local(value), _language())


@functools.lru_cache(maxsize=4096)
def _short_date(value, language: str) -> str:
    """Pure formatting of a date (see ``_money``)."""
    pattern = SHORT_DATE.get(language, "d.M.y")
    return babel_format_date(value, pattern, locale=FORMAT_LOCALE.get(language, "sv_FI"))


def long_date(value) -> str:
    return babel_format_date(_local(value), "long", locale=_babel_locale())


def _babel_locale() -> str:
    return FORMAT_LOCALE.get(_language(), "sv_FI")


def register_template_helpers(app: Flask) -> None:
    @app.context_processor
    def portal_context() -> dict[str, object]:
        config = current_app.config
        return {
            "languages": LANGUAGES,
            "current_language": str(get_locale() or "sv"),
            "operator_name": config["OPERATOR_NAME"],
            "password_rules": {"min": passwords.MIN_LENGTH, "max": passwords.MAX_LENGTH},
            "support": {
                "phone": config["SUPPORT_PHONE"],
                "phone_href": phone_href(config["SUPPORT_PHONE"]),
                "email": config["SUPPORT_EMAIL"],
                "hours": support_hours(config["SUPPORT_HOURS"]),
            },
        }

    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["short_date"] = short_date
    app.jinja_env.filters["long_date"] = long_date


def render_error(status: int, title=None, message=None, **extra):
    default_title, default_message = ERROR_TEXTS.get(status, ERROR_TEXTS[500])
    return (
        render_template(
            "errors/error.html",
            status=status,
            title=title or default_title,
            message=message or default_message,
            **extra,
        ),
        status,
    )


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return render_error(
            400,
            _l("Your session has expired"),
            _l(
                "For your security the form could not be sent. This happens when a page has "
                "been open for a long time or was sent twice. Please start again."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        response = render_error(error.code or 500)
        if error.code == 429:
            retry = getattr(error, "retry_after", None)
            headers = {"Retry-After": str(retry)} if retry else {}
            return response[0], 429, headers
        return response

    @app.errorhandler(BrokerUnavailable)
    def broker_unavailable(error):
        current_app.logger.warning("identification broker unavailable: %s", error)
        return render_error(
            503,
            _l("Identification is temporarily unavailable"),
            _l(
                "We could not reach the identification service. Nothing was saved. "
                "Please try again in a few minutes."
            ),
        )

    @app.errorhandler(BrokerMisconfigured)
    def broker_misconfigured(error):
        current_app.logger.error("identification broker misconfigured: %s", error)
        return render_error(503, _l("Identification is temporarily unavailable"))

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(error):
        from app.extensions import db

        db.session.rollback()
        current_app.logger.error("database unavailable", exc_info=error)
        return render_error(503)

    @app.errorhandler(500)
    def internal_error(error):
        from app.extensions import db
        from app.sessionstore import is_unavailable

        db.session.rollback()
        if is_unavailable(getattr(error, "original_exception", None)):
            current_app.logger.error("a backing server is unavailable", exc_info=error)
            return render_error(503)
        return render_error(500)
