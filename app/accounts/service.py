"""Creating accounts, signing in, changing passwords.

The caller (a view) passes plain values and gets an :class:`Account` or a
typed error it can translate; nothing here knows about requests or sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.accounts import passwords
from app.extensions import db
from app.identification import Identified
from app.models import Account, utcnow

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


def authenticate(username: str, password: str) -> Account:
    """Check credentials, counting failures and locking for a while after too many."""
    try:
        account = find_by_username(normalise_username(username))
    except EmailNotValidError:
        account = None
    now = utcnow()
    if account is not None and account.locked_until and account.locked_until > now:
        passwords.verify_password(None, password)  # same cost as any other attempt
        raise AccountLocked(account.locked_until)
    if not passwords.verify_password(account.password_hash if account else None, password):
        if account is not None:
            _record_failure(account, now)
        raise LoginFailed()
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.hash_password(password)
    account.failed_logins = 0
    account.failures_since = None
    account.lock_count = 0
    account.locked_until = None
    db.session.commit()
    return account


def _record_failure(account: Account, now: datetime) -> None:
    if account.failures_since is None or now - account.failures_since > FAILURE_WINDOW:
        account.failed_logins = 0
        account.failures_since = now
    account.failed_logins += 1
    if account.failed_logins >= FAILURES_BEFORE_LOCK:
        account.lock_count += 1
        account.locked_until = now + min(LOCK_BASE * 2 ** (account.lock_count - 1), LOCK_MAX)
        account.failed_logins = 0
        account.failures_since = None
        db.session.commit()
        raise AccountLocked(account.locked_until)
    db.session.commit()


def set_password(account: Account, password: str) -> None:
    """Replace the password and end every other session of the account."""
    account.password_hash = passwords.hash_password(password)
    account.session_version += 1
    account.failed_logins = 0
    account.locked_until = None
    db.session.commit()


def set_language(account: Account, language: str) -> None:
    if account.language != language:
        account.language = language
        db.session.commit()
