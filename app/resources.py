"""Files the running portal reads from its own package, found through ``importlib.resources``.

Templates, static files, compiled catalogues and migrations ship inside the
``app`` package, so a checkout and an installed wheel find them the same way
(never through a folder above the package, which a wheel does not have).

A portal without its compiled catalogues would silently speak English under
``<html lang="sv">``; :func:`check_catalogues` makes it refuse to start
instead, naming the language.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files
from pathlib import Path

from flask import Flask

from app.i18n import LANGUAGES

CATALOGUE = Path("LC_MESSAGES") / "messages.mo"


def package_folder(name: str) -> Path:
    """A folder inside the installed ``app`` package as a real path (Flask and Alembic need one)."""
    return Path(str(files("app") / name))


STATIC = package_folder("static")
TRANSLATIONS = package_folder("translations")
MIGRATIONS = package_folder("migrations")


@cache
def static_version() -> str:
    """A short digest of every static file: the ``?v=`` on static URLs.

    nginx serves ``/static/`` with a one-year immutable cache; a release that
    changes any static file changes this digest, so browsers fetch it anew.
    """
    digest = hashlib.sha256()
    for path in sorted(p for p in STATIC.rglob("*") if p.is_file()):
        digest.update(path.relative_to(STATIC).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _version_static_urls(endpoint: str, values: dict) -> None:
    if endpoint == "static":
        values.setdefault("v", static_version())


class CatalogueError(RuntimeError):
    """Raised at start-up when a language's compiled catalogue is missing or outdated."""

    def __init__(self, language: str, problem: str):
        self.language = language
        super().__init__(
            f"Selfie cannot start: the {LANGUAGES.get(language, language)} ({language}) "
            f"catalogue {problem}; run `make translations-compile` (or build the release)"
        )


def catalogue_problem(directory: Path, language: str) -> str | None:
    """Why ``language``'s catalogue cannot be used, or None when it can.

    In a checkout the ``.po`` source lies beside the ``.mo``; a ``.mo`` older
    than its source would serve yesterday's texts. A wheel ships only ``.mo``.
    """
    compiled = directory / language / CATALOGUE
    if not compiled.is_file():
        return f"is missing ({compiled.name} not found)"
    source = compiled.with_suffix(".po")
    if source.is_file() and source.stat().st_mtime > compiled.stat().st_mtime:
        return "is older than its messages.po"
    return None


def check_catalogues(directory: Path) -> None:
    """Refuse to start unless every portal language has a current compiled catalogue."""
    for language in LANGUAGES:
        problem = catalogue_problem(directory, language)
        if problem:
            raise CatalogueError(language, problem)


def register(app: Flask) -> None:
    """Point Flask-Babel at the catalogues, check them, and version the static URLs."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    check_catalogues(Path(app.config["BABEL_TRANSLATION_DIRECTORIES"]))
    app.url_defaults(_version_static_urls)
