"""The customer-register import through the real CLI, on SQLite or PostgreSQL.

``flask --app wsgi customers import CUSTOMERS.csv SERVICES.csv``: good files are
upserted (twice changes nothing); a file with any bad row is refused whole,
every bad row reported as ``FILE:LINE: reason``, and the database is left as it
was. The personal identity code is never stored nor printed.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Customer, Service, ServiceKind, ServiceStatus
from app.services import identity_codes
from app.services.customers.demo import temporary_code
from app.services.customers.importer import CUSTOMER_COLUMNS, SERVICE_COLUMNS, import_register
from app.services.imports.runner import Options
from tests.conftest import code_leaks

CHECK_CHARACTERS = "0123456789ABCDEFHJKLMNPRSTUVWXY"


def identity_code(ddmmyy: str, sign: str, individual: int) -> str:
    """A code with the right check character (the date part is not checked here)."""
    stem = f"{ddmmyy}{individual:03d}"
    return f"{ddmmyy}{sign}{individual:03d}{CHECK_CHARACTERS[int(stem) % 31]}"


ANNA = identity_code("150385", "-", 123)
ERIK = identity_code("301158", "-", 456)
LARS = identity_code("010170", "-", 789)  # not in the base files: the operator lacks it
NEW = identity_code("090101", "A", 234)
TEMPORARY = temporary_code(date(1990, 5, 20), 950)
BAD_CHECKSUM = ANNA[:-1] + ("X" if ANNA[-1] != "X" else "Y")
BAD_DATE = identity_code("310285", "-", 123)  # 31 February
ALL_CODES = (ANNA, ERIK, LARS, NEW, TEMPORARY, BAD_CHECKSUM, BAD_DATE)

CUSTOMER_HEADER = [*CUSTOMER_COLUMNS, "co_holder_name"]
SERVICE_HEADER = list(SERVICE_COLUMNS)


def customer(number: str, code: str, name: str, **changes: str) -> dict[str, str]:
    row = {
        "customer_number": number,
        "personal_identity_code": code,
        "name": name,
        "street_address": "Storgatan 1",
        "postal_code": "65100",
        "city": "Vasa",
        "email": f"{number}@example.fi",
        "phone": "050 123 4567",
        "co_holder_name": "",
    }
    return row | changes


def service(service_id: str, number: str, **changes: str) -> dict[str, str]:
    row = {
        "service_id": service_id,
        "customer_number": number,
        "kind": "broadband",
        "name": "Fiber 100",
        "details": "100/100 Mbit/s",
        "address": "Storgatan 1, Vasa",
        "start_date": "2020-01-15",
        "monthly_price": "29,90",
        "status": "active",
    }
    return row | changes


def base_customers() -> list[dict[str, str]]:
    return [
        customer("100001", ANNA, "Anna Andersson"),
        customer("100002", ERIK, "Erik Lindqvist", co_holder_name="Maria Lindqvist"),
        customer("100003", "", "Lars Berg"),
    ]


def base_services() -> list[dict[str, str]]:
    return [
        service("500001", "100001"),
        service(
            "500002",
            "100001",
            kind="tv",
            name="TV Plus",
            monthly_price="34.90",
            status="ended",
            start_date="2012-04-01",
        ),
        service("500003", "100002", kind="phone", name="Fast telefon", monthly_price="9,9"),
        service("500004", "100003", kind="it", name="IT-support", monthly_price="1 299,00"),
    ]


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_register(
    directory: Path, customers: list[dict] | None = None, services: list[dict] | None = None
) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    return (
        write_csv(
            directory / "customers.csv",
            CUSTOMER_HEADER,
            base_customers() if customers is None else customers,
        ),
        write_csv(
            directory / "services.csv",
            SERVICE_HEADER,
            base_services() if services is None else services,
        ),
    )


def run_import(runner, paths: tuple[Path, Path], *flags: str):
    return runner.invoke(args=["customers", "import", *map(str, paths), *flags])


PROBLEM_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<reason>.+)$")


def problems(output: str, directory: Path) -> list[tuple[str, int, str]]:
    """The ``FILE:LINE: reason`` lines of the output, as (file name, line, reason)."""
    found = []
    for text in output.splitlines():
        match = PROBLEM_LINE.match(text)
        if match and match["file"].startswith(str(directory)):
            found.append((Path(match["file"]).name, int(match["line"]), match["reason"]))
    return found


def snapshot(app) -> dict[str, list[dict]]:
    """Every stored value of the register tables, as the database holds them, except
    ``last_import_id`` (which import last had the customer: bookkeeping, not data)."""
    with app.app_context():
        tables = {
            table: [
                {k: v for k, v in row.items() if k != "last_import_id"}
                for row in db.session.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))  # noqa: S608
                .mappings()
                .all()
            ]
            for table in ("customers", "services")
        }
        db.session.remove()
    return tables


def reference(code: str, key: str) -> str:
    parsed = identity_codes.parse(code, allow_temporary=True)
    return identity_codes.identity_reference(parsed, key)


def stored_customer(app, number: str) -> Customer:
    with app.app_context():
        row = db.session.scalars(sa.select(Customer).filter_by(customer_number=number)).one()
        db.session.expunge(row)
        db.session.remove()
    return row


def stored_service(app, service_id: str) -> Service:
    with app.app_context():
        row = db.session.scalars(sa.select(Service).filter_by(service_id=service_id)).one()
        db.session.expunge(row)
        db.session.remove()
    return row


def stored_text(app) -> list[str]:
    """Every value of every column of every table, as text."""
    values = []
    with app.app_context():
        metadata = sa.MetaData()
        metadata.reflect(bind=db.engine)
        for table in metadata.sorted_tables:
            for row in db.session.execute(sa.select(table)):
                values.extend(str(value) for value in row if value is not None)
        db.session.remove()
    return values


def assert_no_clear_code(text: str) -> None:
    sign_dropped = [code.replace("-", "").replace("A", "") for code in ALL_CODES]
    leaked = any(variant in text for variant in sign_dropped)
    assert not leaked, "an identity code without its century sign appears"  # never printed
    assert code_leaks([text], ALL_CODES) == []


@pytest.fixture
def imported(app, runner, tmp_path):
    """The base register imported through the CLI: pre-existing data."""
    result = run_import(runner, write_register(tmp_path / "base"))
    assert result.exit_code == 0, result.output
    return result


# -- a good import ---------------------------------------------------------------------
def test_a_good_import_reports_what_it_added(imported):
    assert (
        "Customers: 3 added, 0 changed, 0 removed, 0 unchanged.\n"
        "Services: 4 added, 0 changed, 0 removed, 0 unchanged." in imported.output
    )


def test_a_good_import_stores_the_customer_fields(app, imported):
    stored = stored_customer(app, "100001")
    assert (stored.name, stored.street_address, stored.postal_code, stored.city) == (
        "Anna Andersson",
        "Storgatan 1",
        "65100",
        "Vasa",
    )
    assert (stored.email, stored.phone) == ("100001@example.fi", "050 123 4567")


def test_the_identity_code_is_stored_as_its_keyed_hash_and_birth_date(app, imported):
    stored = stored_customer(app, "100001")
    assert stored.identity_ref == reference(ANNA, app.config["IDENTITY_KEY"])
    assert stored.birth_date_part == "150385"


def test_an_empty_identity_code_gives_a_null_reference(app, imported):
    stored = stored_customer(app, "100003")
    assert stored.identity_ref is None
    assert stored.birth_date_part is None


def test_the_co_holder_is_stored_and_an_empty_one_is_null(app, imported):
    assert stored_customer(app, "100002").co_holder_name == "Maria Lindqvist"
    assert stored_customer(app, "100001").co_holder_name is None


@pytest.mark.parametrize(
    ("service_id", "price"),
    [
        ("500001", Decimal("29.90")),  # decimal comma
        ("500002", Decimal("34.90")),  # decimal point
        ("500003", Decimal("9.90")),  # one decimal
        ("500004", Decimal("1299.00")),  # a space between thousands
    ],
)
def test_prices_with_a_decimal_comma_or_point(app, imported, service_id, price):
    assert stored_service(app, service_id).monthly_price == price


def test_a_good_import_stores_the_service_fields(app, imported):
    stored = stored_service(app, "500002")
    assert stored.kind is ServiceKind.TV
    assert stored.status is ServiceStatus.ENDED
    assert stored.start_date == date(2012, 4, 1)
    assert (stored.name, stored.details, stored.address) == (
        "TV Plus",
        "100/100 Mbit/s",
        "Storgatan 1, Vasa",
    )
    assert stored.customer_id == stored_customer(app, "100001").id


def test_every_service_kind_is_accepted(app, runner, tmp_path):
    services = [
        service(f"60000{index}", "100001", kind=kind.value.upper())
        for index, kind in enumerate(ServiceKind)
    ]
    result = run_import(runner, write_register(tmp_path, services=services))
    assert result.exit_code == 0, result.output
    kinds = [stored_service(app, s["service_id"]).kind for s in services]
    assert kinds == list(ServiceKind)


def test_a_temporary_code_is_accepted_when_allowed(app, runner, tmp_path):
    assert app.config["IDENTITY_ALLOW_TEMPORARY"] is True
    customers = [customer("100009", TEMPORARY, "Pekka Korhonen")]
    services = [service("500009", "100009")]
    result = run_import(runner, write_register(tmp_path, customers, services))
    assert result.exit_code == 0, result.output
    stored = stored_customer(app, "100009")
    assert stored.identity_ref == reference(TEMPORARY, app.config["IDENTITY_KEY"])


def test_a_delta_may_name_customers_imported_earlier(app, runner, tmp_path, imported):
    services = [service("500099", "100002")]
    result = run_import(runner, write_register(tmp_path / "later", [], services), "--delta")
    assert result.exit_code == 0, result.output
    assert stored_service(app, "500099").customer_id == stored_customer(app, "100002").id


def test_progress_is_reported_for_every_written_row(app, tmp_path):
    done: list[int] = []
    totals: list[int] = []
    paths = write_register(tmp_path)
    with app.app_context():
        import_register(
            *paths,
            identity_key="k",
            allow_temporary=True,
            options=Options(progress=done.append, on_total=totals.append),
        )
    assert totals == [len(base_customers()) + len(base_services())]
    assert sum(done) == totals[0]


# -- upserts -----------------------------------------------------------------------------
def test_the_same_files_twice_change_nothing(app, runner, tmp_path, imported):
    before = snapshot(app)
    again = run_import(runner, write_register(tmp_path / "again"))
    assert again.exit_code == 0, again.output
    assert (
        "Customers: 0 added, 0 changed, 0 removed, 3 unchanged.\n"
        "Services: 0 added, 0 changed, 0 removed, 4 unchanged." in again.output
    )
    assert snapshot(app) == before  # updated_at included


def test_a_changed_customer_is_updated(app, runner, tmp_path, imported):
    before = stored_customer(app, "100001")
    customers = base_customers()
    customers[0]["name"] = "Anna Andersson-Holm"
    result = run_import(runner, write_register(tmp_path / "later", customers))
    assert result.exit_code == 0, result.output
    assert "Customers: 0 added, 1 changed, 0 removed, 2 unchanged." in result.output
    after = stored_customer(app, "100001")
    assert after.name == "Anna Andersson-Holm"
    assert after.updated_at > before.updated_at
    assert after.id == before.id


def test_an_update_leaves_unchanged_rows_alone(app, runner, tmp_path, imported):
    before = snapshot(app)
    customers = base_customers()
    customers[0]["name"] = "Anna Andersson-Holm"
    run_import(runner, write_register(tmp_path / "later", customers))
    after = snapshot(app)
    assert after["customers"][1:] == before["customers"][1:]
    assert after["services"] == before["services"]


def test_a_changed_service_is_updated(app, runner, tmp_path, imported):
    services = base_services()
    services[0] |= {"monthly_price": "31,50", "status": "ended", "customer_number": "100002"}
    result = run_import(runner, write_register(tmp_path / "later", services=services))
    assert result.exit_code == 0, result.output
    assert "Services: 0 added, 1 changed, 0 removed, 3 unchanged." in result.output
    stored = stored_service(app, "500001")
    assert (stored.monthly_price, stored.status) == (Decimal("31.50"), ServiceStatus.ENDED)
    assert stored.customer_id == stored_customer(app, "100002").id


def test_adding_a_code_later_sets_the_reference(app, runner, tmp_path, imported):
    customers = base_customers()
    customers[2]["personal_identity_code"] = LARS
    result = run_import(runner, write_register(tmp_path / "later", customers))
    assert result.exit_code == 0, result.output
    stored = stored_customer(app, "100003")
    assert stored.identity_ref == reference(LARS, app.config["IDENTITY_KEY"])
    assert stored.birth_date_part == "010170"


def test_removing_a_code_later_clears_the_reference(app, runner, tmp_path, imported):
    customers = base_customers()
    customers[0]["personal_identity_code"] = ""
    result = run_import(runner, write_register(tmp_path / "later", customers))
    assert result.exit_code == 0, result.output
    stored = stored_customer(app, "100001")
    assert (stored.identity_ref, stored.birth_date_part) == (None, None)


def test_changing_a_code_later_changes_the_reference(app, runner, tmp_path, imported):
    customers = base_customers()
    customers[0]["personal_identity_code"] = NEW
    run_import(runner, write_register(tmp_path / "later", customers))
    stored = stored_customer(app, "100001")
    assert stored.identity_ref == reference(NEW, app.config["IDENTITY_KEY"])
    assert stored.birth_date_part == "090101"


# -- refusals ------------------------------------------------------------------------------
def later_files() -> tuple[list[dict], list[dict]]:
    """Files that, were they good, would change the pre-existing data in every way."""
    customers = base_customers()
    customers[0]["name"] = "Anna Andersson-Holm"
    customers[2]["personal_identity_code"] = LARS
    customers.append(customer("100004", NEW, "Sofia Nyman"))
    services = base_services()
    services[0]["monthly_price"] = "31,50"
    services.append(service("500005", "100004", kind="tv"))
    return customers, services


def set_customer(index, **changes):
    def change(customers, services):
        customers[index] |= changes

    return change


def set_service(index, **changes):
    def change(customers, services):
        services[index] |= changes

    return change


def add_customer(row):
    def change(customers, services):
        customers.append(row)

    return change


def duplicate_customer(customers, services):
    customers.append(customer("100002", "", "Someone Else"))


def duplicate_service(customers, services):
    services.append(service("500003", "100004"))


# (case, file, change, line, reason): the change makes exactly one problem.
# Lines: the header is line 1, so customers[i] and services[i] are on line i + 2.
ROW_CASES = [
    (
        "bad checksum",
        "customers.csv",
        set_customer(0, personal_identity_code=BAD_CHECKSUM),
        2,
        "invalid personal identity code (checksum)",
    ),
    (
        "invalid date in the code",
        "customers.csv",
        set_customer(1, personal_identity_code=BAD_DATE),
        3,
        "invalid personal identity code (date)",
    ),
    (
        "malformed code",
        "customers.csv",
        set_customer(1, personal_identity_code="15038-123"),
        3,
        "invalid personal identity code (format)",
    ),
    (
        "unknown customer",
        "services.csv",
        set_service(2, customer_number="999999"),
        4,
        "unknown customer_number 999999",
    ),
    (
        "impossible date",
        "services.csv",
        set_service(1, start_date="2024-02-30"),
        3,
        "bad start_date '2024-02-30' (expected YYYY-MM-DD)",
    ),
    (
        "Finnish date format",
        "services.csv",
        set_service(1, start_date="15.3.2024"),
        3,
        "bad start_date '15.3.2024' (expected YYYY-MM-DD)",
    ),
    (
        "compact date",
        "services.csv",
        set_service(1, start_date="20240315"),
        3,
        "bad start_date '20240315' (expected YYYY-MM-DD)",
    ),
    ("empty date", "services.csv", set_service(1, start_date=""), 3, "bad start_date ''"),
    ("bad price", "services.csv", set_service(3, monthly_price="abc"), 5, "bad monthly_price"),
    (
        "negative price",
        "services.csv",
        set_service(3, monthly_price="-5,00"),
        5,
        "bad monthly_price '-5,00'",
    ),
    ("three decimals", "services.csv", set_service(0, monthly_price="29,999"), 2, "bad monthly_"),
    ("exponent", "services.csv", set_service(0, monthly_price="1e3"), 2, "bad monthly_price"),
    ("not a number", "services.csv", set_service(0, monthly_price="NaN"), 2, "bad monthly_"),
    (
        "price too large",
        "services.csv",
        set_service(0, monthly_price="100000000"),
        2,
        "bad monthly_price",
    ),
    ("empty price", "services.csv", set_service(0, monthly_price=""), 2, "bad monthly_price"),
    (
        "unknown kind",
        "services.csv",
        set_service(4, kind="radio"),
        6,
        "unknown kind 'radio' (expected one of: broadband, it, phone, tv)",
    ),
    (
        "unknown status",
        "services.csv",
        set_service(4, status="paused"),
        6,
        "unknown status 'paused' (expected active or ended)",
    ),
    (
        "duplicate customer_number",
        "customers.csv",
        duplicate_customer,
        6,
        "duplicate customer_number 100002 (first on line 3)",
    ),
    (
        "duplicate service_id",
        "services.csv",
        duplicate_service,
        7,
        "duplicate service_id 500003 (first on line 4)",
    ),
    (
        "empty name",
        "customers.csv",
        set_customer(3, name=""),
        5,
        "empty value in: name",
    ),
    (
        "empty customer_number of a service",
        "services.csv",
        set_service(0, customer_number=""),
        2,
        "empty value in: customer_number",
    ),
    ("invalid email", "customers.csv", set_customer(0, email="anna@"), 2, "invalid email"),
    (
        "customer_number too long",
        "customers.csv",
        add_customer(customer("1" * 41, "", "Long Number")),
        6,
        "value too long in: customer_number",
    ),
    (
        "co-holder name too long",
        "customers.csv",
        set_customer(0, co_holder_name="M" * 201),
        2,
        "value too long in: co_holder_name",
    ),
    (
        "service_id too long",
        "services.csv",
        set_service(4, service_id="5" * 41),
        6,
        "value too long in: service_id",
    ),
    (
        "service details too long (refused, never cut)",
        "services.csv",
        set_service(1, details="x" * 401),
        3,
        "value too long in: details",
    ),
]


@pytest.mark.parametrize(
    ("file", "change", "line", "reason"),
    [case[1:] for case in ROW_CASES],
    ids=[case[0] for case in ROW_CASES],
)
def test_a_bad_row_refuses_both_files(app, runner, tmp_path, imported, file, change, line, reason):
    before = snapshot(app)
    customers, services = later_files()
    change(customers, services)
    directory = tmp_path / "later"
    result = run_import(runner, write_register(directory, customers, services))
    assert result.exit_code != 0
    found = problems(result.output, directory)
    assert [(f, n) for f, n, _ in found] == [(file, line)], result.output
    assert reason in found[0][2]
    assert "nothing was imported" in result.output
    assert_no_clear_code(result.output)
    assert snapshot(app) == before


def test_a_temporary_code_is_refused_when_not_allowed(app, runner, tmp_path, imported):
    app.config["IDENTITY_ALLOW_TEMPORARY"] = False
    before = snapshot(app)
    customers, services = later_files()
    customers[1]["personal_identity_code"] = TEMPORARY
    directory = tmp_path / "later"
    result = run_import(runner, write_register(directory, customers, services))
    assert result.exit_code != 0
    assert problems(result.output, directory) == [
        ("customers.csv", 3, "invalid personal identity code (temporary)")
    ]
    assert TEMPORARY not in result.output
    assert snapshot(app) == before


CUSTOMERS_TEXT = (
    ",".join(CUSTOMER_HEADER) + "\n" + f"100004,{NEW},Sofia Nyman,Bygatan 2,64200,Närpes,,,\n"
)
SERVICES_TEXT = (
    ",".join(SERVICE_HEADER)
    + "\n"
    + ("500005,100004,tv,TV Bas,,Bygatan 2,2021-05-01,14.90,active\n")
)


def replace_header(text: str, old: str, new: str) -> bytes:
    header, rest = text.split("\n", 1)
    return (header.replace(old, new) + "\n" + rest).encode()


# (case, file, content, line, reason): whole files with one structural problem.
FILE_CASES = [
    (
        "missing customers column",
        "customers.csv",
        replace_header(CUSTOMERS_TEXT, ",city,", ",town,"),
        1,
        "missing column(s): city",
    ),
    (
        "missing services column",
        "services.csv",
        replace_header(SERVICES_TEXT, ",status", ""),
        1,
        "missing column(s): status",
    ),
    (
        "extra unknown column",
        "services.csv",
        replace_header(SERVICES_TEXT, ",status", ",status,notes").replace(
            b"active\n", b"active,x\n"
        ),
        1,
        "unknown column(s): notes",
    ),
    (
        "repeated column",
        "customers.csv",
        replace_header(CUSTOMERS_TEXT, ",co_holder_name", ",name"),
        1,
        "repeated column(s): name",
    ),
    (
        "too many fields",
        "customers.csv",
        CUSTOMERS_TEXT.replace(",,,\n", ",,,,\n").encode(),
        2,
        "expected 9 fields, found 10",
    ),
    (
        "too few fields",
        "services.csv",
        SERVICES_TEXT.replace(",active\n", "\n").encode(),
        2,
        "expected 9 fields, found 8",
    ),
    (
        "neither UTF-8 nor clearly Windows-1252",
        "customers.csv",
        CUSTOMERS_TEXT.encode().replace("Närpes".encode(), b"N\x81rpes"),
        2,
        "the file is not valid UTF-8 and not clearly Windows-1252: give --encoding",
    ),
    (
        "cut in the middle of a row",
        "services.csv",
        SERVICES_TEXT.encode()[:-12],
        2,
        "the last line has no line ending: the file may be cut short",
    ),
    (
        "cut in the last field",
        "customers.csv",
        CUSTOMERS_TEXT.encode()[:-2],
        2,
        "the last line has no line ending: the file may be cut short",
    ),
    (
        "invalid UTF-8 after a byte-order mark",
        "services.csv",
        b"\xef\xbb\xbf" + SERVICES_TEXT.encode().replace(b"500005", b"\xff00005"),
        2,
        "the file is not valid UTF-8",
    ),
    ("empty customers file", "customers.csv", b"", 1, "the file is empty"),
    ("empty services file", "services.csv", b"", 1, "the file is empty"),
    (
        "unterminated quote",
        "services.csv",
        SERVICES_TEXT.replace(",TV Bas,", ',"TV Bas,').encode(),
        2,
        "broken CSV",
    ),
]


@pytest.mark.parametrize(
    ("file", "content", "line", "reason"),
    [case[1:] for case in FILE_CASES],
    ids=[case[0] for case in FILE_CASES],
)
def test_a_bad_file_refuses_both_files(
    app, runner, tmp_path, imported, file, content, line, reason
):
    before = snapshot(app)
    directory = tmp_path / "later"
    directory.mkdir()
    (directory / "customers.csv").write_text(CUSTOMERS_TEXT, encoding="utf-8")
    (directory / "services.csv").write_text(SERVICES_TEXT, encoding="utf-8")
    (directory / file).write_bytes(content)
    result = runner.invoke(
        args=[
            "customers",
            "import",
            str(directory / "customers.csv"),
            str(directory / "services.csv"),
            "--delta",  # the files add to the register: only the damage may refuse them
        ]
    )
    assert result.exit_code != 0
    found = problems(result.output, directory)
    assert [(f, n) for f, n, _ in found] == [(file, line)], result.output
    assert reason in found[0][2]
    assert_no_clear_code(result.output)
    assert snapshot(app) == before


def test_the_good_files_of_the_file_cases_import(app, runner, tmp_path, imported):
    """The control for the table above: without the damage, the files are good."""
    directory = tmp_path / "later"
    directory.mkdir()
    paths = (directory / "customers.csv", directory / "services.csv")
    paths[0].write_text(CUSTOMERS_TEXT, encoding="utf-8")
    paths[1].write_text(SERVICES_TEXT, encoding="utf-8")
    result = run_import(runner, paths, "--delta")
    assert result.exit_code == 0, result.output
    assert stored_service(app, "500005").customer_id == stored_customer(app, "100004").id


def test_the_later_files_of_the_row_cases_import(app, runner, tmp_path, imported):
    """The control for the row table: unchanged, ``later_files`` are good."""
    result = run_import(runner, write_register(tmp_path / "later", *later_files()))
    assert result.exit_code == 0, result.output
    assert "Customers: 1 added, 2 changed, 0 removed, 1 unchanged." in result.output
    assert "Services: 1 added, 1 changed, 0 removed, 3 unchanged." in result.output


def test_a_missing_file_is_refused(app, runner, tmp_path, imported):
    before = snapshot(app)
    customers_csv, _ = write_register(tmp_path / "later")
    missing = tmp_path / "later" / "nowhere.csv"
    result = run_import(runner, (customers_csv, missing))
    assert result.exit_code != 0
    assert problems(result.output, tmp_path / "later")[0][:2] == ("nowhere.csv", 0)
    assert snapshot(app) == before


def test_every_bad_row_is_reported(app, runner, tmp_path, imported):
    before = snapshot(app)
    customers, services = later_files()
    customers[1]["personal_identity_code"] = BAD_CHECKSUM
    customers[3]["name"] = ""
    services[0]["kind"] = "radio"
    services[2]["start_date"] = "2024-13-01"
    services[4]["monthly_price"] = "-1"
    directory = tmp_path / "later"
    result = run_import(runner, write_register(directory, customers, services))
    assert result.exit_code != 0
    assert [(f, n) for f, n, _ in problems(result.output, directory)] == [
        ("customers.csv", 3),
        ("customers.csv", 5),
        ("services.csv", 2),
        ("services.csv", 4),
        ("services.csv", 6),
    ]
    assert "5 problem(s) found; nothing was imported." in result.output
    assert snapshot(app) == before


def test_a_duplicate_of_a_bad_row_is_reported_too(app, runner, tmp_path):
    customers = base_customers()
    customers[0]["personal_identity_code"] = BAD_CHECKSUM
    customers.append(customer("100001", "", "Anna Andersson"))
    directory = tmp_path / "register"
    result = run_import(runner, write_register(directory, customers))
    assert [(f, n) for f, n, _ in problems(result.output, directory)] == [
        ("customers.csv", 2),
        ("customers.csv", 5),
    ]


def test_line_numbers_count_physical_lines(app, runner, tmp_path):
    """A quoted line break and a blank line move later rows down; a record is
    reported on the line it starts on."""
    directory = tmp_path / "register"
    directory.mkdir()
    header = ",".join(CUSTOMER_HEADER)
    (directory / "customers.csv").write_text(
        f'{header}\n100001,,Anna,"c/o Holm\nStorgatan 1",65100,Vasa,,,\n'
        "\n"
        '100002,,,"c/o Ek\nBygatan 2",64200,Närpes,,,\n',
        encoding="utf-8",
    )
    write_csv(directory / "services.csv", SERVICE_HEADER, [])
    result = run_import(runner, (directory / "customers.csv", directory / "services.csv"))
    assert problems(result.output, directory) == [("customers.csv", 5, "empty value in: name")]


def test_a_code_in_the_wrong_column_is_masked_in_the_report(app, runner, tmp_path):
    services = base_services()
    services[0]["kind"] = ANNA
    directory = tmp_path / "register"
    result = run_import(runner, write_register(directory, services=services))
    assert result.exit_code != 0
    assert problems(result.output, directory)[0][:2] == ("services.csv", 2)
    assert "150385-****" in result.output
    assert_no_clear_code(result.output)


# -- the clear code goes nowhere -------------------------------------------------------------
def test_a_good_import_prints_no_code(imported):
    assert_no_clear_code(imported.output)


def test_a_good_import_logs_no_code_even_with_sql_logging(runner, tmp_path, caplog):
    caplog.set_level("INFO", logger="sqlalchemy.engine")  # every statement and its parameters
    result = run_import(runner, write_register(tmp_path))
    assert result.exit_code == 0, result.output
    assert any("INSERT INTO customers" in r.getMessage() for r in caplog.records)
    assert_no_clear_code(caplog.text)


def test_no_column_of_any_table_holds_a_clear_code(app, imported):
    values = stored_text(app)
    assert reference(ANNA, app.config["IDENTITY_KEY"]) in values  # the scan sees the data
    assert_no_clear_code("\n".join(values))


def stored_bytes(app) -> bytes:
    """Everything the database holds: SQLite's files byte for byte; on PostgreSQL
    (SELFIE_TEST_DATABASE_URL) every row of every table as text."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            tables = db.session.scalars(
                sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            ).all()
            rows = [
                db.session.scalars(sa.text(f'SELECT t::text FROM "{name}" t')).all()  # noqa: S608
                for name in tables
            ]
            db.session.remove()
            return "\n".join(row for table in rows for row in table).encode()
        db.session.remove()
        db.engine.dispose()
    database = Path(app.config["DATABASE_URL"].removeprefix("sqlite:///"))
    files = [database, *database.parent.glob(database.name + "-*")]
    return b"".join(path.read_bytes() for path in files)


def test_the_database_file_holds_no_clear_code(app, runner, tmp_path, imported):
    customers = base_customers()
    customers[2]["personal_identity_code"] = LARS
    run_import(runner, write_register(tmp_path / "later", customers))
    content = stored_bytes(app)
    assert b"Anna Andersson" in content  # the scan reads the stored data
    for code in ALL_CODES:
        assert code.encode() not in content


def test_a_refused_import_prints_no_code(runner, tmp_path, imported):
    customers, services = later_files()
    customers[0]["email"] = "not an address"
    result = run_import(runner, write_register(tmp_path / "later", customers, services))
    assert result.exit_code != 0
    assert_no_clear_code(result.output)


def test_the_benchmark_register_imports_cleanly(app, runner, tmp_path):
    """``make benchmark`` times this generator's files; small, they must be good data."""
    from tests.benchmarks.import_bench import generate

    result = run_import(runner, generate(tmp_path, customers=200, services=600))
    assert result.exit_code == 0, result.output
    assert "Customers: 200 added" in result.output
    assert "Services: 600 added" in result.output
