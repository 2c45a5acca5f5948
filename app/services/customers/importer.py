"""Customer-register import from the billing system's CSV files.

The two files are validated completely before anything is written. A file
with any bad row is refused whole: every problem is reported as
``FILE:LINE: reason`` (never with the identity code itself) and the
database is left as it was. Good files are upserted by customer number and
service id in one transaction; importing the same files twice changes
nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Table, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import Customer, Service, ServiceKind, ServiceStatus, utcnow
from app.services import identity_codes

CUSTOMER_COLUMNS = (
    "customer_number",
    "personal_identity_code",
    "name",
    "street_address",
    "postal_code",
    "city",
    "email",
    "phone",
)
CUSTOMER_OPTIONAL = ("co_holder_name",)
SERVICE_COLUMNS = (
    "service_id",
    "customer_number",
    "kind",
    "name",
    "details",
    "address",
    "start_date",
    "monthly_price",
    "status",
)
CUSTOMER_REQUIRED_VALUES = ("customer_number", "name", "street_address", "postal_code", "city")
SERVICE_REQUIRED_VALUES = ("service_id", "customer_number", "kind", "name", "address")
BATCH = 2000  # rows per executemany call (each statement binds one row's columns)
LOOKUP = 5000  # keys per IN (...) lookup, under SQLite's 32,766 bound parameters
#: Up to 8 digits, then optionally a decimal comma or point and 1-2 decimals: Numeric(10, 2).
PRICE_PATTERN = re.compile(r"\d{1,8}(?:[.,]\d{1,2})?")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    reason: str

    def __post_init__(self) -> None:
        # A reason may quote a value; a code in the wrong column must not leak through it.
        object.__setattr__(self, "reason", identity_codes.mask(self.reason))

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class ImportRefused(Exception):
    """The files have problems; nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s); nothing was imported")


@dataclass
class ImportResult:
    customers_added: int = 0
    customers_updated: int = 0
    customers_unchanged: int = 0
    services_added: int = 0
    services_updated: int = 0
    services_unchanged: int = 0


@dataclass
class _Parsed:
    customers: list[dict] = field(default_factory=list)
    services: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: Every customer number in the customers file, good row or bad (so that their
    #: services are not also called unknown).
    customer_numbers: set[str] = field(default_factory=set)
    #: False when the customers file could not be read through (encoding, header, quoting).
    customers_readable: bool = True


@dataclass
class _CsvFile:
    """A UTF-8 CSV file with a header row; structural problems go to ``problems``."""

    path: Path
    columns: tuple[str, ...]
    optional: tuple[str, ...]
    problems: list[Problem]
    #: The column whose every value is collected in ``keys``, from bad rows too.
    key: str | None = None
    keys: set[str] = field(default_factory=set)
    #: Whether every record could be read (sound encoding, header and quoting).
    complete: bool = False

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """Yield ``(line, row)``; ``line`` is where a record starts (a quoted field may
        span lines)."""
        name, problems = str(self.path), self.problems
        columns, optional = self.columns, self.optional
        try:
            data = self.path.read_bytes()
        except OSError as error:
            problems.append(Problem(name, 0, f"cannot read the file ({error.strerror})"))
            return
        data = data.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark, as Excel writes
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            problems.append(Problem(name, line, "the file is not valid UTF-8"))
            return
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            problems.append(Problem(name, 1, "the file is empty (a header row is needed)"))
            return
        except csv.Error as error:
            problems.append(Problem(name, 1, f"broken CSV ({error})"))
            return
        repeated = sorted({h for h in header if header.count(h) > 1})
        if repeated:
            problems.append(Problem(name, 1, f"repeated column(s): {', '.join(repeated)}"))
            return
        missing = [c for c in columns if c not in header]
        if missing:
            problems.append(Problem(name, 1, f"missing column(s): {', '.join(missing)}"))
            return
        unknown = [h for h in header if h not in columns and h not in optional]
        if unknown:
            problems.append(Problem(name, 1, f"unknown column(s): {', '.join(unknown)}"))
            return
        position = header.index(self.key) if self.key else None
        end = reader.line_num
        try:
            for row in reader:
                line, end = end + 1, reader.line_num
                if not row or all(not value.strip() for value in row):
                    continue
                if position is not None and position < len(row) and row[position].strip():
                    self.keys.add(row[position].strip())
                if len(row) != len(header):
                    problems.append(
                        Problem(name, line, f"expected {len(header)} fields, found {len(row)}")
                    )
                    continue
                yield line, {key: value.strip() for key, value in zip(header, row, strict=True)}
        except csv.Error as error:
            problems.append(Problem(name, end + 1, f"broken CSV ({error})"))
            return
        self.complete = True


def _parse_price(value: str) -> Decimal:
    """``29,90``, ``29.90``, ``1 299,00``: a non-negative amount with at most two decimals."""
    compact = value.replace(" ", "").replace("\u00a0", "")
    if not PRICE_PATTERN.fullmatch(compact):
        raise InvalidOperation
    return Decimal(compact.replace(",", ".")).quantize(Decimal("0.01"))


def _parse_customers(path: Path, key: str, allow_temporary: bool, parsed: _Parsed) -> None:
    seen: dict[str, int] = {}
    name = str(path)
    csv_file = _CsvFile(
        path, CUSTOMER_COLUMNS, CUSTOMER_OPTIONAL, parsed.problems, key="customer_number"
    )
    for line, row in csv_file.rows():
        problem = _customer_problem(row, seen, line)
        if problem is None and row["personal_identity_code"]:
            try:
                code = identity_codes.parse(
                    row["personal_identity_code"], allow_temporary=allow_temporary
                )
            except identity_codes.InvalidIdentityCode as error:
                problem = f"invalid personal identity code ({error.reason})"
            else:
                row["identity_ref"] = identity_codes.identity_reference(code, key)
                row["birth_date_part"] = code.birth_date_part
        if problem:
            parsed.problems.append(Problem(name, line, problem))
            continue
        parsed.customers.append(
            {
                "customer_number": row["customer_number"],
                "identity_ref": row.get("identity_ref"),
                "birth_date_part": row.get("birth_date_part"),
                "name": row["name"],
                "street_address": row["street_address"],
                "postal_code": row["postal_code"],
                "city": row["city"],
                "email": row["email"],
                "phone": row["phone"],
                "co_holder_name": row.get("co_holder_name") or None,
            }
        )
        row.pop("personal_identity_code", None)  # the clear code goes no further
    parsed.customer_numbers.update(csv_file.keys)
    parsed.customers_readable = csv_file.complete


def _customer_problem(row: dict, seen: dict[str, int], line: int) -> str | None:
    number = row["customer_number"]
    if number in seen:
        return f"duplicate customer_number {number} (first on line {seen[number]})"
    if number:
        seen[number] = line  # a later row with this number is a duplicate, this one good or bad
    empty = [c for c in CUSTOMER_REQUIRED_VALUES if not row[c]]
    if empty:
        return f"empty value in: {', '.join(empty)}"
    too_long = _too_long(row, CUSTOMER_LENGTHS)
    if too_long:
        return too_long
    if row["email"]:
        try:
            validate_email(row["email"], check_deliverability=False)
        except EmailNotValidError:
            return "invalid email"
    return None


#: Column widths in the database; a longer value refuses the file rather than being cut.
CUSTOMER_LENGTHS = {
    "customer_number": 40,
    "name": 200,
    "street_address": 200,
    "city": 100,
    "postal_code": 20,
    "phone": 40,
    "email": 254,
    "co_holder_name": 200,
}
SERVICE_LENGTHS = {"service_id": 40, "name": 200, "details": 400, "address": 300}


def _too_long(row: dict, lengths: dict[str, int]) -> str | None:
    columns = [c for c, n in lengths.items() if len(row.get(c) or "") > n]
    return f"value too long in: {', '.join(columns)}" if columns else None


def _parse_services(path: Path, known_customers: set[str] | None, parsed: _Parsed) -> None:
    """``known_customers`` None: the customers file was unreadable, so skip that check
    rather than call every service's customer unknown."""
    seen: dict[str, int] = {}
    name = str(path)
    kinds = {k.value for k in ServiceKind}
    statuses = {s.value for s in ServiceStatus}
    for line, row in _CsvFile(path, SERVICE_COLUMNS, (), parsed.problems).rows():
        reason = None
        service_id = row["service_id"]
        empty = [c for c in SERVICE_REQUIRED_VALUES if not row[c]]
        if service_id in seen:
            reason = f"duplicate service_id {service_id} (first on line {seen[service_id]})"
        elif empty:
            reason = f"empty value in: {', '.join(empty)}"
        elif _too_long(row, SERVICE_LENGTHS):
            reason = _too_long(row, SERVICE_LENGTHS)
        elif known_customers is not None and row["customer_number"] not in known_customers:
            reason = f"unknown customer_number {row['customer_number']}"
        elif row["kind"].lower() not in kinds:
            reason = f"unknown kind {row['kind']!r} (expected one of: {', '.join(sorted(kinds))})"
        elif row["status"].lower() not in statuses:
            reason = f"unknown status {row['status']!r} (expected active or ended)"
        if reason is None:
            try:
                start = date.fromisoformat(row["start_date"])
                if len(row["start_date"]) != 10:
                    raise ValueError
            except ValueError:
                reason = f"bad start_date {row['start_date']!r} (expected YYYY-MM-DD)"
        if reason is None:
            try:
                price = _parse_price(row["monthly_price"])
            except (InvalidOperation, ValueError):
                reason = f"bad monthly_price {row['monthly_price']!r}"
        if service_id:
            seen.setdefault(service_id, line)
        if reason:
            parsed.problems.append(Problem(name, line, reason))
            continue
        parsed.services.append(
            {
                "service_id": row["service_id"],
                "customer_number": row["customer_number"],
                "kind": row["kind"].lower(),
                "name": row["name"],
                "details": row["details"],
                "address": row["address"],
                "start_date": start,
                "monthly_price": price,
                "status": row["status"].lower(),
            }
        )


def _existing_customer_numbers() -> set[str]:
    return set(db.session.scalars(select(Customer.customer_number)))


def _chunks(items: list[dict], size: int = BATCH) -> Iterator[list[dict]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _upsert(
    table: Table, key: str, rows: list[dict], compare: Iterable[str], progress
) -> tuple[int, int]:
    """Insert new rows and update changed ones; returns (added, updated).

    The stored rows are read first and compared in Python, so only new and
    changed rows are written, each batch as one prepared statement executed
    for many rows (``executemany``): compiling a multi-row VALUES statement
    costs far more than running it. The upsert's conflict clause still only
    rewrites a row whose values differ.
    """
    dialect = db.session.get_bind().dialect.name
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}.get(dialect)
    if insert is None:
        raise RuntimeError(f"the import supports SQLite and PostgreSQL, not {dialect}")
    compare = list(compare)
    lookup = select(table.c[key], *(table.c[c] for c in compare))
    writes: list[dict] = []
    added = 0
    for chunk in _chunks(rows, LOOKUP):
        stored = {
            found[0]: tuple(found[1:])
            for found in db.session.execute(lookup.where(table.c[key].in_([r[key] for r in chunk])))
        }
        for row in chunk:
            old = stored.get(row[key])
            if old is None:
                added += 1
                writes.append(row)
            elif old != tuple(row[c] for c in compare):
                writes.append(row)
        progress(len(chunk))
    if not writes:
        return added, 0
    statement = insert(table)
    set_ = {c: statement.excluded[c] for c in compare}
    if "updated_at" in table.c:
        set_["updated_at"] = statement.excluded.updated_at
        now = utcnow()
        writes = [{**r, "updated_at": now} for r in writes]
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[key]],
        set_=set_,
        where=or_(*[table.c[c].is_distinct_from(statement.excluded[c]) for c in compare]),
    )
    for chunk in _chunks(writes):
        db.session.execute(statement, chunk)
    return added, len(writes) - added


def import_register(
    customers_file: Path,
    services_file: Path,
    *,
    identity_key: str,
    allow_temporary: bool,
    progress: Callable[[int], None] = lambda n: None,
    on_total: Callable[[int], None] = lambda n: None,
) -> ImportResult:
    """Validate both files, then upsert everything in one transaction or nothing at all.

    Once the files are valid, ``on_total`` receives the number of rows to
    write and ``progress`` then receives each written batch's size.
    """
    parsed = _Parsed()
    _parse_customers(Path(customers_file), identity_key, allow_temporary, parsed)
    known = (
        parsed.customer_numbers | _existing_customer_numbers()
        if parsed.customers_readable
        else None
    )
    _parse_services(Path(services_file), known, parsed)
    if parsed.problems:
        raise ImportRefused(parsed.problems)
    on_total(len(parsed.customers) + len(parsed.services))
    result = ImportResult()
    try:
        customer_table = Customer.__table__
        compare = (
            [c for c in parsed.customers[0] if c != "customer_number"] if parsed.customers else []
        )
        added, updated = _upsert(
            customer_table, "customer_number", parsed.customers, compare, progress
        )
        result.customers_added, result.customers_updated = added, updated
        result.customers_unchanged = len(parsed.customers) - added - updated
        ids = dict(db.session.execute(select(Customer.customer_number, Customer.id)).all())
        service_rows = []
        for s in parsed.services:
            row = dict(s)
            row["customer_id"] = ids[row.pop("customer_number")]
            service_rows.append(row)
        compare = [c for c in service_rows[0] if c != "service_id"] if service_rows else []
        added, updated = _upsert(Service.__table__, "service_id", service_rows, compare, progress)
        result.services_added, result.services_updated = added, updated
        result.services_unchanged = len(service_rows) - added - updated
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result
