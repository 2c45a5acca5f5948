"""Creating requests, the customer's view of them, and status changes.

A request belongs to a customer number: every read a customer page makes is
scoped by the customer ids linked to the signed-in account (the caller gets
them from ``customers.linking``), so a reference of another customer is simply
not found. Customer service (the staff desk, the CLI) sees every request.

Functions commit unless told ``commit=False`` (then the caller commits, e.g.
together with its audit record). Nothing here knows about HTTP.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Account, Customer, utcnow
from app.request_models import OPEN_STATUSES, Request, RequestEvent, RequestKind, RequestStatus
from app.services.requests.references import new_reference

#: Statuses customer service sets; ``cancelled`` is the customer's own decision.
STAFF_STATUSES = (
    RequestStatus.RECEIVED,
    RequestStatus.IN_PROGRESS,
    RequestStatus.DONE,
    RequestStatus.REJECTED,
)
_REFERENCE_ATTEMPTS = 5


class RequestError(Exception):
    """A request cannot be changed as asked; the web layer translates the subclass."""


class RequestNotFound(RequestError):
    """No such reference (or not one of the given customers')."""


class NotCancellable(RequestError):
    """Only a request still ``received`` can be cancelled by the customer."""


class StatusNotAllowed(RequestError):
    """Customer service cannot set ``cancelled``, nor change a cancelled request."""


def customer_actor(account: Account) -> str:
    return f"customer:{account.username}"


def _by_key(account_id: int | None, key: str | None) -> Request | None:
    if account_id is None or not key:
        return None
    return db.session.scalar(
        select(Request).where(Request.account_id == account_id, Request.idempotency_key == key)
    )


def create_request(
    *,
    customer: Customer,
    account: Account | None,
    kind: RequestKind,
    payload: dict,
    customer_text: str = "",
    service_id: str | None = None,
    idempotency_key: str | None = None,
    actor: str | None = None,
) -> tuple[Request, bool]:
    """Store a new request (status ``received``) and commit; returns it and whether it is new.

    The same ``idempotency_key`` from the same account gives back the request
    it made the first time (a double click, or the very same POST sent again),
    also when the two arrive at once. Commits: call it with nothing else pending.
    """
    account_id = account.id if account is not None else None
    existing = _by_key(account_id, idempotency_key)
    if existing is not None:
        return existing, False
    for _attempt in range(_REFERENCE_ATTEMPTS):
        item = Request(
            reference=new_reference(),
            customer_id=customer.id,
            service_id=service_id,
            account_id=account_id,
            kind=kind,
            status=RequestStatus.RECEIVED,
            payload=payload,
            customer_text=customer_text,
            status_note="",
            idempotency_key=idempotency_key or None,
        )
        item.events.append(
            RequestEvent(
                status=RequestStatus.RECEIVED,
                note="",
                actor=actor or (customer_actor(account) if account else "cli"),
            )
        )
        db.session.add(item)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            existing = _by_key(account_id, idempotency_key)
            if existing is not None:  # the twin of a double submit won the race
                return existing, False
            continue  # a reference already taken: draw another
        return item, True
    raise RuntimeError("no free request reference found")  # pragma: no cover - 1 in 10^8 each


def requests_for_customers(customer_ids: Collection[int]) -> list[Request]:
    """Every request of these customer numbers, newest first (one query)."""
    if not customer_ids:
        return []
    return list(
        db.session.scalars(
            select(Request)
            .where(Request.customer_id.in_(list(customer_ids)))
            .order_by(Request.created_at.desc(), Request.id.desc())
        )
    )


def open_requests(customer_ids: Collection[int], kind: RequestKind) -> list[Request]:
    """The requests of one kind still waiting for customer service, oldest first."""
    if not customer_ids:
        return []
    return list(
        db.session.scalars(
            select(Request)
            .where(
                Request.customer_id.in_(list(customer_ids)),
                Request.kind == kind,
                Request.status.in_(OPEN_STATUSES),
            )
            .order_by(Request.created_at, Request.id)
        )
    )


def request_for_customers(reference: str, customer_ids: Collection[int]) -> Request | None:
    """One request, only if it belongs to one of these customer numbers."""
    if not customer_ids:
        return None
    return db.session.scalar(
        select(Request).where(
            Request.reference == reference, Request.customer_id.in_(list(customer_ids))
        )
    )


def by_reference(reference: str) -> Request | None:
    """For customer service: any request, with its customer and history."""
    return db.session.scalar(
        select(Request)
        .where(Request.reference == reference)
        .options(selectinload(Request.customer), selectinload(Request.events))
    )


def cancel(
    reference: str, customer_ids: Collection[int], *, actor: str, commit: bool = True
) -> tuple[Request, bool]:
    """The customer cancels a request still ``received``; returns it and whether it changed.

    One conditional UPDATE, so customer service taking the request up at the
    same moment wins or loses cleanly; cancelling twice changes nothing.
    """
    item = request_for_customers(reference, customer_ids)
    if item is None:
        raise RequestNotFound(reference)
    if item.status == RequestStatus.CANCELLED:
        return item, False
    result = db.session.execute(
        update(Request)
        .where(Request.id == item.id, Request.status == RequestStatus.RECEIVED)
        .values(status=RequestStatus.CANCELLED, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise NotCancellable(reference)
    db.session.add(RequestEvent(request_id=item.id, status=RequestStatus.CANCELLED, actor=actor))
    db.session.flush()
    db.session.refresh(item)
    if commit:
        db.session.commit()
    return item, True


def set_status(
    reference: str, status: RequestStatus, *, note: str, actor: str, commit: bool = True
) -> tuple[Request, bool]:
    """Customer service sets a status and the note the customer sees.

    Returns the request and whether anything changed: the same status with the
    same note writes nothing. A cancelled request stays cancelled.
    """
    status = RequestStatus(status)
    if status not in STAFF_STATUSES:
        raise StatusNotAllowed(status.value)
    item = by_reference(reference)
    if item is None:
        raise RequestNotFound(reference)
    if item.status == RequestStatus.CANCELLED:
        raise StatusNotAllowed(item.status.value)
    note = note.strip()
    if item.status == status and item.status_note == note:
        return item, False
    item.status = status
    item.status_note = note
    item.events.append(RequestEvent(status=status, note=note, actor=actor))
    if commit:
        db.session.commit()
    return item, True


def queue(
    status: RequestStatus | None = None,
    kind: RequestKind | None = None,
    older_than: datetime | None = None,
    limit: int = 200,
) -> list[Request]:
    """For customer service: requests oldest first, optionally by status, kind, and age
    (``older_than``: created before this time), with their customers (two queries)."""
    query = select(Request).options(selectinload(Request.customer))
    if status is not None:
        query = query.where(Request.status == status)
    if kind is not None:
        query = query.where(Request.kind == kind)
    if older_than is not None:
        query = query.where(Request.created_at < older_than)
    return list(db.session.scalars(query.order_by(Request.created_at, Request.id).limit(limit)))
