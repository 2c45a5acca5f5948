"""Creating accounts, signing in, changing passwords.

The caller (a view) passes plain values and gets an :class:`Account` or a
typed error it can translate; nothing here knows about requests or sessions.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Account, AuditEvent, LoginThrottle, utcnow
from app.request_models import Request
from app.services.accounts import passwords
from app.services.identification import Identified

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


def throttle_key(username: str, scope: str = "") -> str:
    """A keyed hash (HMAC-SHA-256 with the secret key) of the normalised username.

    Keyed, because a typed username may be an identity code by mistake, and a
    plain hash of a code is found by trying every code in a minute. ``scope``
    keeps the counts of another kind of login (staff) apart from customers'.
    """
    try:
        normalised = normalise_username(username)
    except EmailNotValidError:
        normalised = username.strip().lower()[:254]
    secret = str(current_app.config["SECRET_KEY"]).encode()
    message = f"{scope}:{normalised}" if scope else normalised
    return hmac.new(secret, message.encode("utf-8"), hashlib.sha256).hexdigest()


def lock_ends(key: str, now: datetime) -> datetime | None:
    """When the lock on ``key`` (a :func:`throttle_key`) ends, or None when it is not locked."""
    locked_until = db.session.scalar(
        select(LoginThrottle.locked_until).where(LoginThrottle.username_key == key)
    )
    return locked_until if locked_until is not None and locked_until > now else None


def authenticate(username: str, password: str) -> Account:
    """Check credentials, counting failures and locking for a while after too many.

    Failures count per typed username, registered or not, so neither the
    message, the status nor the lock tells an attacker which usernames exist.
    """
    key = throttle_key(username)
    now = utcnow()
    locked_until = lock_ends(key, now)
    try:
        account = find_by_username(normalise_username(username))
    except EmailNotValidError:
        account = None
    if locked_until is not None:
        passwords.verify_password(None, password)  # same cost as any other attempt
        raise AccountLocked(locked_until)
    if not passwords.verify_password(account.password_hash if account else None, password):
        record_failure(key, now)
        raise LoginFailed()
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.hash_password(password)
    forget_failures(key)
    db.session.commit()
    return account


def record_failure(key: str, now: datetime) -> None:
    """Count one failure atomically (parallel attempts cannot lose counts); lock at the limit."""
    table = LoginThrottle.__table__
    dialect = db.session.get_bind().dialect.name
    insert = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}[dialect]
    db.session.execute(
        insert(table)
        .values(username_key=key, failures=0, lock_count=0, updated_at=now)
        .on_conflict_do_nothing(index_elements=[table.c.username_key])
    )
    window_over = or_(
        table.c.failures_since.is_(None), table.c.failures_since < now - FAILURE_WINDOW
    )
    failures = db.session.execute(
        update(table)
        .where(table.c.username_key == key)
        .values(
            failures=case((window_over, 1), else_=table.c.failures + 1),
            failures_since=case((window_over, now), else_=table.c.failures_since),
            updated_at=now,
        )
        .returning(table.c.failures)
    ).scalar_one()
    if failures < FAILURES_BEFORE_LOCK:
        db.session.commit()
        return
    lock_count = db.session.execute(
        update(table)
        .where(table.c.username_key == key, table.c.failures >= FAILURES_BEFORE_LOCK)
        .values(lock_count=table.c.lock_count + 1, failures=0, failures_since=None)
        .returning(table.c.lock_count)
    ).scalar_one_or_none()
    if lock_count is None:  # a parallel request took this lock; it sets the time
        db.session.commit()
        raise AccountLocked(now + LOCK_BASE)
    until = now + min(LOCK_BASE * 2 ** (lock_count - 1), LOCK_MAX)
    db.session.execute(update(table).where(table.c.username_key == key).values(locked_until=until))
    db.session.commit()
    raise AccountLocked(until)


def forget_failures(key: str) -> None:
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.username_key == key))


def set_password(account: Account, password: str) -> None:
    """Replace the password, lift any login lock and end every other session."""
    account.password_hash = passwords.hash_password(password)
    account.session_version += 1
    forget_failures(throttle_key(account.username))
    db.session.commit()


def prune_throttles(older_than: timedelta = timedelta(days=1)) -> int:
    """Forget login failures and locks that ended long ago."""
    result = db.session.execute(
        delete(LoginThrottle).where(LoginThrottle.updated_at < utcnow() - older_than)
    )
    db.session.commit()
    return result.rowcount or 0


def password_matches(account: Account, password: str) -> bool:
    """Re-check the signed-in person's password before an action on every device."""
    return passwords.verify_password(account.password_hash, password)


def end_other_sessions(account: Account) -> None:
    """Every session carrying the old version ends; the caller signs this one in again."""
    account.session_version += 1
    db.session.commit()


def close_account(account: Account) -> None:
    """Delete the username. Customer records stay: they belong to billing, not to Selfie."""
    db.session.execute(
        update(AuditEvent).where(AuditEvent.account_id == account.id).values(account_id=None)
    )
    # Requests belong to the customer number and stay; only who sent them is forgotten.
    db.session.execute(
        update(Request).where(Request.account_id == account.id).values(account_id=None)
    )
    db.session.delete(account)
    db.session.commit()


def set_language(account: Account, language: str) -> None:
    if account.language != language:
        account.language = language
        db.session.commit()
