"""Data model (SQLAlchemy 2.0). Schema changes go through Alembic (``app/migrations/``).

Customers and accounts meet only through ``identity_ref``, the keyed hash of
the personal identity code: linking is derived on every read, never copied.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def _value_enum(enum_class: type[enum.Enum]) -> Enum:
    """Store an enum by its value, as a plain string column (portable, readable in SQL)."""
    return Enum(
        enum_class, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]
    )


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


class Account(UserMixin, db.Model):
    """A username: an e-mail address, a password hash and an identity reference."""

    __tablename__ = "accounts"

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

    services: Mapped[list[Service]] = relationship(
        back_populates="customer", order_by="Service.service_id"
    )


class Service(db.Model):
    """One subscribed service of a customer."""

    __tablename__ = "services"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[ServiceKind] = mapped_column(_value_enum(ServiceKind))
    name: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(String(400), default="")
    address: Mapped[str] = mapped_column(String(300))
    start_date: Mapped[date] = mapped_column(Date)
    monthly_price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    status: Mapped[ServiceStatus] = mapped_column(_value_enum(ServiceStatus))

    customer: Mapped[Customer] = relationship(back_populates="services")


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
    username: Mapped[str] = mapped_column(String(254), default="")
    client_ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


Index("ix_services_customer_status", Service.customer_id, Service.status)
