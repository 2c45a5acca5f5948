"""The desk's queue query: requests by any set of statuses, kind and age.

The requests service's ``queue`` filters by one status; the desk's first view
is every *open* request (received or in progress), so it asks for a set. Two
queries (the requests, then their customers), on ``ix_requests_queue``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.columns import utcnow
from app.extensions import db
from app.services.requests import OPEN_STATUSES, Request, RequestKind, RequestStatus

#: The most requests one page of the queue shows (oldest first).
PAGE_SIZE = 200


@dataclass(frozen=True)
class QueueFilter:
    """What the desk asked for; ``statuses`` empty means every status."""

    statuses: tuple[RequestStatus, ...] = OPEN_STATUSES
    kind: RequestKind | None = None
    older_than_days: int | None = None

    @classmethod
    def parse(cls, status: str, kind: str, age: str) -> QueueFilter:
        """From the filter form's values ("" is the default, "all" every status)."""
        named = {"": OPEN_STATUSES, "all": ()}
        statuses = named[status] if status in named else (RequestStatus(status),)
        return cls(statuses, RequestKind(kind) if kind else None, int(age) if age else None)

    def describe(self) -> str:
        """For the audit trail: ``status=received,in_progress kind=fault age>7d``."""
        statuses = ",".join(s.value for s in self.statuses) or "all"
        parts = [f"status={statuses}", f"kind={self.kind.value if self.kind else 'all'}"]
        if self.older_than_days:
            parts.append(f"age>{self.older_than_days}d")
        return " ".join(parts)


def queue(wanted: QueueFilter, now: datetime | None = None) -> list[Request]:
    """Requests matching ``wanted``, oldest first, with their customers."""
    query = select(Request).options(selectinload(Request.customer))
    if wanted.statuses:
        query = query.where(Request.status.in_(wanted.statuses))
    if wanted.kind is not None:
        query = query.where(Request.kind == wanted.kind)
    if wanted.older_than_days:
        cutoff = (now or utcnow()) - timedelta(days=wanted.older_than_days)
        query = query.where(Request.created_at < cutoff)
    query = query.order_by(Request.created_at, Request.id).limit(PAGE_SIZE)
    return list(db.session.scalars(query))
