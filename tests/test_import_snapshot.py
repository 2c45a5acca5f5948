"""Snapshot imports, the guard, dry runs, delta imports, the history, one import at a
time, and the files billing really sends: each on SQLite and on PostgreSQL.

A snapshot is the whole register: what the files lack is removed from what
customers see, in the same transaction, and a signed-in person stops seeing
it on the next page view.
"""

from __future__ import annotations

import csv
import hashlib
import threading
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ImportMode, ImportRun
from app.services.customers.importer import import_register
from app.services.imports.runner import Counts, ImportRefused, Options, guard
from tests.conftest import PERSONS, audit_events
from tests.support.backends import BACKENDS, app_on_backend
from tests.test_import import (
    CUSTOMER_HEADER,
    SERVICE_HEADER,
    base_customers,
    base_services,
    customer,
    problems,
    run_import,
    service,
    snapshot,
    write_register,
)

ANNA = PERSONS["anna.andersson"].code
WAIT = 30  # seconds: a bound on waiting for the other thread, never a pause


@pytest.fixture(params=BACKENDS)
def app(request, settings):
    """The portal on SQLite or on a fresh PostgreSQL database (overrides conftest's)."""
    yield from app_on_backend(request, settings)


@pytest.fixture
def imported(app, runner, tmp_path):
    result = run_import(runner, write_register(tmp_path / "base"))
    assert result.exit_code == 0, result.output
    return result


def history(app) -> list[ImportRun]:
    """The history rows, newest first."""
    with app.app_context():
        rows = list(db.session.scalars(sa.select(ImportRun).order_by(ImportRun.id.desc())))
        db.session.expunge_all()
    return rows


def register_with_anna(directory: Path, *, cottage: bool) -> tuple[Path, Path]:
    """Anna's home (100001) and, if ``cottage``, her summer cottage (100002), among 30
    other customers, so that dropping the cottage stays under the shrink guard."""
    customers = [customer("100001", ANNA, "Anna Andersson")]
    services = [service("500001", "100001", name="Hemfiber")]
    if cottage:
        customers.append(customer("100002", ANNA, "Anna Andersson"))
        services.append(service("500002", "100002", name="Stugfiber", address="Strandv 9"))
    customers += [customer(f"2000{i:02d}", "", f"Kund {i}") for i in range(30)]
    services += [service(f"6000{i:02d}", f"2000{i:02d}") for i in range(30)]
    return write_register(directory, customers, services)


# -- removal -------------------------------------------------------------------------------
def test_a_snapshot_removes_what_billing_dropped_on_the_next_page_view(
    app, runner, registration, client, tmp_path
):
    assert run_import(runner, register_with_anna(tmp_path / "1", cottage=True)).exit_code == 0
    assert registration.register("anna.andersson", "anna@example.fi").status_code == 303
    page = client.get("/account/services").text
    assert "100002" in page and "Stugfiber" in page
    assert client.get("/account/services/500002").status_code == 200
    result = run_import(runner, register_with_anna(tmp_path / "2", cottage=False))
    assert result.exit_code == 0, result.output
    assert "Customers: 0 added, 0 changed, 1 removed, 31 unchanged." in result.output
    assert "Services: 0 added, 0 changed, 1 removed, 31 unchanged." in result.output
    page = client.get("/account/services").text
    assert "Hemfiber" in page
    assert "100002" not in page and "Stugfiber" not in page
    assert client.get("/account/services/500002").status_code == 404
    assert "100002" not in client.get("/account/details").text
    assert "100002" not in client.get("/account/my-data.json").text


def test_a_removed_customer_comes_back_when_billing_has_it_again(app, runner, tmp_path):
    run_import(runner, register_with_anna(tmp_path / "1", cottage=True))
    run_import(runner, register_with_anna(tmp_path / "2", cottage=False))
    again = run_import(runner, register_with_anna(tmp_path / "3", cottage=True))
    assert "Customers: 1 added, 0 changed, 0 removed, 31 unchanged." in again.output
    lookup = runner.invoke(args=["customers", "lookup", "100002"]).output
    assert "removed" not in lookup and "150385-****" in lookup


def test_lookup_says_when_a_number_was_last_in_an_import(app, runner, tmp_path):
    run_import(runner, register_with_anna(tmp_path / "1", cottage=True))
    first = history(app)[0].occurred_at.isoformat(timespec="seconds")
    run_import(runner, register_with_anna(tmp_path / "2", cottage=False))
    second = history(app)[0].occurred_at.isoformat(timespec="seconds")
    removed = runner.invoke(args=["customers", "lookup", "100002"]).output
    assert "removed from the register by the import of" in removed
    assert f"last in the snapshot import of {first}" in removed
    assert "150385" not in removed  # the reference went with the removal
    present = runner.invoke(args=["customers", "lookup", "100001"]).output
    assert f"last in the snapshot import of {second}" in present


# -- the guard -------------------------------------------------------------------------------
def smaller_register(directory: Path) -> tuple[Path, Path]:
    """The base register without customer 100003 and its service: a third removed."""
    return write_register(directory, base_customers()[:2], base_services()[:3])


def test_a_snapshot_removing_too_much_is_refused(app, runner, tmp_path, imported):
    before = snapshot(app)
    result = run_import(runner, smaller_register(tmp_path / "later"))
    assert result.exit_code == 1
    assert "Customers: 0 added, 0 changed, 1 removed, 2 unchanged." in result.output
    assert "would remove 1 of 3 customers (33.3 %, more than 10 %)" in result.output
    assert "--allow-shrink" in result.output
    assert snapshot(app) == before
    assert history(app)[0].outcome.startswith("refused: would remove 1 of 3 customers")


def test_allow_shrink_lets_the_snapshot_remove(app, runner, tmp_path, imported):
    result = run_import(runner, smaller_register(tmp_path / "later"), "--allow-shrink")
    assert result.exit_code == 0, result.output
    assert history(app)[0].outcome == "ok"
    assert history(app)[0].counts["services"]["removed"] == 1


def test_the_share_alone_decides_with_the_setting(app, runner, tmp_path, imported):
    app.config["IMPORT_SHRINK_LIMIT_PERCENT"] = 34
    assert run_import(runner, smaller_register(tmp_path / "later")).exit_code == 0


@pytest.mark.parametrize("flags", [(), ("--allow-shrink",)], ids=["plain", "allow-shrink"])
@pytest.mark.parametrize("empty", ["customers", "services"])
def test_a_file_without_data_rows_is_always_refused(app, runner, tmp_path, imported, flags, empty):
    """Services are always empty here: services of absent customers would be refused
    for that instead."""
    before = snapshot(app)
    customers = [] if empty == "customers" else base_customers()
    result = run_import(runner, write_register(tmp_path / "later", customers, []), *flags)
    assert result.exit_code == 1
    assert f"no {empty} in the files (a snapshot is the whole register)" in result.output
    assert snapshot(app) == before


def test_a_dry_run_prints_the_summary_and_changes_nothing(app, runner, tmp_path, imported):
    before, runs = snapshot(app), len(history(app))
    result = run_import(runner, smaller_register(tmp_path / "later"), "--dry-run")
    assert "Customers: 0 added, 0 changed, 1 removed, 2 unchanged." in result.output
    assert "Dry run: nothing was changed." not in result.output  # the guard still speaks
    allowed = run_import(runner, smaller_register(tmp_path / "l2"), "--dry-run", "--allow-shrink")
    assert allowed.exit_code == 0, allowed.output
    assert "Dry run: nothing was changed." in allowed.output
    assert snapshot(app) == before
    assert len(history(app)) == runs


def test_a_delta_adds_and_changes_and_removes_nothing(app, runner, tmp_path, imported):
    customers = [customer("100001", ANNA, "Anna Andersson-Holm"), customer("100009", "", "Ny")]
    services = [service("500009", "100009")]
    result = run_import(runner, write_register(tmp_path / "d", customers, services), "--delta")
    assert result.exit_code == 0, result.output
    assert "Customers: 1 added, 1 changed, 0 removed, 0 unchanged." in result.output
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT count(*) FROM customers")) == 4
        assert db.session.scalar(sa.text("SELECT count(*) FROM services")) == 5
    assert history(app)[0].mode is ImportMode.DELTA


# -- bad input, refused whole and recorded -------------------------------------------------
def another_register(customers, services):
    customers[:] = [customer(f"9{i:05d}", "", f"Annan {i}") for i in range(3)]
    services[:] = [service(f"9{i:05d}", f"9{i:05d}") for i in range(3)]


BAD_INPUT = [
    ("a missing column", lambda c, s: [row.pop("city") for row in c], "missing column(s): city"),
    ("a duplicate customer", lambda c, s: c.append(dict(c[0])), "duplicate customer_number"),
    (
        "a service of a customer not in the snapshot",
        lambda c, s: c.pop(2),
        "unknown customer_number 100003 (not in the customers file)",
    ),
    ("another register", another_register, "would remove 3 of 3 customers"),
]


@pytest.mark.parametrize(
    ("change", "reason"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT]
)
def test_bad_input_is_refused_whole_and_recorded(app, runner, tmp_path, imported, change, reason):
    before = snapshot(app)
    customers, services = base_customers(), base_services()
    change(customers, services)
    directory = tmp_path / "later"
    directory.mkdir()
    header = [h for h in CUSTOMER_HEADER if h in customers[0]]
    for name, fields, rows in (
        ("customers", header, customers),
        ("services", SERVICE_HEADER, services),
    ):
        with (directory / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
    result = run_import(runner, (directory / "customers.csv", directory / "services.csv"))
    assert result.exit_code == 1
    assert reason in result.output
    assert snapshot(app) == before
    latest = history(app)[0]
    assert latest.outcome.startswith("refused: ") and reason in latest.outcome
    assert audit_events(app, "import_refused")[-1].detail.endswith(latest.outcome)


def test_a_file_cut_in_the_middle_is_refused_and_recorded(app, runner, tmp_path, imported):
    before = snapshot(app)
    paths = write_register(tmp_path / "later")
    data = paths[1].read_bytes()
    paths[1].write_bytes(data[: len(data) * 2 // 3])
    result = run_import(runner, paths)
    assert result.exit_code == 1
    assert [f for f, _, _ in problems(result.output, tmp_path / "later")] == ["services.csv"]
    assert snapshot(app) == before
    assert history(app)[0].outcome.startswith("refused: 1 problem(s) in the files")


# -- history -------------------------------------------------------------------------------
def test_every_import_and_refusal_is_in_the_history_newest_first(app, runner, tmp_path, imported):
    run_import(runner, smaller_register(tmp_path / "later"))  # refused by the guard
    listing = runner.invoke(args=["customers", "imports"]).output.splitlines()
    assert len(listing) == 2
    assert "snapshot" in listing[0] and "customers.csv, services.csv" in listing[0]
    assert "customers +0 ~0 -1 =2" in listing[0] and "refused: would remove" in listing[0]
    assert "customers +3 ~0 -0 =0; services +4 ~0 -0 =0" in listing[1]
    assert listing[1].endswith(" ok")
    first = history(app)[-1]
    paths = write_register(tmp_path / "base")
    assert [f["sha256"] for f in first.files] == [
        hashlib.sha256(p.read_bytes()).hexdigest() for p in paths
    ]
    assert [f["rows"] for f in first.files] == [3, 4]
    assert len(audit_events(app, "import_ok")) == 1
    assert len(audit_events(app, "import_refused")) == 1


# -- one import at a time ------------------------------------------------------------------
def test_two_imports_racing_never_interleave(app, runner, tmp_path, imported):
    """The first holds the lock while it shows its summary; the second, started then,
    is refused at once (exit 75); the first then finishes."""
    holding, second_done = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def hold(summary) -> None:
        holding.set()
        assert second_done.wait(WAIT)

    def first() -> None:
        with app.app_context():
            try:
                outcome["first"] = import_register(
                    *write_register(tmp_path / "first"),
                    identity_key=app.config["IDENTITY_KEY"],
                    allow_temporary=True,
                    options=Options(on_summary=hold),
                )
            except Exception as error:  # reported below, in the test's thread
                outcome["first"] = error
            finally:
                db.session.remove()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert holding.wait(WAIT)
        second = run_import(runner, write_register(tmp_path / "second"))
    finally:
        second_done.set()
        thread.join(WAIT)
    assert second.exit_code == 75
    assert "another import is running" in second.output
    assert not isinstance(outcome["first"], Exception), outcome["first"]
    assert history(app)[0].outcome == "ok"


# -- the files billing sends ---------------------------------------------------------------
def write_like_excel(path: Path, header, rows, encoding: str, bom: bool = False) -> Path:
    """Semicolons, Windows line endings, decimal commas: as Excel saves a Finnish CSV."""
    lines = [";".join(header)] + [";".join(row.get(h, "") for h in header) for row in rows]
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


@pytest.mark.parametrize(
    ("encoding", "bom", "note"),
    [("cp1252", False, "read as Windows-1252"), ("utf-8", True, ""), ("utf-8", False, "")],
    ids=["windows-1252", "utf-8 with BOM", "utf-8"],
)
def test_excel_files_are_read(app, runner, tmp_path, encoding, bom, note):
    customers = [customer("100001", ANNA, "Åsa Närhi", city="Närpes")]
    services = [service("500001", "100001", monthly_price="1 299,50", name="Fiber Övre")]
    paths = (
        write_like_excel(tmp_path / "c.csv", CUSTOMER_HEADER, customers, encoding, bom),
        write_like_excel(tmp_path / "s.csv", SERVICE_HEADER, services, encoding, bom),
    )
    result = run_import(runner, paths)
    assert result.exit_code == 0, result.output
    assert note in result.output
    with app.app_context():
        name, city = db.session.execute(sa.text("SELECT name, city FROM customers")).one()
        price = db.session.scalar(sa.text("SELECT monthly_price FROM services"))
    assert (name, city, Decimal(str(price))) == ("Åsa Närhi", "Närpes", Decimal("1299.50"))


@pytest.mark.parametrize(
    ("flags", "line", "reason"),
    [
        (("--encoding", "utf-8"), 2, "the file is not valid UTF-8 (as --encoding utf-8 says)"),
        (("--delimiter", ","), 1, "missing column(s): customer_number, personal_identity_code"),
    ],
    ids=["not the encoding given", "not the delimiter given"],
)
def test_a_file_that_is_not_what_it_claims_is_refused(app, runner, tmp_path, flags, line, reason):
    customers = [customer("100001", ANNA, "Åsa Närhi")]
    paths = (
        write_like_excel(tmp_path / "c.csv", CUSTOMER_HEADER, customers, "cp1252"),
        write_like_excel(tmp_path / "s.csv", SERVICE_HEADER, [service("1", "100001")], "cp1252"),
    )
    result = run_import(runner, paths, *flags)
    assert result.exit_code == 1
    found = problems(result.output, tmp_path)
    assert found[0][:2] == ("c.csv", line) and reason in found[0][2], result.output
    assert snapshot(app) == {"customers": [], "services": []}


# -- the guard's rule, alone -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("stored", "removed", "limit", "refused"),
    [(10, 1, 10, False), (10, 2, 10, True), (3, 1, 10, True), (3, 1, 34, False), (0, 0, 10, False)],
    ids=["exactly the limit", "over the limit", "a small register", "a higher setting", "empty"],
)
def test_the_share_of_removed_rows_alone_decides(stored, removed, limit, refused):
    counts = Counts(added=1, removed=removed, unchanged=stored - removed)
    options = Options(shrink_limit=limit)
    if refused:
        with pytest.raises(ImportRefused, match="--allow-shrink"):
            guard(ImportMode.SNAPSHOT, {"customers": counts}, options)
    else:
        guard(ImportMode.SNAPSHOT, {"customers": counts}, options)
    guard(ImportMode.DELTA, {"customers": counts}, options)  # a delta removes nothing
    guard(
        ImportMode.SNAPSHOT, {"customers": counts}, Options(shrink_limit=limit, allow_shrink=True)
    )
