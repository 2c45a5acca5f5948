"""Creating accounts, signing in, changing passwords.

The caller (a view) passes plain values and gets an :class:`Account` or a
typed error it can translate; nothing here knows about requests or sessions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from app.accounts import passwords
from app.extensions import db
from app.identification import Identified
from app.models import Account, LoginThrottle, utcnow

#: Failed logins within this window count towards a lock.
FAILURE_WINDOW = timedelta(minutes=15)
FAILURES_BEFORE_LOCK = 5
#: First lock, doubled on every repeat, capped: minutes, never days.
LOCK_BASE = timedelta(minutes=1)
LOCK_MAX = timedelta(minutes=30)


class UsernameTaken(Exception):
    """Another account already uses this e-mail address."""


class AlreadyRegistered(Exception):
    """The identified person already has an account (one per person)."""

    def __init__(self, account: Account):
        self.account = account
        super().__init__("already registered")


class LoginFailed(Exception):
    """Wrong username or password: deliberately says not which."""


class AccountLocked(Exception):
    """Too many failures; ``until`` tells when the lock ends."""

    def __init__(self, until: datetime):
        self.until = until
        super().__init__("locked")


@dataclass(frozen=True)
class NewAccount:
    identified: Identified
    username: str
    password: str
    terms_version: str
    terms_accepted_at: datetime
    language: str


def normalise_username(value: str) -> str:
    """The canonical form of an e-mail username: validated, lower case.

    Raises ``email_validator.EmailNotValidError`` for an unusable address.
    """
    return validate_email(value.strip(), check_deliverability=False).normalized.lower()


def is_valid_username(value: str) -> bool:
    try:
        normalise_username(value)
    except EmailNotValidError:
        return False
    return True


def mask_username(username: str) -> str:
    """``anna.andersson@example.fi`` → ``a***@example.fi``: enough to recognise, not to reuse."""
    local, _, domain = username.partition("@")
    return f"{local[:1]}***@{domain}"


def find_by_username(username: str) -> Account | None:
    return db.session.scalar(select(Account).where(Account.username == username.lower()))


def find_by_identity(identity_ref: str) -> Account | None:
    return db.session.scalar(select(Account).where(Account.identity_ref == identity_ref))


def username_taken(username: str) -> bool:
    return bool(
        db.session.scalar(select(func.count(Account.id)).where(Account.username == username))
    )


def create_account(new: NewAccount) -> Account:
    """Insert the account in one transaction; the unique constraints settle races.

    A double submit of the same form meets the unique identity reference and
    ends as :class:`AlreadyRegistered`, so one person never gets two accounts.
    """
    username = normalise_username(new.username)
    existing = find_by_identity(new.identified.identity_ref)
    if existing is not None:
        raise AlreadyRegistered(existing)
    if username_taken(username):
        raise UsernameTaken()
    account = Account(
        username=username,
        password_hash=passwords.hash_password(new.password),
        identity_ref=new.identified.identity_ref,
        birth_date_part=new.identified.birth_date_part,
        given_name=new.identified.given_name,
        family_name=new.identified.family_name,
        terms_version=new.terms_version,
        terms_accepted_at=new.terms_accepted_at,
        language=new.language,
    )
    db.session.add(account)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        existing = find_by_identity(new.identified.identity_ref)
        if existing is not None:
            raise AlreadyRegistered(existing) from None
        raise UsernameTaken() from None
    return account


def throttle_key(username: str) -> str:
    """The login throttle's key: a hash of the normalised username (never the text)."""
    try:
        normalised = normalise_username(username)
    except EmailNotValidError:
        normalised = username.strip().lower()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def authenticate(username: str, password: str) -> Account:
    """Check credentials, counting failures and locking for a while after too many.

    Failures count per typed username, registered or not, so neither the
    message, the status nor the lock tells an attacker which usernames exist.
    """
    key = throttle_key(username)
    throttle = db.session.scalar(select(LoginThrottle).where(LoginThrottle.username_key == key))
    try:
        account = find_by_username(normalise_username(username))
    except EmailNotValidError:
        account = None
    now = utcnow()
    if throttle is not None and throttle.locked_until and throttle.locked_until > now:
        passwords.verify_password(None, password)  # same cost as any other attempt
        raise AccountLocked(throttle.locked_until)
    if not passwords.verify_password(account.password_hash if account else None, password):
        _record_failure(throttle or LoginThrottle(username_key=key, failures=0, lock_count=0), now)
        raise LoginFailed()
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.hash_password(password)
    if throttle is not None:
        db.session.delete(throttle)
    db.session.commit()
    return account


def _record_failure(throttle: LoginThrottle, now: datetime) -> None:
    if throttle.failures_since is None or now - throttle.failures_since > FAILURE_WINDOW:
        throttle.failures = 0
        throttle.failures_since = now
    throttle.failures += 1
    db.session.add(throttle)
    if throttle.failures >= FAILURES_BEFORE_LOCK:
        throttle.lock_count += 1
        throttle.locked_until = now + min(LOCK_BASE * 2 ** (throttle.lock_count - 1), LOCK_MAX)
        throttle.failures = 0
        throttle.failures_since = None
        db.session.commit()
        raise AccountLocked(throttle.locked_until)
    try:
        db.session.commit()
    except IntegrityError:  # a parallel first failure for the same username won the insert
        db.session.rollback()


def set_password(account: Account, password: str) -> None:
    """Replace the password, lift any login lock and end every other session."""
    account.password_hash = passwords.hash_password(password)
    account.session_version += 1
    db.session.execute(
        delete(LoginThrottle).where(LoginThrottle.username_key == throttle_key(account.username))
    )
    db.session.commit()


def prune_throttles(older_than: timedelta = timedelta(days=1)) -> int:
    """Forget login failures and locks that ended long ago."""
    result = db.session.execute(
        delete(LoginThrottle).where(LoginThrottle.updated_at < utcnow() - older_than)
    )
    db.session.commit()
    return result.rowcount or 0


def set_language(account: Account, language: str) -> None:
    if account.language != language:
        account.language = language
        db.session.commit()
