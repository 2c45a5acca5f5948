"""Invoice import from billing: ``INVOICES.csv`` and a folder of PDFs, through the shared
import runner (``app.services.imports.runner``).

The same rules as the register import: the file is validated whole first
(``validation``), a summary is made, the guard refuses a snapshot that looks
like the wrong file, everything is written in one transaction and the run is
recorded in the import history. By default the file is a snapshot (all
invoices billing shows): invoices it lacks are removed with their PDFs.
Invoices are matched by number and PDFs by SHA-256, so importing the same
file twice changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select

from app.extensions import db
from app.models import ImportMode, Invoice, InvoiceDocument
from app.services.imports import runner
from app.services.imports.csvfiles import CsvFile
from app.services.imports.runner import Counts, ImportRefused, Options, Summary
from app.services.invoices.validation import COLUMNS, COMPARED, InvoiceRows, parse_invoices

__all__ = ["COLUMNS", "InvoiceImport", "import_invoices"]


@dataclass
class InvoicePlan:
    """What writing a validated file would do; ``plan_invoices`` writes nothing."""

    new: list[dict] = field(default_factory=list)
    changed: list[tuple[Invoice, dict]] = field(default_factory=list)
    removed: list[Invoice] = field(default_factory=list)
    unchanged: int = 0

    @property
    def counts(self) -> Counts:
        return Counts(len(self.new), len(self.changed), len(self.removed), self.unchanged)


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


def write_invoices(plan: InvoicePlan, progress: Callable[[int], None] = lambda n: None) -> None:
    """Carry out ``plan`` in the caller's transaction (PDFs only where their hash changed)."""
    for row in plan.new:
        invoice = Invoice(**{k: v for k, v in row.items() if k != "pdf_path"})
        db.session.add(invoice)
        db.session.flush()
        _store_pdf(invoice.id, row["pdf_path"], row["pdf_sha256"])
        progress(1)
    for invoice, row in plan.changed:
        pdf_changed = invoice.pdf_sha256 != row["pdf_sha256"]
        for column in COMPARED:
            setattr(invoice, column, row[column])
        if pdf_changed:
            _store_pdf(invoice.id, row["pdf_path"], row["pdf_sha256"])
        progress(1)
    ids = [invoice.id for invoice in plan.removed]
    if ids:
        db.session.execute(delete(InvoiceDocument).where(InvoiceDocument.invoice_id.in_(ids)))
        db.session.execute(delete(Invoice).where(Invoice.id.in_(ids)))
        progress(len(ids))


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


@dataclass
class InvoiceImport:
    """The invoices as an import job for :func:`app.services.imports.runner.run`."""

    path: Path
    pdf_dir: Path | None
    mode: ImportMode = ImportMode.SNAPSHOT
    encoding: str = "auto"
    delimiter: str = "auto"
    kind: str = "invoices"
    notes: list[str] = field(default_factory=list)
    _csv: CsvFile | None = None
    _parsed: InvoiceRows | None = None
    _plan: InvoicePlan | None = None

    def validate(self) -> None:
        self._csv = CsvFile(self.path, COLUMNS, (), [], self.encoding, self.delimiter)
        self._parsed = parse_invoices(self._csv, self.pdf_dir)
        self.notes.extend(self._csv.notes)
        problems = self._parsed.problems
        if problems:
            raise ImportRefused.for_problems(problems)

    def files(self) -> list[runner.FileInfo]:
        if self._csv is None:
            return [runner.FileInfo(self.path, "", 0)]
        return [runner.FileInfo(self.path, self._csv.sha256, self._csv.records)]

    def plan(self) -> Summary:
        self._plan = plan_invoices(self._parsed, remove_missing=self.mode is ImportMode.SNAPSHOT)
        return {"invoices": self._plan.counts}

    def write(self, run_id: int, progress: Callable[[int], None]) -> None:
        write_invoices(self._plan, progress)


def import_invoices(
    path: Path,
    pdf_dir: Path | None = None,
    *,
    mode: ImportMode = ImportMode.SNAPSHOT,
    options: Options | None = None,
    encoding: str = "auto",
    delimiter: str = "auto",
) -> Summary:
    """Import the invoices; returns the summary. Raises :class:`ImportRefused` (nothing
    written, the refusal recorded) or ``ImportBusy`` (another import is running)."""
    job = InvoiceImport(Path(path), Path(pdf_dir) if pdf_dir else None, mode, encoding, delimiter)
    options = options or Options()
    job.notes = options.notes
    return runner.run(job, options)
