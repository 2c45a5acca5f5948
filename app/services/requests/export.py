"""Requests for billing: every row with its request number, customer number and times."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.request_models import Request
from app.services.exports import serialise

FIELDS = (
    "reference",
    "customer_number",
    "service_id",
    "kind",
    "status",
    "created_at",
    "updated_at",
    "customer_text",
    "status_note",
    "details",
)


def exported(since: datetime | None = None) -> Iterator[Request]:
    """Requests created or changed since ``since`` (all without it), oldest first."""
    query = select(Request).options(selectinload(Request.customer))
    if since is not None:
        query = query.where(Request.updated_at >= since)
    yield from db.session.scalars(query.order_by(Request.created_at, Request.id))


def as_row(item: Request) -> dict[str, object]:
    return {
        "reference": item.reference,
        "customer_number": item.customer.customer_number,
        "service_id": item.service_id or "",
        "kind": item.kind.value,
        "status": item.status.value,
        "created_at": item.created_at.isoformat(),
        "updated_at": item.updated_at.isoformat(),
        "customer_text": item.customer_text,
        "status_note": item.status_note,
        # The kind's own fields (new product, end date, fault, contact details) as JSON.
        "details": json.dumps(item.payload, ensure_ascii=False, sort_keys=True),
    }


def export(since: datetime | None, fmt: str) -> Iterator[str]:
    """CSV (cells made inert against spreadsheet formulas) or JSON lines."""
    return serialise((as_row(item) for item in exported(since)), FIELDS, fmt)
