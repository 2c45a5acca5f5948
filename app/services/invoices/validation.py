"""Reading and validating billing's ``INVOICES.csv`` and the PDFs it names.

Every row is checked (dates, amounts, status, the reference's check digit,
the IBAN, a known customer number, the named PDF present and a PDF) and
every problem kept as ``FILE:LINE: reason``, so the operator sees them all
at once; nothing here writes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import Customer, InvoiceStatus
from app.services.imports.csvfiles import CsvFile, Problem
from app.services.invoices.payment import PaymentDetailError, validate_iban, validate_reference

COLUMNS = (
    "invoice_number",
    "customer_number",
    "invoice_date",
    "due_date",
    "amount",
    "vat_amount",
    "status",
    "reference",
    "iban",
    "pdf_file",
)
REQUIRED = COLUMNS[:-1]
LENGTHS = {"invoice_number": 40, "customer_number": 40, "pdf_file": 200}
#: Optional minus, up to 8 digits, optional decimal comma or point with 1-2 decimals.
AMOUNT = re.compile(r"-?\d{1,8}(?:[.,]\d{1,2})?")
PDF_MAGIC = b"%PDF-"
#: Invoice numbers become URL path segments and PDF file names.
INVOICE_NUMBER = re.compile(r"[A-Za-z0-9_-]+")
COMPARED = ("customer_id", "invoice_date", "due_date", "amount", "vat_amount", "status")
COMPARED += ("reference", "iban", "pdf_file", "pdf_sha256")


@dataclass
class InvoiceRows:
    """A validated file: one dict per invoice, PDFs named by path (read when written)."""

    rows: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _amount(value: str) -> Decimal | None:
    compact = value.replace(" ", "").replace("\u00a0", "")
    if not AMOUNT.fullmatch(compact):
        return None
    return Decimal(compact.replace(",", ".")).quantize(Decimal("0.01"))


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def _pdf(name: str, pdf_dir: Path | None) -> tuple[Path | None, str | None, str | None]:
    """(path, sha256, problem) of a PDF named in the file: a plain name inside ``pdf_dir``."""
    if pdf_dir is None:
        return None, None, f"pdf_file {name!r} named but no PDF folder given (--pdf-dir)"
    if Path(name).name != name or name in {".", ".."}:
        return None, None, f"pdf_file {name!r} must be a plain file name"
    path = pdf_dir / name
    try:
        content = path.read_bytes()
    except OSError:
        return None, None, f"pdf_file {name!r} is missing from {pdf_dir}"
    if not content.startswith(PDF_MAGIC):
        return None, None, f"pdf_file {name!r} is not a PDF"
    return path, hashlib.sha256(content).hexdigest(), None


def _row_problem(row: dict, customers: dict[str, int], seen: dict[str, int]) -> str | None:
    number = row["invoice_number"]
    if number in seen:
        return f"duplicate invoice_number {number} (first on line {seen[number]})"
    empty = [c for c in REQUIRED if not row[c]]
    if empty:
        return f"empty value in: {', '.join(empty)}"
    if not INVOICE_NUMBER.fullmatch(number):
        return "invoice_number may hold only letters, digits, '-' and '_'"
    too_long = [c for c, n in LENGTHS.items() if len(row[c]) > n]
    if too_long:
        return f"value too long in: {', '.join(too_long)}"
    if row["customer_number"] not in customers:
        return f"unknown customer_number {row['customer_number']}"
    for column in ("invoice_date", "due_date"):
        if _date(row[column]) is None:
            return f"bad {column} {row[column]!r} (expected YYYY-MM-DD)"
    statuses = [s.value for s in InvoiceStatus]
    if row["status"].lower() not in statuses:
        return f"unknown status {row['status']!r} (expected one of: {', '.join(statuses)})"
    for column in ("amount", "vat_amount"):
        value = _amount(row[column])
        if value is None:
            return f"bad {column} {row[column]!r}"
        if value < 0 and row["status"].lower() != InvoiceStatus.CREDITED:
            return f"negative {column} on an invoice that is not credited"
    try:
        validate_reference(row["reference"])
        validate_iban(row["iban"])
    except PaymentDetailError as error:
        return str(error)
    return None


def parse_invoices(csv_file: CsvFile, pdf_dir: Path | None) -> InvoiceRows:
    """Validate the whole file against the customers shown today; nothing is written.

    ``csv_file`` must collect its problems in the returned rows' ``problems``.
    """
    result = InvoiceRows(problems=csv_file.problems)
    current = select(Customer.customer_number, Customer.id).where(Customer.removed_at.is_(None))
    customers = dict(db.session.execute(current).all())
    seen: dict[str, int] = {}
    name = str(csv_file.path)
    for line, row in csv_file.rows():
        problem = _row_problem(row, customers, seen)
        seen.setdefault(row["invoice_number"], line)
        pdf_path = sha256 = None
        if problem is None and row["pdf_file"]:
            pdf_path, sha256, problem = _pdf(row["pdf_file"], pdf_dir)
        if problem:
            result.problems.append(Problem(name, line, problem))
            continue
        result.rows.append(
            {
                "invoice_number": row["invoice_number"],
                "customer_id": customers[row["customer_number"]],
                "invoice_date": _date(row["invoice_date"]),
                "due_date": _date(row["due_date"]),
                "amount": _amount(row["amount"]),
                "vat_amount": _amount(row["vat_amount"]),
                "status": InvoiceStatus(row["status"].lower()),
                "reference": validate_reference(row["reference"]),
                "iban": validate_iban(row["iban"]),
                "pdf_file": row["pdf_file"],
                "pdf_sha256": sha256,
                "pdf_path": pdf_path,
            }
        )
    return result
