"""The invoices a signed-in account may see: only through its linked customers.

Every read joins ``Customer`` on the account's identity reference, the same
rule as ``customers.linking``: a co-holder whose code was not given sees no
invoice, and an invoice number or PDF of another customer is simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from app.extensions import db
from app.models import Customer, Invoice, InvoiceDocument, InvoiceStatus
from app.services.invoices.payment import (
    PaymentDetailError,
    format_iban,
    format_reference,
    virtual_barcode,
)

UNPAID = (InvoiceStatus.OPEN, InvoiceStatus.OVERDUE)
FINLAND = ZoneInfo("Europe/Helsinki")


def finnish_today() -> date:
    """Due dates are days in Finland: an invoice is overdue from the Finnish midnight."""
    return datetime.now(FINLAND).date()


def _linked(identity_ref: str):
    return select(Invoice).join(Customer).where(Customer.identity_ref == identity_ref)


def shown_status(invoice: Invoice, today: date) -> str:
    """Billing's status, except that an open invoice past its due date is shown as overdue."""
    if invoice.status == InvoiceStatus.OPEN and invoice.due_date < today:
        return InvoiceStatus.OVERDUE.value
    return invoice.status.value


def invoices_by_customer(
    identity_ref: str, customers: list[Customer]
) -> list[tuple[Customer, list[Invoice]]]:
    """Each linked customer with its invoices, newest first (one query)."""
    grouped: dict[int, list[Invoice]] = {c.id: [] for c in customers}
    query = _linked(identity_ref).order_by(Invoice.invoice_date.desc(), Invoice.id.desc())
    for invoice in db.session.scalars(query):
        grouped.setdefault(invoice.customer_id, []).append(invoice)
    return [(customer, grouped[customer.id]) for customer in customers]


def linked_invoice(identity_ref: str, invoice_number: str) -> Invoice | None:
    """One invoice, only if its customer is linked to ``identity_ref``."""
    return db.session.scalar(
        _linked(identity_ref)
        .where(Invoice.invoice_number == invoice_number)
        .options(contains_eager(Invoice.customer))
    )


def linked_pdf(identity_ref: str, invoice_number: str) -> bytes | None:
    """Billing's PDF of one invoice, only if its customer is linked to ``identity_ref``."""
    return db.session.scalar(
        select(InvoiceDocument.content)
        .join(Invoice)
        .join(Customer)
        .where(Customer.identity_ref == identity_ref, Invoice.invoice_number == invoice_number)
    )


@dataclass(frozen=True)
class InvoiceSummary:
    next_open: Invoice | None
    overdue: list[Invoice]


def unpaid_summary(identity_ref: str, today: date) -> InvoiceSummary:
    """For Egna tjänster: the next invoice to pay and everything overdue (one query)."""
    unpaid = db.session.scalars(
        _linked(identity_ref).where(Invoice.status.in_(UNPAID)).order_by(Invoice.due_date)
    )
    overdue, upcoming = [], []
    for invoice in unpaid:
        late = shown_status(invoice, today) == InvoiceStatus.OVERDUE
        (overdue if late else upcoming).append(invoice)
    return InvoiceSummary(upcoming[0] if upcoming else None, overdue)


@dataclass(frozen=True)
class PaymentDetails:
    iban: str
    reference: str
    barcode: str | None


def payment_details(invoice: Invoice, today: date) -> PaymentDetails | None:
    """What a customer types (or pastes) into the online bank; None once nothing is due.

    Past the due date the bar code carries no due date, so the bank proposes
    today instead of refusing a date in the past.
    """
    if invoice.status not in UNPAID:
        return None
    due = invoice.due_date if invoice.due_date >= today else None
    try:
        barcode = virtual_barcode(invoice.iban, invoice.reference, invoice.amount, due)
    except PaymentDetailError:
        barcode = None  # a foreign IBAN or a lettered RF reference: no code, details still shown
    return PaymentDetails(format_iban(invoice.iban), format_reference(invoice.reference), barcode)
