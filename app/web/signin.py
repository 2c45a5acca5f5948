"""Signing in and out: the only way any view does either.

A sign-in always gives the session a new id before Flask-Login writes the
account into it (no session fixation) and leaves an audit record; a
sign-out records who left, then removes the session from the store, not
just its contents.
"""

from flask_login import current_user, login_user, logout_user

from app import sessions
from app.models import Account
from app.services.accounts import audit
from app.staff_models import StaffAccount
from app.web.audit import audit_event


def sign_in(account: Account | StaffAccount, event: audit.Event) -> None:
    """Sign ``account`` (a customer's or a staff member's) in on a fresh session id and
    record ``event`` for it."""
    sessions.rotate()
    login_user(account)
    audit_event(event, account=account)


def sign_out(event: audit.Event) -> Account | StaffAccount:
    """Record ``event`` for the signed-in account, sign it out and end the session.

    Returns the account, for a caller that still acts on it (closing it).
    """
    account = current_user._get_current_object()
    audit_event(event, account=account)
    logout_user()
    sessions.end()
    return account
