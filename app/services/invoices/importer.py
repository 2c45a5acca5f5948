"""Invoice import from billing: ``INVOICES.csv`` and a folder of PDFs.

The same rules as the register import: the whole file is validated first,
every problem reported as ``FILE:LINE: reason``, and a file with any bad row
is refused whole. Valid rows are then written by invoice number (PDFs as
bytes, compared by SHA-256), so importing the same file twice changes nothing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import delete, select

from app.extensions import db
from app.models import Customer, Invoice, InvoiceDocument, InvoiceStatus
from app.services.customers.importer import ImportRefused, Problem
from app.services.customers.importer import _CsvFile as CsvFile
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


@dataclass
class InvoiceResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0


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


def parse_invoices(path: Path, pdf_dir: Path | None) -> InvoiceRows:
    """Validate the whole file against the stored customers; nothing is written."""
    result = InvoiceRows()
    customers = dict(db.session.execute(select(Customer.customer_number, Customer.id)).all())
    seen: dict[str, int] = {}
    name = str(path)
    for line, row in CsvFile(Path(path), COLUMNS, (), result.problems).rows():
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


@dataclass
class InvoicePlan:
    """What writing a validated file would do; ``plan_invoices`` writes nothing."""

    new: list[dict] = field(default_factory=list)
    changed: list[tuple[Invoice, dict]] = field(default_factory=list)
    removed: list[Invoice] = field(default_factory=list)
    unchanged: int = 0

    @property
    def result(self) -> InvoiceResult:
        return InvoiceResult(len(self.new), len(self.changed), self.unchanged, len(self.removed))


def plan_invoices(parsed: InvoiceRows, *, remove_missing: bool) -> InvoicePlan:
    """Compare the file with the stored invoices by number; a snapshot removes the rest."""
    plan = InvoicePlan()
    stored = {i.invoice_number: i for i in db.session.scalars(select(Invoice))}
    for row in parsed.rows:
        invoice = stored.pop(row["invoice_number"], None)
        if invoice is None:
            plan.new.append(row)
        elif all(getattr(invoice, c) == row[c] for c in COMPARED):
            plan.unchanged += 1
        else:
            plan.changed.append((invoice, row))
    if remove_missing:
        plan.removed = list(stored.values())
    return plan


def write_invoices(plan: InvoicePlan) -> None:
    """Carry out ``plan`` in the caller's transaction (PDFs only where their hash changed)."""
    for row in plan.new:
        invoice = Invoice(**{k: v for k, v in row.items() if k != "pdf_path"})
        db.session.add(invoice)
        db.session.flush()
        _store_pdf(invoice.id, row["pdf_path"], row["pdf_sha256"])
    for invoice, row in plan.changed:
        pdf_changed = invoice.pdf_sha256 != row["pdf_sha256"]
        for column in COMPARED:
            setattr(invoice, column, row[column])
        if pdf_changed:
            _store_pdf(invoice.id, row["pdf_path"], row["pdf_sha256"])
    ids = [invoice.id for invoice in plan.removed]
    if ids:
        db.session.execute(delete(InvoiceDocument).where(InvoiceDocument.invoice_id.in_(ids)))
        db.session.execute(delete(Invoice).where(Invoice.id.in_(ids)))


class PdfChanged(RuntimeError):
    """A PDF changed between validation and writing: the import is rolled back."""


def _store_pdf(invoice_id: int, path: Path | None, sha256: str | None) -> None:
    db.session.execute(delete(InvoiceDocument).where(InvoiceDocument.invoice_id == invoice_id))
    if path is None:
        return
    content = path.read_bytes()
    if hashlib.sha256(content).hexdigest() != sha256:
        raise PdfChanged(f"{path} changed during the import; nothing was imported")
    db.session.add(InvoiceDocument(invoice_id=invoice_id, content=content))


def import_invoices(
    path: Path, pdf_dir: Path | None = None, *, dry_run: bool = False
) -> InvoiceResult:
    """Validate the file whole, then write it in one transaction (a dry run only counts)."""
    try:
        parsed = parse_invoices(Path(path), Path(pdf_dir) if pdf_dir else None)
        if parsed.problems:
            raise ImportRefused(parsed.problems)
        plan = plan_invoices(parsed, remove_missing=False)
        if not dry_run:
            write_invoices(plan)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return plan.result
