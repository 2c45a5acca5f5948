"""Terms of use as versioned data.

The newest published version applies. Until an operator publishes one
(``flask --app wsgi terms publish``), the version shipped in
``app/services/terms/default/`` applies, so a fresh install has terms to accept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.i18n import LANGUAGES
from app.models import TermsVersion

DEFAULT_DIR = Path(__file__).parent / "default"
DEFAULT_VERSION = "2026-11-25"
DEFAULT_PUBLISHED = datetime(2026, 11, 25, tzinfo=UTC)


@dataclass(frozen=True)
class Terms:
    version: str
    published_at: datetime
    texts: dict[str, str]

    def text(self, language: str) -> str:
        return self.texts.get(language) or self.texts["sv"]

    def blocks(self, language: str) -> list[tuple[str, str]]:
        """The text as ``("heading" | "paragraph", text)`` blocks for the template."""
        result = []
        for block in self.text(language).strip().split("\n\n"):
            block = " ".join(line.strip() for line in block.strip().splitlines())
            if block.startswith("## "):
                result.append(("heading", block[3:].strip()))
            elif block:
                result.append(("paragraph", block))
        return result


class TermsError(ValueError):
    """A version cannot be published; the message says why."""


def default_terms() -> Terms:
    texts = {code: (DEFAULT_DIR / f"{code}.txt").read_text(encoding="utf-8") for code in LANGUAGES}
    return Terms(DEFAULT_VERSION, DEFAULT_PUBLISHED, texts)


def current() -> Terms:
    """The version in force: the newest published, else the shipped default (one query)."""
    row = db.session.scalar(
        select(TermsVersion).order_by(TermsVersion.published_at.desc(), TermsVersion.id.desc())
    )
    if row is None:
        return default_terms()
    return Terms(row.version, row.published_at, dict(row.texts))


def publish(version: str, files: dict[str, Path], published_at: datetime | None = None) -> Terms:
    """Store a new version; every portal language needs a non-empty text."""
    version = version.strip()
    if not version or len(version) > 40:
        raise TermsError("the version must be 1 to 40 characters")
    missing = [code for code in LANGUAGES if code not in files]
    if missing:
        raise TermsError(f"a text is needed for every language; missing: {', '.join(missing)}")
    texts = {}
    for code, path in files.items():
        try:
            text = Path(path).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            raise TermsError(f"{path}: {error}") from None
        if not text:
            raise TermsError(f"{path}: the text is empty")
        texts[code] = text
    row = TermsVersion(version=version, texts=texts, published_at=published_at or datetime.now(UTC))
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise TermsError(f"version {version} has already been published") from None
    return Terms(row.version, row.published_at, texts)
