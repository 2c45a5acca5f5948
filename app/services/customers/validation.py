"""The register's two files, read and checked row by row before anything is written.

Every problem is collected as ``FILE:LINE: reason`` (never with the identity
code itself), so the operator fixes the whole export at once. A row's clear
identity code is turned into its keyed reference here and goes no further.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from email_validator import EmailNotValidError, validate_email

from app.models import ServiceKind, ServiceStatus
from app.services import identity_codes
from app.services.imports.csvfiles import CsvFile, Problem

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
#: Up to 8 digits, then optionally a decimal comma or point and 1-2 decimals: Numeric(10, 2).
PRICE_PATTERN = re.compile(r"\d{1,8}(?:[.,]\d{1,2})?")
KINDS = frozenset(k.value for k in ServiceKind)
STATUSES = frozenset(s.value for s in ServiceStatus)


@dataclass
class Parsed:
    customers: list[dict] = field(default_factory=list)
    services: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[CsvFile] = field(default_factory=list)


def parse_customers(
    csv_file: CsvFile, key: str, allow_temporary: bool, parsed: Parsed
) -> set[str] | None:
    """Good rows go to ``parsed.customers``; returns every customer number in the file,
    good row or bad (so that their services are not also called unknown), or None when
    the file could not be read through."""
    seen: dict[str, int] = {}
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
        row.pop("personal_identity_code", None)  # the clear code goes no further
        if problem:
            parsed.problems.append(Problem(str(csv_file.path), line, problem))
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
    return csv_file.keys if csv_file.complete else None


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


def _too_long(row: dict, lengths: dict[str, int]) -> str | None:
    columns = [c for c, n in lengths.items() if len(row.get(c) or "") > n]
    return f"value too long in: {', '.join(columns)}" if columns else None


def parse_price(value: str) -> Decimal:
    """``29,90``, ``29.90``, ``1 299,00``: a non-negative amount with at most two decimals."""
    compact = value.replace(" ", "").replace("\u00a0", "")
    if not PRICE_PATTERN.fullmatch(compact):
        raise InvalidOperation
    return Decimal(compact.replace(",", ".")).quantize(Decimal("0.01"))


def parse_services(csv_file: CsvFile, known: set[str] | None, where: str, parsed: Parsed) -> None:
    """``known`` None: the customers file was unreadable, so skip that check rather than
    call every service's customer unknown; ``where`` says where known numbers come from."""
    seen: dict[str, int] = {}
    for line, row in csv_file.rows():
        reason = _service_problem(row, seen, known, where)
        if reason is None:
            try:
                start = date.fromisoformat(row["start_date"])
                if len(row["start_date"]) != 10:
                    raise ValueError
            except ValueError:
                reason = f"bad start_date {row['start_date']!r} (expected YYYY-MM-DD)"
        if reason is None:
            try:
                price = parse_price(row["monthly_price"])
            except (InvalidOperation, ValueError):
                reason = f"bad monthly_price {row['monthly_price']!r}"
        if row["service_id"]:
            seen.setdefault(row["service_id"], line)
        if reason:
            parsed.problems.append(Problem(str(csv_file.path), line, reason))
            continue
        parsed.services.append(
            row
            | {"kind": row["kind"].lower(), "status": row["status"].lower()}
            | {"start_date": start, "monthly_price": price}
        )


def _service_problem(row: dict, seen: dict[str, int], known: set[str] | None, where: str):
    service_id = row["service_id"]
    empty = [c for c in SERVICE_REQUIRED_VALUES if not row[c]]
    if service_id in seen:
        return f"duplicate service_id {service_id} (first on line {seen[service_id]})"
    if empty:
        return f"empty value in: {', '.join(empty)}"
    if _too_long(row, SERVICE_LENGTHS):
        return _too_long(row, SERVICE_LENGTHS)
    if known is not None and row["customer_number"] not in known:
        return f"unknown customer_number {row['customer_number']} ({where})"
    if row["kind"].lower() not in KINDS:
        return f"unknown kind {row['kind']!r} (expected one of: {', '.join(sorted(KINDS))})"
    if row["status"].lower() not in STATUSES:
        return f"unknown status {row['status']!r} (expected active or ended)"
    return None


def read_files(
    customers: CsvFile, services: CsvFile, *, key: str, allow_temporary: bool, stored: set[str]
) -> Parsed:
    """Both files whole. ``stored``: customer numbers a service may also name (the
    register's, for a delta import; none for a snapshot, which is the whole register)."""
    parsed = Parsed(problems=customers.problems, files=[customers, services])
    numbers = parse_customers(customers, key, allow_temporary, parsed)
    where = (
        "neither in the customers file nor in the register"
        if stored
        else ("not in the customers file")
    )
    known = None if numbers is None else numbers | stored
    parse_services(services, known, where, parsed)
    return parsed
