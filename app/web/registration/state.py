"""The registration record, kept in the server-side session.

It advances step by step (terms accepted → identification pending →
identified) and is checked at each step, never trusted from the browser.
In code the pending request and the identification result are typed
records; in the session they are plain dicts (JSON- and pickle-safe,
whatever the session store). The result holds the keyed hash, never the
code, expires after ten minutes and is consumed when the account is created.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from flask import session

from app.services.identification import Identified, PendingIdentification

KEY = "registration"
IDENTIFIED_MAX_AGE_SECONDS = 10 * 60


@dataclass
class RegistrationState:
    terms_version: str | None = None
    terms_accepted_at: int | None = None
    pending: PendingIdentification | None = None
    identified: Identified | None = None
    identified_at: int | None = None

    @classmethod
    def load(cls) -> RegistrationState:
        """The record in the session; a part that does not read back counts as missing."""
        raw = session.get(KEY)
        if not isinstance(raw, dict):
            return cls()
        return cls(
            terms_version=raw.get("terms_version"),
            terms_accepted_at=raw.get("terms_accepted_at"),
            pending=_read(PendingIdentification.from_dict, raw.get("pending")),
            identified=_read(lambda data: Identified(**data), raw.get("identified")),
            identified_at=raw.get("identified_at"),
        )

    def save(self) -> None:
        session[KEY] = {
            "terms_version": self.terms_version,
            "terms_accepted_at": self.terms_accepted_at,
            "pending": self.pending.to_dict() if self.pending else None,
            "identified": asdict(self.identified) if self.identified else None,
            "identified_at": self.identified_at,
        }

    @staticmethod
    def clear() -> None:
        session.pop(KEY, None)

    # -- step 1: terms ----------------------------------------------------
    def accept_terms(self, version: str) -> None:
        self.terms_version = version
        self.terms_accepted_at = int(time.time())

    def withdraw_terms(self) -> None:
        self.terms_version = None
        self.terms_accepted_at = None

    @property
    def terms_accepted_time(self) -> datetime:
        return datetime.fromtimestamp(int(self.terms_accepted_at or 0), UTC)

    @property
    def terms_accepted(self) -> bool:
        return bool(self.terms_version and self.terms_accepted_at)

    # -- step 2: identification under way ---------------------------------
    def start_identification(self, pending: PendingIdentification) -> None:
        self.pending = pending
        self.identified = None
        self.identified_at = None

    def take_pending(self) -> PendingIdentification | None:
        """The pending request, removed so that a callback can be used only once."""
        pending, self.pending = self.pending, None
        return pending

    # -- step 3: identified -----------------------------------------------
    def record_identified(self, identified: Identified) -> None:
        self.identified = identified
        self.identified_at = int(time.time())

    def current_identification(self) -> Identified | None:
        """The identification result while it is fresh, else None."""
        if self.identified is None or not self.identified_at:
            return None
        if time.time() - self.identified_at > IDENTIFIED_MAX_AGE_SECONDS:
            return None
        return self.identified

    @property
    def identification_expired(self) -> bool:
        return self.identified is not None and self.current_identification() is None


def _read(parse, data):
    """``parse(data)`` for a stored dict; None for a missing or unreadable one."""
    if not isinstance(data, dict):
        return None
    try:
        return parse(data)
    except (KeyError, TypeError, ValueError):
        return None
