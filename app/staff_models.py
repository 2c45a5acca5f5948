"""Customer-service staff: a kind of account of its own, apart from customers' accounts.

Staff sign in at ``/staff/login`` with a password and a TOTP code; they never
link to customer numbers and never open a customer page (``app/web/roles.py``).
The model lives beside ``app/models.py`` (which would otherwise pass 300 lines).
"""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.columns import UTCDateTime, utcnow
from app.extensions import db

#: Flask-Login ids of staff sessions start with this; customers' ids are ``id:version``.
STAFF_ID_PREFIX = "staff:"


class StaffAccount(UserMixin, db.Model):
    """A staff member: an e-mail address, a password hash and a TOTP secret.

    ``staff add`` creates the row with a fresh TOTP secret and a set-up nonce;
    the set-up page (a signed link carrying the nonce) sets the password,
    confirms the first code and clears the nonce, so the link works once.
    """

    __tablename__ = "staff_accounts"

    is_staff = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # normalised, lower case
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    #: Base32; a TOTP secret must be readable to compute codes, so it is not hashed.
    totp_secret: Mapped[str] = mapped_column(String(64))
    #: The time step of the last code accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Set by ``staff add``, cleared when the set-up is completed (the link works once).
    setup_nonce: Mapped[str | None] = mapped_column(String(64), nullable=True)
    enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Bumped on a new set-up: sessions carrying an older value end.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_active(self) -> bool:
        """Only an enrolled account may hold a session."""
        return self.enrolled_at is not None

    def get_id(self) -> str:
        return f"{STAFF_ID_PREFIX}{self.id}:{self.session_version}"
