"""Requests from customers to customer service, and their status history.

Billing owns the register, so every change a customer asks for is a request
that customer service handles: the portal stores it, shows where it stands and
hands it to billing (``requests export``). A request belongs to a customer
number, never to a person: everyone linked to the number sees it.

Kept apart from ``app/models.py`` (which would pass 300 lines); the factory
imports this module so that its tables are part of the metadata.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.columns import UTCDateTime, one_of, utcnow, value_enum
from app.extensions import db
from app.models import Customer


class RequestKind(enum.StrEnum):
    CONTACT_DETAILS = "contact_details"  # e-mail, mobile phone, invoice delivery
    SERVICE_CHANGE = "service_change"  # another product of the same kind
    TERMINATION = "termination"  # end a service on a date
    FAULT = "fault"  # a fault report


class RequestStatus(enum.StrEnum):
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    REJECTED = "rejected"
    CANCELLED = "cancelled"  # by the customer, only while received


#: Statuses in which a request still waits for customer service.
OPEN_STATUSES = (RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS)


class Request(db.Model):
    """One request: what a customer asked for, about which customer number and service."""

    __tablename__ = "requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: What the customer and customer service call it: digits only, the last a check digit.
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    #: Billing's service id (not a foreign key: a snapshot import may delete the service,
    #: the request stays); the service's name at the time is in ``payload``.
    service_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: The account that sent it; cleared when that username is closed.
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True, index=True
    )
    kind: Mapped[RequestKind] = mapped_column(value_enum(RequestKind))
    status: Mapped[RequestStatus] = mapped_column(
        value_enum(RequestStatus), default=RequestStatus.RECEIVED
    )
    #: Kind-specific fields (see ``app/services/requests/__init__.py``).
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    customer_text: Mapped[str] = mapped_column(Text, default="")
    #: What customer service tells the customer (the reason for a rejection, say).
    status_note: Mapped[str] = mapped_column(Text, default="")
    #: A random token of the form that sent it: the same form sent twice is one request.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer] = relationship()
    events: Mapped[list[RequestEvent]] = relationship(
        back_populates="request", order_by="RequestEvent.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint(one_of("kind", RequestKind), name="kind"),
        CheckConstraint(one_of("status", RequestStatus), name="status"),
        UniqueConstraint("account_id", "idempotency_key"),  # uq_requests_account_id
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class RequestEvent(db.Model):
    """One step in a request's history: who set which status (and note), when."""

    __tablename__ = "request_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[RequestStatus] = mapped_column(value_enum(RequestStatus))
    note: Mapped[str] = mapped_column(Text, default="")
    #: ``customer:<username>``, ``staff:<e-mail>`` or ``cli``.
    actor: Mapped[str] = mapped_column(String(300))

    request: Mapped[Request] = relationship(back_populates="events")

    __table_args__ = (CheckConstraint(one_of("status", RequestStatus), name="status"),)


# The customer's list (newest first), and the staff queue by status, kind and age.
Index("ix_requests_customer_created", Request.customer_id, Request.created_at)
Index("ix_requests_queue", Request.status, Request.kind, Request.created_at)
