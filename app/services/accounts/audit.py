"""Audit trail of security events.

Events name what happened, to which account, from which address and user
agent. They never carry an identity code: the detail field is masked
before it is stored, whatever a caller passes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from app.extensions import db
from app.models import Account, AuditEvent, AuditEventName, utcnow
from app.services.exports import serialise
from app.services.identity_codes import mask
from app.staff_models import StaffAccount

#: The event names live with the audit table, whose check constraint is built from them.
Event = AuditEventName


@dataclass(frozen=True)
class Client:
    """Where a request came from, as the web layer saw it (after ProxyFix)."""

    ip: str = ""
    user_agent: str = ""


def record(
    event: Event,
    client: Client,
    *,
    account: Account | StaffAccount | None = None,
    username: str = "",
    detail: str = "",
    commit: bool = True,
) -> None:
    """Add one event; ``account`` is the customer's account or the acting staff member."""
    staff = account if isinstance(account, StaffAccount) else None
    if staff is not None:
        account = None
    db.session.add(
        AuditEvent(
            event=event.value,
            account_id=account.id if account is not None else None,
            staff_id=staff.id if staff is not None else None,
            # A login form's username is whatever was typed, a code included: masked too.
            username=mask(_who(account, staff, username))[:254],
            client_ip=client.ip[:45],
            user_agent=mask(client.user_agent)[:300],
            detail=mask(detail)[:2000],
        )
    )
    if commit:
        db.session.commit()


def _who(account: Account | None, staff: StaffAccount | None, username: str) -> str:
    if staff is not None:
        return staff.email
    return account.username if account is not None else username


def events(since: datetime | None = None, limit: int | None = None) -> Iterator[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.occurred_at, AuditEvent.id)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    if limit is not None:
        query = query.limit(limit)
    yield from db.session.scalars(query)


FIELDS = (
    "occurred_at",
    "event",
    "account_id",
    "staff_id",
    "username",
    "client_ip",
    "user_agent",
    "detail",
)


def as_row(item: AuditEvent) -> dict[str, object]:
    row = {name: getattr(item, name) for name in FIELDS}
    row["occurred_at"] = item.occurred_at.isoformat()
    return row


def export(items: Iterable[AuditEvent], fmt: str) -> Iterator[str]:
    """Serialise events as CSV (with a header) or JSON lines."""
    return serialise((as_row(item) for item in items), FIELDS, fmt)


def prune(retention_days: int) -> int:
    """Delete events older than the retention period; returns how many."""
    cutoff = utcnow() - timedelta(days=retention_days)
    result = db.session.execute(delete(AuditEvent).where(AuditEvent.occurred_at < cutoff))
    db.session.commit()
    return result.rowcount or 0
