"""A refused login, said the same way on the customers' and the staff's login pages.

One message for any wrong credential (no enumeration), another when the typed
address is locked, and an audit record either way with what was typed (only
a plausible e-mail address is kept).
"""

from __future__ import annotations

from flask_babel import format_datetime
from flask_babel import gettext as _

from app.services.accounts import audit
from app.services.accounts import service as accounts
from app.web.audit import audit_event


def typed(username: str) -> dict[str, str]:
    """What the audit trail keeps of a typed username: only a plausible e-mail address."""
    if accounts.is_valid_username(username):
        return {"username": accounts.normalise_username(username)}
    return {"username": "", "detail": "not an e-mail address"}


def refuse(
    form,
    error: accounts.AccountLocked | accounts.LoginFailed,
    username: str,
    events: tuple[audit.Event, audit.Event],
    wrong: str,
) -> None:
    """Record ``events`` (locked, failed) for ``error`` and put the message on ``form``."""
    locked_event, failed_event = events
    if isinstance(error, accounts.AccountLocked):
        audit_event(locked_event, **typed(username))
        form.form_errors.append(
            _(
                "Too many failed attempts. You can try again after %(time)s.",
                time=format_datetime(error.until, format="short"),
            )
        )
    else:
        audit_event(failed_event, **typed(username))
        form.form_errors.append(wrong)
