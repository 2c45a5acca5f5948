"""Staff accounts: added from the command line, set up through a one-time link, signed in
with a password and a TOTP code.

The set-up link is signed with the secret key and carries the account id, a
nonce and its end (24 hours); completing the set-up clears the nonce, so a
link works once, and ``staff add`` for an address not yet set up issues a
fresh link (and a fresh TOTP secret), ending the older one. Sign-in failures
count per typed address in the customers' login throttle (a scope of its
own): a wrong TOTP code counts exactly like a wrong password.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update

from app.columns import utcnow
from app.extensions import db
from app.models import AuditEvent
from app.services.accounts import passwords
from app.services.accounts import service as accounts
from app.services.staff import totp
from app.staff_models import StaffAccount

SETUP_VALID_FOR = timedelta(hours=24)
THROTTLE_SCOPE = "staff"
LoginFailed = accounts.LoginFailed
AccountLocked = accounts.AccountLocked


class StaffExists(Exception):
    """The address belongs to a staff member who has completed the set-up."""


class StaffNotFound(Exception):
    """No staff account has this address."""


class SetupLinkInvalid(Exception):
    """The link is not one Selfie made, was replaced, or has been used."""


class SetupLinkExpired(Exception):
    """The link is older than :data:`SETUP_VALID_FOR`."""


class CodeWrong(Exception):
    """The TOTP code given at set-up does not match the secret shown."""


@dataclass(frozen=True)
class NewStaff:
    staff: StaffAccount
    token: str
    expires_at: datetime


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.config["SECRET_KEY"]), salt="selfie-staff-setup")


def find(email: str) -> StaffAccount | None:
    return db.session.scalar(select(StaffAccount).where(StaffAccount.email == email.lower()))


def all_staff() -> list[StaffAccount]:
    return list(db.session.scalars(select(StaffAccount).order_by(StaffAccount.email)))


def add(email: str) -> NewStaff:
    """Create (or, not yet set up, renew) a staff account; returns the set-up token."""
    email = accounts.normalise_username(email)
    staff = find(email)
    if staff is not None and staff.enrolled_at is not None:
        raise StaffExists(email)
    if staff is None:
        staff = StaffAccount(email=email, session_version=1)
        db.session.add(staff)
    staff.totp_secret = totp.new_secret()
    staff.setup_nonce = secrets.token_urlsafe(24)
    db.session.flush()
    expires = utcnow() + SETUP_VALID_FOR
    token = _serializer().dumps(
        {"id": staff.id, "nonce": staff.setup_nonce, "exp": int(expires.timestamp())}
    )
    db.session.commit()
    return NewStaff(staff, token, expires)


def remove(email: str) -> StaffAccount:
    """Delete the account; its sessions end at once (the loader finds no account)."""
    staff = find(email.strip())
    if staff is None:
        raise StaffNotFound(email)
    # The audit trail keeps the address (``username``); the id goes, on every backend.
    db.session.execute(
        update(AuditEvent).where(AuditEvent.staff_id == staff.id).values(staff_id=None)
    )
    db.session.delete(staff)
    db.session.commit()
    return staff


def for_setup(token: str) -> StaffAccount:
    """The staff member a set-up link is for, while it is valid and unused."""
    try:
        payload = _serializer().loads(token)
        staff_id, nonce, expires = int(payload["id"]), str(payload["nonce"]), int(payload["exp"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise SetupLinkInvalid() from None
    staff = db.session.get(StaffAccount, staff_id)
    if staff is None or staff.setup_nonce is None:
        raise SetupLinkInvalid()
    if not hmac.compare_digest(staff.setup_nonce, nonce):
        raise SetupLinkInvalid()
    if utcnow().timestamp() > expires:
        raise SetupLinkExpired()
    return staff


def complete_setup(staff: StaffAccount, password: str, code: str) -> None:
    """Set the password and confirm the authenticator with its first code, once.

    The nonce is cleared in the same statement that checks it, so two
    submissions of the same form set the account up once; the second raises
    :class:`SetupLinkInvalid`.
    """
    now = utcnow()
    step = totp.matching_step(staff.totp_secret, code, now, None)
    if step is None:
        raise CodeWrong()
    done = db.session.execute(
        update(StaffAccount)
        .where(StaffAccount.id == staff.id, StaffAccount.setup_nonce == staff.setup_nonce)
        .values(
            password_hash=passwords.hash_password(password),
            totp_last_step=step,
            setup_nonce=None,
            enrolled_at=now,
            session_version=StaffAccount.session_version + 1,
        )
    )
    if done.rowcount != 1:
        db.session.rollback()
        raise SetupLinkInvalid()
    accounts.forget_failures(accounts.throttle_key(staff.email, THROTTLE_SCOPE))
    db.session.commit()
    db.session.refresh(staff)


def authenticate(email: str, password: str, code: str) -> StaffAccount:
    """Password and TOTP code; either wrong counts one failure towards the lock.

    The code's step is stored in the same statement that checks it is newer
    than the last one used, so a code (even one sent twice in parallel) signs
    in once.
    """
    key = accounts.throttle_key(email, THROTTLE_SCOPE)
    now = utcnow()
    locked_until = accounts.lock_ends(key, now)
    staff = find(email.strip()) if accounts.is_valid_username(email) else None
    usable = staff is not None and staff.enrolled_at is not None
    if locked_until is not None:
        passwords.verify_password(None, password)  # same cost as any other attempt
        raise AccountLocked(locked_until)
    if not passwords.verify_password(staff.password_hash if usable else None, password):
        accounts.record_failure(key, now)
        raise LoginFailed()
    step = totp.matching_step(staff.totp_secret, code, now, staff.totp_last_step)
    if step is None or not _use_step(staff, step):
        accounts.record_failure(key, now)
        raise LoginFailed()
    if passwords.needs_rehash(staff.password_hash):
        staff.password_hash = passwords.hash_password(password)
    accounts.forget_failures(key)
    db.session.commit()
    return staff


def _use_step(staff: StaffAccount, step: int) -> bool:
    last = StaffAccount.totp_last_step
    used = db.session.execute(
        update(StaffAccount)
        .where(StaffAccount.id == staff.id, (last.is_(None)) | (last < step))
        .values(totp_last_step=step)
    )
    return used.rowcount == 1


def setup_url(token: str) -> str:
    """The set-up link as the staff member opens it (``SELFIE_BASE_URL``)."""
    base = current_app.config["BASE_URL"] or (
        "http://127.0.0.1:5000" if current_app.config["ENV"] == "development" else ""
    )
    if not base:
        raise RuntimeError("SELFIE_BASE_URL is not set: the set-up link needs the portal's address")
    return f"{base.rstrip('/')}/staff/setup/{token}"
