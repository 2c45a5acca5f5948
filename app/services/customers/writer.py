"""Comparing the register's files with the stored rows, and writing the difference.

The stored rows are read once per table and compared in Python, so only new
and changed rows are written, each batch as one prepared statement executed
for many rows (``executemany``): compiling a multi-row VALUES statement costs
far more than running it. A snapshot also removes what the files lack:
services are deleted, customers are marked removed (``removed_at``, identity
reference cleared), so nothing of theirs is linked or shown again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import Table, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import Customer, Service, utcnow
from app.services.imports.runner import Counts

BATCH = 2000  # rows per executemany call (each statement binds one row's columns)
LOOKUP = 5000  # keys per IN (...) statement, under SQLite's 32,766 bound parameters


@dataclass
class TablePlan:
    key: str
    compare: list[str]
    snapshot: bool
    keys: list[str] = field(default_factory=list)
    writes: list[dict] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)


def diff(key: str, rows: list[dict], stored: dict[str, tuple], snapshot: bool) -> TablePlan:
    """Classify ``rows`` against ``stored`` (key → compared values of rows shown today)."""
    compare = [c for c in rows[0] if c != key] if rows else []
    plan = TablePlan(key, compare, snapshot, keys=[row[key] for row in rows])
    for row in rows:
        old = stored.get(row[key])
        if old is None:
            plan.counts.added += 1
            plan.writes.append(row)
        elif old != tuple(row[c] for c in compare):
            plan.counts.changed += 1
            plan.writes.append(row)
        else:
            plan.counts.unchanged += 1
    if snapshot:
        in_files = set(plan.keys)
        plan.removed = [k for k in stored if k not in in_files]
        plan.counts.removed = len(plan.removed)
    return plan


def _read(query) -> dict[str, tuple]:
    """Key → the other columns. Through the session's connection (Core rows, no ORM
    loading): hundreds of thousands of rows are read on every import."""
    return {r[0]: tuple(r[1:]) for r in db.session.connection().execute(query)}


def stored_customers(compare: list[str]) -> dict[str, tuple]:
    table = Customer.__table__
    query = select(table.c.customer_number, *(table.c[c] for c in compare))
    return _read(query.where(table.c.removed_at.is_(None)))


def stored_services(compare: list[str]) -> dict[str, tuple]:
    """Services with their customer's number in place of its id, as the file names it."""
    services, customers = Service.__table__, Customer.__table__
    columns = [
        customers.c.customer_number if c == "customer_number" else services.c[c] for c in compare
    ]
    return _read(select(services.c.service_id, *columns).join(customers))


def chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def upsert(table: Table, plan: TablePlan, progress: Callable[[int], None]) -> None:
    """Insert or update ``plan.writes`` by key (a removed customer comes back)."""
    if not plan.writes:
        return
    dialect = db.session.get_bind().dialect.name
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}.get(dialect)
    if insert is None:
        raise RuntimeError(f"the import supports SQLite and PostgreSQL, not {dialect}")
    statement = insert(table)
    columns = [c for c in plan.writes[0] if c != plan.key]
    set_ = {c: statement.excluded[c] for c in columns}
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[plan.key]],
        set_=set_,
        where=or_(*[table.c[c].is_distinct_from(statement.excluded[c]) for c in columns]),
    )
    for chunk in chunks(plan.writes, BATCH):
        db.session.execute(statement, chunk)
        progress(len(chunk))


def write_register(customers: TablePlan, services: TablePlan, run_id: int, progress) -> None:
    """Write both plans in the caller's transaction, then stamp the customers in the files."""
    now = utcnow()
    extra = {"updated_at": now, "removed_at": None}
    customers.writes = [row | extra for row in customers.writes]
    upsert(Customer.__table__, customers, progress)
    service_table = Service.__table__
    for chunk in chunks(services.removed, LOOKUP):
        db.session.execute(service_table.delete().where(service_table.c.service_id.in_(chunk)))
        progress(len(chunk))
    if services.writes:
        ids = dict(db.session.execute(select(Customer.customer_number, Customer.id)).all())
        services.writes = [
            {k: v for k, v in row.items() if k != "customer_number"}
            | {"customer_id": ids[row["customer_number"]]}
            for row in services.writes
        ]
        upsert(service_table, services, progress)
    table = Customer.__table__
    for chunk in chunks(customers.removed, LOOKUP):
        db.session.execute(
            update(table)
            .where(table.c.customer_number.in_(chunk))
            .values(removed_at=now, updated_at=now, identity_ref=None, birth_date_part=None)
        )
        progress(len(chunk))
    _stamp(customers, run_id)


def _stamp(customers: TablePlan, run_id: int) -> None:
    """Remember that the customers in the files were in import ``run_id`` (for customer
    service's lookup); ``updated_at`` stays, as the customer's data did not change."""
    table = Customer.__table__
    stamp = update(table).values(last_import_id=run_id, updated_at=table.c.updated_at)
    if customers.snapshot:  # after the removals, the files hold exactly the rows shown
        db.session.execute(stamp.where(table.c.removed_at.is_(None)))
        return
    for chunk in chunks(customers.keys, LOOKUP):
        db.session.execute(stamp.where(table.c.customer_number.in_(chunk)))
