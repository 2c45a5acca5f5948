"""Language choice: cookie first, then the signed-in account, then Accept-Language.

Swedish is the fallback: the operator's published instructions are Swedish,
and an unknown or malformed language header must never break a page.
"""

from __future__ import annotations

from flask import Response, current_app, request
from flask_login import current_user

LANGUAGES: dict[str, str] = {"sv": "Svenska", "fi": "Suomi", "en": "English"}
DEFAULT_LANGUAGE = "sv"
COOKIE_NAME = "selfie_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def is_supported(code: str | None) -> bool:
    return code in LANGUAGES


def select_locale() -> str:
    """Flask-Babel's locale selector."""
    cookie = request.cookies.get(COOKIE_NAME)
    if is_supported(cookie):
        return cookie
    # A customer's account remembers a language; a staff account has none (the cookie decides).
    saved = getattr(current_user, "language", None) if current_user else None
    if current_user and current_user.is_authenticated and is_supported(saved):
        return saved
    try:
        negotiated = request.accept_languages.best_match(list(LANGUAGES))
    except (ValueError, TypeError):  # pragma: no cover - werkzeug already tolerates junk
        negotiated = None
    return negotiated or DEFAULT_LANGUAGE


def remember_language(response: Response, code: str) -> Response:
    """Store the choice in a long-lived cookie (not a secret, readable by the browser)."""
    response.set_cookie(
        COOKIE_NAME,
        code,
        max_age=COOKIE_MAX_AGE,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
    )
    return response


def fill_english_catalogue(path: str) -> int:
    """The msgids are English: fill each empty English msgstr with its msgid.

    Run by ``make translations-update`` so the English catalogue never has
    an untranslated entry. Returns how many entries were filled.
    """
    from babel.messages.pofile import read_po, write_po

    with open(path, "rb") as handle:
        catalogue = read_po(handle, locale="en")
    filled = 0
    for message in catalogue:
        if message.id and not message.string:
            message.string = message.id
            filled += 1
        if message.fuzzy:
            message.flags.discard("fuzzy")
    with open(path, "wb") as handle:
        write_po(handle, catalogue, sort_output=True, no_location=True, width=100)
    return filled


if __name__ == "__main__":  # python -m app.i18n app/translations/en/LC_MESSAGES/messages.po
    import sys

    print(f"filled {fill_english_catalogue(sys.argv[1])} English entries")
