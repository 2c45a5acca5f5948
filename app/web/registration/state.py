"""The registration record: one small, typed dict in the server-side session.

It advances step by step (terms accepted → identification pending →
identified) and is checked at each step, never trusted from the browser.
The identification result holds the keyed hash, never the code, expires
after ten minutes and is consumed when the account is created.
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
    pending: dict | None = None
    identified: dict | None = None
    identified_at: int | None = None

    @classmethod
    def load(cls) -> RegistrationState:
        raw = session.get(KEY)
        if not isinstance(raw, dict):
            return cls()
        known = {name: raw.get(name) for name in cls.__dataclass_fields__}
        return cls(**known)

    def save(self) -> None:
        session[KEY] = asdict(self)

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
        self.pending = pending.to_dict()
        self.identified = None
        self.identified_at = None

    def take_pending(self) -> PendingIdentification | None:
        """The pending request, removed so that a callback can be used only once."""
        raw, self.pending = self.pending, None
        try:
            return PendingIdentification.from_dict(raw) if raw else None
        except (KeyError, TypeError, ValueError):
            return None

    # -- step 3: identified -----------------------------------------------
    def record_identified(self, identified: Identified) -> None:
        self.identified = asdict(identified)
        self.identified_at = int(time.time())

    def current_identification(self) -> Identified | None:
        """The identification result while it is fresh, else None."""
        if not self.identified or not self.identified_at:
            return None
        if time.time() - self.identified_at > IDENTIFIED_MAX_AGE_SECONDS:
            return None
        try:
            return Identified(**self.identified)
        except TypeError:
            return None

    @property
    def identification_expired(self) -> bool:
        return bool(self.identified) and self.current_identification() is None
