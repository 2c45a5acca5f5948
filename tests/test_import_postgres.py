"""The customer-register import on PostgreSQL: the same upserts and refusals as on SQLite."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.extensions import db
from app.models import ServiceKind, ServiceStatus
from tests.conftest import base_settings, make_app
from tests.test_import import (
    ANNA,
    BAD_CHECKSUM,
    assert_no_clear_code,
    later_files,
    problems,
    reference,
    run_import,
    snapshot,
    stored_customer,
    stored_service,
    write_register,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_app(tmp_path, oidc_issuer, postgres_url):
    app = make_app(base_settings(tmp_path, oidc_issuer) | {"DATABASE_URL": postgres_url})
    with app.app_context():
        assert db.engine.dialect.name == "postgresql"
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def pg_runner(pg_app):
    return pg_app.test_cli_runner()


@pytest.fixture
def pg_imported(pg_runner, tmp_path):
    result = run_import(pg_runner, write_register(tmp_path / "base"))
    assert result.exit_code == 0, result.output
    return result


def test_a_good_import_on_postgresql(pg_app, pg_imported):
    assert "Customers: 3 added, 0 changed, 0 removed, 0 unchanged." in pg_imported.output
    assert "Services: 4 added, 0 changed, 0 removed, 0 unchanged." in pg_imported.output
    anna = stored_customer(pg_app, "100001")
    assert anna.identity_ref == reference(ANNA, pg_app.config["IDENTITY_KEY"])
    assert anna.birth_date_part == "150385"
    assert stored_customer(pg_app, "100002").co_holder_name == "Maria Lindqvist"
    assert stored_customer(pg_app, "100003").identity_ref is None


@pytest.mark.parametrize(
    ("service_id", "price"),
    [("500001", Decimal("29.90")), ("500002", Decimal("34.90")), ("500004", Decimal("1299.00"))],
)
def test_prices_on_postgresql(pg_app, pg_imported, service_id, price):
    assert stored_service(pg_app, service_id).monthly_price == price


def test_service_fields_on_postgresql(pg_app, pg_imported):
    stored = stored_service(pg_app, "500002")
    assert (stored.kind, stored.status) == (ServiceKind.TV, ServiceStatus.ENDED)
    assert stored.start_date == date(2012, 4, 1)
    assert stored.customer_id == stored_customer(pg_app, "100001").id


def test_the_same_files_twice_change_nothing_on_postgresql(
    pg_app, pg_runner, tmp_path, pg_imported
):
    before = snapshot(pg_app)
    again = run_import(pg_runner, write_register(tmp_path / "again"))
    assert again.exit_code == 0, again.output
    assert "Customers: 0 added, 0 changed, 0 removed, 3 unchanged." in again.output
    assert "Services: 0 added, 0 changed, 0 removed, 4 unchanged." in again.output
    assert snapshot(pg_app) == before


def test_changes_are_upserted_on_postgresql(pg_app, pg_runner, tmp_path, pg_imported):
    result = run_import(pg_runner, write_register(tmp_path / "later", *later_files()))
    assert result.exit_code == 0, result.output
    assert "Customers: 1 added, 2 changed, 0 removed, 1 unchanged." in result.output
    assert "Services: 1 added, 1 changed, 0 removed, 3 unchanged." in result.output
    assert stored_customer(pg_app, "100001").name == "Anna Andersson-Holm"
    assert stored_service(pg_app, "500001").monthly_price == Decimal("31.50")


# (case, file, row index, column, bad value); the file's line is the row index + 2.
REFUSALS = [
    ("bad checksum", "customers.csv", 0, "personal_identity_code", BAD_CHECKSUM),
    ("negative price", "services.csv", 4, "monthly_price", "-1"),
    ("unknown customer", "services.csv", 1, "customer_number", "999999"),
    ("unknown kind", "services.csv", 2, "kind", "radio"),
]


@pytest.mark.parametrize(
    ("file", "index", "column", "value"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
def test_a_refused_import_leaves_postgresql_unchanged(
    pg_app, pg_runner, tmp_path, pg_imported, file, index, column, value
):
    before = snapshot(pg_app)
    customers, services = later_files()
    (customers if file == "customers.csv" else services)[index][column] = value
    directory = tmp_path / "later"
    result = run_import(pg_runner, write_register(directory, customers, services))
    assert result.exit_code != 0
    assert [(f, n) for f, n, _ in problems(result.output, directory)] == [(file, index + 2)]
    assert_no_clear_code(result.output)
    assert snapshot(pg_app) == before


def test_an_overlong_service_id_is_refused_not_a_database_error(
    pg_app, pg_runner, tmp_path, pg_imported
):
    """PostgreSQL enforces VARCHAR(40): the check must come before the write."""
    before = snapshot(pg_app)
    customers, services = later_files()
    services[4]["service_id"] = "5" * 41
    directory = tmp_path / "later"
    result = run_import(pg_runner, write_register(directory, customers, services))
    assert result.exit_code == 1
    assert problems(result.output, directory) == [
        ("services.csv", 6, "value too long in: service_id")
    ]
    assert snapshot(pg_app) == before
