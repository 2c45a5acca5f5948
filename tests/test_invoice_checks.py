"""The invoices table keeps its own rules too, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from app.models import InvoiceStatus
from tests.test_database_checks import any_app, write  # noqa: F401  (any_app is a fixture)

INVOICE = (
    "INSERT INTO invoices (invoice_number, customer_id, invoice_date, due_date, amount, "
    "vat_amount, status, reference, iban, pdf_file, updated_at) VALUES (:number, 1, "
    "'2026-11-01', '2026-11-15', :amount, :vat, :status, '1232', 'FI2112345600000785', '', "
    "CURRENT_TIMESTAMP)"
)
GOOD = {"amount": "10.00", "vat": "2.00", "status": "open"}


@pytest.mark.parametrize(
    "bad",
    [{"status": "lost"}, {"status": "OPEN"}, {"amount": "-1.00"}, {"vat": "-0.01"}],
    ids=["unknown status", "status in capitals", "negative amount", "negative VAT"],
)
def test_the_database_refuses_a_bad_invoice(any_app, bad):  # noqa: F811
    assert not write(any_app, INVOICE, number="1", **(GOOD | bad))


def test_the_database_accepts_every_status_and_a_negative_credit_note(any_app):  # noqa: F811
    for index, status in enumerate(InvoiceStatus):
        assert write(any_app, INVOICE, number=str(index), **(GOOD | {"status": status.value}))
    credit = {"amount": "-15.00", "vat": "-3.05", "status": "credited"}
    assert write(any_app, INVOICE, number="credit", **credit)
