"""Data model (SQLAlchemy 2.0). Schema changes go through Alembic (``app/migrations/``).

Customers and accounts meet only through ``identity_ref``, the keyed hash of
the personal identity code: linking is derived on every read, never copied.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.columns import UTCDateTime, one_of, utcnow, value_enum
from app.extensions import db
from app.staff_models import StaffAccount  # noqa: F401 - the staff table in the same metadata

# 64 hex characters: HMAC-SHA-256.
IdentityRef = String(64)


class ServiceKind(enum.StrEnum):
    BROADBAND = "broadband"
    TV = "tv"
    PHONE = "phone"
    IT = "it"


class ServiceStatus(enum.StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


class InvoiceStatus(enum.StrEnum):
    OPEN = "open"
    PAID = "paid"
    OVERDUE = "overdue"
    CREDITED = "credited"


class AuditEventName(enum.StrEnum):
    """Every event the audit trail knows; the table refuses any other name."""

    LOGIN_OK = "login_ok"
    LOGIN_FAILED = "login_failed"
    LOCKED = "locked"
    IDENTIFICATION_OK = "identification_ok"
    IDENTIFICATION_FAILED = "identification_failed"
    ACCOUNT_CREATED = "account_created"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an event name
    TERMS_ACCEPTED = "terms_accepted"
    LOGOUT = "logout"
    SESSIONS_ENDED = "sessions_ended"
    DATA_EXPORTED = "data_exported"
    ACCOUNT_CLOSED = "account_closed"
    IMPORT_OK = "import_ok"
    IMPORT_REFUSED = "import_refused"
    REQUEST_CREATED = "request_created"
    REQUEST_CANCELLED = "request_cancelled"
    REQUEST_STATUS_CHANGED = "request_status_changed"
    # Customer-service staff (``app/staff_models.py``): the actor is ``staff_id``.
    STAFF_ADDED = "staff_added"
    STAFF_REMOVED = "staff_removed"
    STAFF_ENROLLED = "staff_enrolled"
    STAFF_LOGIN_OK = "staff_login_ok"
    STAFF_LOGIN_FAILED = "staff_login_failed"
    STAFF_LOCKED = "staff_locked"
    STAFF_LOGOUT = "staff_logout"
    STAFF_QUEUE_VIEWED = "staff_queue_viewed"
    STAFF_REQUEST_VIEWED = "staff_request_viewed"
    STAFF_LOOKUP = "staff_lookup"


class ImportMode(enum.StrEnum):
    SNAPSHOT = "snapshot"  # the files are the whole register: what they lack is removed
    DELTA = "delta"  # the files add and change; nothing is removed


class Account(UserMixin, db.Model):
    """A username: an e-mail address, a password hash and an identity reference."""

    __tablename__ = "accounts"

    is_staff = False  # customer-service staff are ``StaffAccount``s

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(254), unique=True)  # normalised, lower case
    password_hash: Mapped[str] = mapped_column(String(255))
    identity_ref: Mapped[str] = mapped_column(IdentityRef, unique=True)
    birth_date_part: Mapped[str] = mapped_column(String(6))
    given_name: Mapped[str] = mapped_column(String(200), default="")
    family_name: Mapped[str] = mapped_column(String(200), default="")
    terms_version: Mapped[str] = mapped_column(String(40))
    terms_accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    language: Mapped[str] = mapped_column(String(5), default="sv")
    #: Bumped when the password changes: sessions carrying an older value end.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def get_id(self) -> str:
        """Flask-Login's id carries the session version, so old sessions stop matching."""
        return f"{self.id}:{self.session_version}"


class LoginThrottle(db.Model):
    """Failed logins per typed username, whether or not an account has it.

    Keyed by a hash of the normalised username, so an unknown address locks
    exactly like a registered one and the lock reveals nothing; the hash
    keeps typed addresses (or a code typed by mistake) out of the table.
    """

    __tablename__ = "login_throttles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username_key: Mapped[str] = mapped_column(String(64), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    failures_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lock_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )


class Customer(db.Model):
    """A customer record from the operator's billing system (register import)."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_number: Mapped[str] = mapped_column(String(40), unique=True)
    identity_ref: Mapped[str | None] = mapped_column(IdentityRef, index=True, nullable=True)
    birth_date_part: Mapped[str | None] = mapped_column(String(6), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    street_address: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    co_holder_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: Set when a snapshot import no longer had the customer: never linked nor shown
    #: again (the identity reference is cleared too); kept so that customer service can
    #: tell when the number was last in an import.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_import_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_runs.id", ondelete="SET NULL"), nullable=True
    )
    last_import: Mapped[ImportRun | None] = relationship()

    services: Mapped[list[Service]] = relationship(
        back_populates="customer", order_by="Service.service_id"
    )


class Service(db.Model):
    """One subscribed service of a customer."""

    __tablename__ = "services"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[ServiceKind] = mapped_column(value_enum(ServiceKind))
    name: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(String(400), default="")
    address: Mapped[str] = mapped_column(String(300))
    start_date: Mapped[date] = mapped_column(Date)
    monthly_price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    status: Mapped[ServiceStatus] = mapped_column(value_enum(ServiceStatus))

    customer: Mapped[Customer] = relationship(back_populates="services")

    __table_args__ = (
        CheckConstraint(one_of("kind", ServiceKind), name="kind"),
        CheckConstraint(one_of("status", ServiceStatus), name="status"),
        CheckConstraint("monthly_price >= 0", name="monthly_price_not_negative"),
    )


class TermsVersion(db.Model):
    """A published version of the terms of use, one text per language."""

    __tablename__ = "terms_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(40), unique=True)
    texts: Mapped[dict[str, str]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class AuditEvent(db.Model):
    """A security event: who, what, when, from where. Never an identity code."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    event: Mapped[str] = mapped_column(String(40), index=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True, index=True
    )
    #: The staff member who acted (``username`` keeps the address after a removal).
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="SET NULL"), nullable=True, index=True
    )
    username: Mapped[str] = mapped_column(String(254), default="")
    client_ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    detail: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (CheckConstraint(one_of("event", AuditEventName), name="event"),)


class ImportRun(db.Model):
    """One import or refused import (not a dry run): see ``app/services/imports``."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "register"
    mode: Mapped[ImportMode] = mapped_column(value_enum(ImportMode))
    #: [{"name", "sha256", "rows"}] in the order given.
    files: Mapped[list[dict]] = mapped_column(JSON)
    #: {table: {"added", "changed", "removed", "unchanged"}}; empty when refused before.
    counts: Mapped[dict[str, dict[str, int]]] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(500))  # "ok" or "refused: reason"

    __table_args__ = (CheckConstraint(one_of("mode", ImportMode), name="mode"),)


class Invoice(db.Model):
    """An invoice from billing (invoice import), shown to accounts linked to its customer."""

    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_number: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    invoice_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    vat_amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    status: Mapped[InvoiceStatus] = mapped_column(value_enum(InvoiceStatus))
    reference: Mapped[str] = mapped_column(String(35))  # compact: 1232 or RF10868624
    iban: Mapped[str] = mapped_column(String(34))  # compact
    pdf_file: Mapped[str] = mapped_column(String(200), default="")
    #: SHA-256 of the stored PDF: a re-import compares it instead of the bytes.
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer] = relationship()

    __table_args__ = (
        CheckConstraint(one_of("status", InvoiceStatus), name="status"),
        CheckConstraint(
            "status = 'credited' OR (amount >= 0 AND vat_amount >= 0)",
            name="negative_only_when_credited",
        ),
    )


class InvoiceDocument(db.Model):
    """Billing's PDF of an invoice, byte for byte, apart so lists never load the bytes.

    Kept in the database rather than in a folder: the import writes invoices
    and their PDFs in one transaction (a refused or failed import leaves no
    stray file), every web worker and host sees the same bytes, and a backup
    of the database is a backup of everything a customer can open.
    """

    __tablename__ = "invoice_documents"

    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True
    )
    content: Mapped[bytes] = mapped_column(LargeBinary)


Index("ix_invoices_customer_date", Invoice.customer_id, Invoice.invoice_date)
Index("ix_services_customer_status", Service.customer_id, Service.status)
