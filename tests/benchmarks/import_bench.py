"""Time the customer-register import: 100,000 customers with 300,000 services on SQLite.

The register is generated deterministically (seeded), with valid temporary
identity codes, then imported twice into a fresh SQLite database through
:func:`app.services.customers.importer.import_register`: the first run adds
everything, the second must find nothing to change.
"""

from __future__ import annotations

import csv
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from app.services.customers.demo import FAMILY_NAMES as _FAMILY
from app.services.customers.demo import GIVEN_NAMES as _GIVEN
from app.services.customers.demo import PRODUCTS, temporary_code
from app.services.customers.importer import CUSTOMER_COLUMNS, SERVICE_COLUMNS
from app.services.imports.runner import Summary

CUSTOMERS = 100_000
SERVICES = 300_000
SEED = 2026

_STREETS = ["Storgatan", "Kyrkoesplanaden", "Strandvägen", "Rantakatu", "Skolvägen", "Bygatan"]
_CITIES = [("65100", "Vasa"), ("68600", "Jakobstad"), ("66900", "Nykarleby"), ("64200", "Närpes")]
# Names and products as in the demo register, prices with both decimal marks.
_PRODUCTS = [
    (kind, name, details, price.replace(".", ",") if index % 2 == 0 else price)
    for index, (kind, name, details, price) in enumerate(PRODUCTS)
]


def generate(directory: Path, customers: int = CUSTOMERS, services: int = SERVICES):
    """Write customers.csv and services.csv to ``directory``; returns both paths.

    Every customer has a distinct temporary code (100 individual numbers per
    birth date), except every 50th, whose code the operator does not know.
    Services are spread over the customers round-robin.
    """
    rng = random.Random(SEED)
    first_birthday = date(1930, 1, 1)
    customers_csv = directory / "customers.csv"
    services_csv = directory / "services.csv"
    with customers_csv.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*CUSTOMER_COLUMNS, "co_holder_name"])
        for index in range(customers):
            born = first_birthday + timedelta(days=index // 100)
            code = "" if index % 50 == 49 else temporary_code(born, 900 + index % 100)
            given, family = rng.choice(_GIVEN), rng.choice(_FAMILY)
            postal, city = rng.choice(_CITIES)
            writer.writerow(
                [
                    str(1_000_000 + index),
                    code,
                    f"{given} {family}",
                    f"{rng.choice(_STREETS)} {rng.randint(1, 99)}",
                    postal,
                    city,
                    f"customer{index}@example.fi",
                    f"050 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                    f"{rng.choice(_GIVEN)} {family}" if index % 10 == 0 else "",
                ]
            )
    with services_csv.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(SERVICE_COLUMNS)
        for index in range(services):
            kind, name, details, price = rng.choice(_PRODUCTS)
            started = date(2010, 1, 1) + timedelta(days=rng.randint(0, 5000))
            writer.writerow(
                [
                    str(5_000_000 + index),
                    str(1_000_000 + index % customers),
                    kind,
                    name,
                    details,
                    f"{rng.choice(_STREETS)} {rng.randint(1, 99)}, Vasa",
                    started.isoformat(),
                    price,
                    "ended" if index % 17 == 0 else "active",
                ]
            )
    return customers_csv, services_csv


def settings(directory: Path) -> dict[str, object]:
    """The tests' settings; the identification broker is never contacted."""
    from tests.conftest import base_settings

    return base_settings(directory, "http://127.0.0.1:9")


def _timed(function, *args, **kwargs):
    """``(value, wall seconds, CPU seconds of this process)``: on a busy machine the two
    differ, and the CPU figure says what the work itself costs."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - wall, time.process_time() - cpu


def _summary(summary: Summary) -> str:
    return ", ".join(f"{table} {counts}" for table, counts in summary.items())


def _changed(summary: Summary) -> int:
    return sum(c.added + c.changed + c.removed for c in summary.values())


def run(customers: int = CUSTOMERS, services: int = SERVICES) -> dict[str, float]:
    """Generate, import, import again; print and return the wall times in seconds."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.services.customers.importer import import_register

    with tempfile.TemporaryDirectory(prefix="selfie-import-bench-") as temp:
        directory = Path(temp)
        print(f"Register import: {customers:,} customers, {services:,} services (SQLite)")
        (customers_csv, services_csv), wall, cpu = _timed(generate, directory, customers, services)
        print(f"  {'generate the CSV files':24} {wall:7.2f} s wall {cpu:7.2f} s CPU")
        times = {"generate": wall}
        app = create_app(settings(directory))
        with app.app_context():
            upgrade()
            for label, name in (("first import", "import"), ("same files again", "reimport")):
                result, wall, cpu = _timed(
                    import_register,
                    customers_csv,
                    services_csv,
                    identity_key=app.config["IDENTITY_KEY"],
                    allow_temporary=True,
                )
                times[name] = wall
                print(f"  {label:24} {wall:7.2f} s wall {cpu:7.2f} s CPU  ({_summary(result)})")
            db.session.remove()
            db.engine.dispose()
        if _changed(result):
            raise SystemExit("the second import changed something: it is not idempotent")
    return times


if __name__ == "__main__":
    run()
