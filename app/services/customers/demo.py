"""A generated demo register: a few dozen customers with temporary identity codes.

Temporary codes (individual numbers 900–999) are what test identification
environments use; the portal accepts them only with
``SELFIE_IDENTITY_ALLOW_TEMPORARY`` on, as ``make demo`` sets it.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"


def temporary_code(born: date, individual: int) -> str:
    """A valid temporary personal identity code for someone born on ``born``."""
    if not 900 <= individual <= 999:
        raise ValueError("temporary individual numbers are 900-999")
    sign = {18: "+", 19: "-", 20: "A"}[born.year // 100]
    stem = f"{born:%d%m%y}{individual:03d}"
    return f"{born:%d%m%y}{sign}{individual:03d}{_CHECK[int(stem) % 31]}"


@dataclass(frozen=True)
class DemoPerson:
    sub: str
    given_name: str
    family_name: str
    born: date
    individual: int
    demonstrates: str

    @property
    def code(self) -> str:
        return temporary_code(self.born, self.individual)


# The persons worth a click in the demo identification provider.
FEATURED = [
    DemoPerson(
        "anna.andersson",
        "Anna",
        "Andersson",
        date(1985, 3, 15),
        901,
        "two customer numbers (home and summer cottage)",
    ),
    DemoPerson(
        "matti.virtanen",
        "Matti",
        "Virtanen",
        date(1962, 7, 1),
        902,
        "one customer number, broadband, TV and telephony, one service ended",
    ),
    DemoPerson(
        "erik.lindqvist",
        "Erik",
        "Lindqvist",
        date(1958, 11, 30),
        903,
        "invoice carries two names; Erik's code was given, so Erik sees the services",
    ),
    DemoPerson(
        "maria.lindqvist",
        "Maria",
        "Lindqvist",
        date(1960, 2, 29),
        904,
        "co-holder on Erik's invoice; her code was not given, so she sees the explanation",
    ),
    DemoPerson(
        "pekka.korhonen",
        "Pekka",
        "Korhonen",
        date(1990, 5, 20),
        905,
        "unknown to the operator: no customer number links, he sees the explanation",
    ),
    DemoPerson(
        "sofia.nyman",
        "Sofia",
        "Nyman",
        date(2001, 1, 9),
        906,
        "a company line in her own name besides her home customer number",
    ),
]

GIVEN_NAMES = [
    "Johan",
    "Kaisa",
    "Mikael",
    "Liisa",
    "Henrik",
    "Aino",
    "Jonas",
    "Helena",
    "Niklas",
    "Sanna",
    "Tomas",
    "Eeva",
    "Peter",
    "Minna",
    "Kristian",
    "Ulla",
]
FAMILY_NAMES = [
    "Björk",
    "Mäkinen",
    "Holm",
    "Nieminen",
    "Sjöberg",
    "Koskinen",
    "Ek",
    "Laine",
    "Forsman",
    "Heikkinen",
    "Strand",
    "Järvinen",
]
_PLACES = [
    ("Storgatan", "65100", "Vasa"),
    ("Kyrkoesplanaden", "68600", "Jakobstad"),
    ("Strandvägen", "66900", "Nykarleby"),
    ("Rantakatu", "65100", "Vaasa"),
    ("Skolvägen", "66100", "Malax"),
    ("Bygatan", "64200", "Närpes"),
    ("Sandvägen", "68300", "Kronoby"),
    ("Torggatan", "66400", "Vörå"),
]
PRODUCTS = [
    ("broadband", "Fiber 100", "100/100 Mbit/s", "29.90"),
    ("broadband", "Fiber 1000", "1000/1000 Mbit/s", "49.90"),
    ("tv", "TV Bas", "30 kanaler", "14.90"),
    ("tv", "TV Plus", "70 kanaler och sport", "34.90"),
    ("phone", "Fast telefon", "06 123 4567", "9.90"),
    ("it", "IT-support", "Fjärrsupport och virusskydd", "12.50"),
]


def _address(rng: random.Random) -> tuple[str, str, str]:
    street, postal, city = rng.choice(_PLACES)
    return f"{street} {rng.randint(1, 60)}", postal, city


def demo_rows() -> tuple[list[dict], list[dict]]:
    """Customers and services for the demo, deterministic (seeded)."""
    rng = random.Random(2026)  # noqa: S311 - reproducible demo data, not secrets
    customers: list[dict] = []
    services: list[dict] = []

    def customer(number, person, name, co_holder="", code=None):
        street, postal, city = _address(rng)
        customers.append(
            {
                "customer_number": str(number),
                "personal_identity_code": person.code if code is None else code,
                "name": name,
                "street_address": street,
                "postal_code": postal,
                "city": city,
                "email": f"{person.given_name}.{person.family_name}@example.fi".lower()
                .replace("ä", "a")
                .replace("ö", "o")
                .replace("å", "a"),
                "phone": f"050 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                "co_holder_name": co_holder,
            }
        )
        return customers[-1]

    def service(sid, record, product, status="active", address=None, started=None):
        kind, name, details, price = product
        services.append(
            {
                "service_id": str(sid),
                "customer_number": record["customer_number"],
                "kind": kind,
                "name": name,
                "details": details,
                "address": address or f"{record['street_address']}, {record['city']}",
                "start_date": (
                    started or date(2015, 1, 1) + timedelta(days=rng.randint(0, 3500))
                ).isoformat(),
                "monthly_price": price.replace(".", ","),
                "status": status,
            }
        )

    anna, matti, erik, _maria, _pekka, sofia = FEATURED
    home = customer(100001, anna, "Anna Andersson")
    service(500001, home, PRODUCTS[1])
    service(500002, home, PRODUCTS[3])
    cottage = customer(100002, anna, "Anna Andersson")
    service(500003, cottage, PRODUCTS[0], address="Sommarstigen 4, Replot")
    m = customer(100003, matti, "Matti Virtanen")
    service(500004, m, PRODUCTS[0])
    service(500005, m, PRODUCTS[2])
    service(500006, m, PRODUCTS[4])
    service(500007, m, PRODUCTS[3], status="ended", started=date(2012, 4, 1))
    e = customer(100004, erik, "Erik Lindqvist", co_holder="Maria Lindqvist")
    service(500008, e, PRODUCTS[1])
    service(500009, e, PRODUCTS[2])
    s = customer(100005, sofia, "Sofia Nyman")
    service(500010, s, PRODUCTS[0])
    company = customer(100006, sofia, "Nyman Design / Sofia Nyman")
    service(500011, company, PRODUCTS[5])
    # A customer whose code the operator does not know.
    customer(
        100007, DemoPerson("x", "Lars", "Berg", date(1970, 1, 1), 999, ""), "Lars Berg", code=""
    )
    service(500012, customers[-1], PRODUCTS[0])
    number, sid = 100100, 500100
    for index in range(30):
        person = DemoPerson(
            f"demo{index}",
            rng.choice(GIVEN_NAMES),
            rng.choice(FAMILY_NAMES),
            date(1940, 1, 1) + timedelta(days=rng.randint(0, 25000)),
            910 + index,
            "",
        )
        record = customer(number, person, f"{person.given_name} {person.family_name}")
        for _ in range(rng.randint(1, 3)):
            service(sid, record, rng.choice(PRODUCTS))
            sid += 1
        number += 1
    return customers, services


def write_demo_register(directory: Path) -> list[Path]:
    """Write customers.csv, services.csv and persons.json (for oidc-provider-mock)."""
    directory.mkdir(parents=True, exist_ok=True)
    customers, services = demo_rows()
    paths = []
    for name, rows in (("customers.csv", customers), ("services.csv", services)):
        path = directory / name
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        paths.append(path)
    persons = [
        {
            "sub": p.sub,
            "hetu": p.code,
            "given_name": p.given_name,
            "family_name": p.family_name,
            "name": f"{p.given_name} {p.family_name}",
            "demonstrates": p.demonstrates,
        }
        for p in FEATURED
    ]
    path = directory / "persons.json"
    path.write_text(json.dumps(persons, indent=2, ensure_ascii=False), encoding="utf-8")
    paths.append(path)
    return paths
