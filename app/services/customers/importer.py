"""The customer-register import from the billing system's two CSV files.

The files are read and validated whole (``validation``), compared with the
stored register (``writer``) and written through the shared import runner
(``app.services.imports.runner``): summary, guard against a wrong file, one
transaction, history row. By default the files are a snapshot, the whole
register: customers and services they lack are removed from what customers
see. A delta import (billing sends only changes) adds and updates only.
A file with any bad row is refused whole and the database is left as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import Customer, ImportMode
from app.services.customers import writer
from app.services.customers.validation import (
    CUSTOMER_COLUMNS,
    CUSTOMER_OPTIONAL,
    SERVICE_COLUMNS,
    Parsed,
    read_files,
)
from app.services.imports import runner
from app.services.imports.csvfiles import CsvFile, Problem
from app.services.imports.locking import ImportBusy
from app.services.imports.runner import Counts, ImportRefused, Options, Summary

__all__ = [
    "CUSTOMER_COLUMNS",
    "CUSTOMER_OPTIONAL",
    "SERVICE_COLUMNS",
    "Counts",
    "ImportBusy",
    "ImportRefused",
    "Problem",
    "RegisterImport",
    "import_register",
]


@dataclass
class RegisterImport:
    """The register as an import job for :func:`app.services.imports.runner.run`."""

    customers_file: Path
    services_file: Path
    identity_key: str
    allow_temporary: bool
    mode: ImportMode = ImportMode.SNAPSHOT
    encoding: str = "auto"
    delimiter: str = "auto"
    kind: str = "register"
    notes: list[str] = field(default_factory=list)
    _parsed: Parsed | None = None
    _plans: tuple[writer.TablePlan, writer.TablePlan] | None = None

    def _csv(self, path: Path, columns, optional, problems, key=None) -> CsvFile:
        return CsvFile(
            Path(path), columns, optional, problems, self.encoding, self.delimiter, key=key
        )

    def validate(self) -> None:
        problems: list[Problem] = []
        customers = self._csv(
            self.customers_file, CUSTOMER_COLUMNS, CUSTOMER_OPTIONAL, problems, "customer_number"
        )
        services = self._csv(self.services_file, SERVICE_COLUMNS, (), problems)
        stored: set[str] = set()
        if self.mode is ImportMode.DELTA:  # services may name customers already stored
            query = select(Customer.customer_number).where(Customer.removed_at.is_(None))
            stored = set(db.session.scalars(query))
        self._parsed = read_files(
            customers,
            services,
            key=self.identity_key,
            allow_temporary=self.allow_temporary,
            stored=stored,
        )
        self.notes.extend(customers.notes + services.notes)
        if problems:
            raise ImportRefused.for_problems(problems)

    def files(self) -> list[runner.FileInfo]:
        found = self._parsed.files if self._parsed else []
        if not found:
            return [
                runner.FileInfo(Path(p), "", 0) for p in (self.customers_file, self.services_file)
            ]
        return [runner.FileInfo(f.path, f.sha256, f.records) for f in found]

    def plan(self) -> Summary:
        snapshot = self.mode is ImportMode.SNAPSHOT
        customers, services = self._parsed.customers, self._parsed.services
        compare = [c for c in customers[0] if c != "customer_number"] if customers else []
        customer_plan = writer.diff(
            "customer_number", customers, writer.stored_customers(compare), snapshot
        )
        compare = [c for c in services[0] if c != "service_id"] if services else []
        service_plan = writer.diff(
            "service_id", services, writer.stored_services(compare), snapshot
        )
        self._plans = (customer_plan, service_plan)
        return {"customers": customer_plan.counts, "services": service_plan.counts}

    def write(self, run_id: int, progress: Callable[[int], None]) -> None:
        writer.write_register(*self._plans, run_id, progress)


def import_register(
    customers_file: Path,
    services_file: Path,
    *,
    identity_key: str,
    allow_temporary: bool,
    mode: ImportMode = ImportMode.SNAPSHOT,
    options: Options | None = None,
    encoding: str = "auto",
    delimiter: str = "auto",
) -> Summary:
    """Import the register; returns the summary. Raises :class:`ImportRefused` (the
    files, or the guard, refused: nothing written, the refusal recorded) or
    :class:`ImportBusy` (another import is running)."""
    job = RegisterImport(
        Path(customers_file),
        Path(services_file),
        identity_key,
        allow_temporary,
        mode=mode,
        encoding=encoding,
        delimiter=delimiter,
    )
    options = options or Options()
    job.notes = options.notes  # what was detected (an encoding) reaches the caller
    return runner.run(job, options)
