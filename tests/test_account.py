"""Egna detaljer and Egna tjänster: linking by identity reference, scoping, query counts."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event

from app.extensions import db
from app.models import ImportMode
from app.resources import static_version
from app.services.customers.importer import (
    CUSTOMER_COLUMNS,
    CUSTOMER_OPTIONAL,
    SERVICE_COLUMNS,
    import_register,
)
from tests.conftest import PERSONS, code_leaks
from tests.test_import import write_csv


def sign_up(registration, sub: str, username: str | None = None):
    response = registration.register(sub, username or f"{sub}@example.fi")
    assert response.status_code == 303, response.text
    return response


@contextmanager
def count_queries(app):
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        # Flask-Session deletes expired sessions on one request in 200, at random
        # (SESSION_CLEANUP_N_REQUESTS): housekeeping, not the page's queries.
        if not statement.startswith("DELETE FROM sessions WHERE sessions.expiry"):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def write_register(directory: Path, customers: list[dict], services: list[dict]):
    """A register with every optional customer column (the import tests' writer)."""
    directory.mkdir(parents=True, exist_ok=True)
    return (
        write_csv(directory / "customers.csv", [*CUSTOMER_COLUMNS, *CUSTOMER_OPTIONAL], customers),
        write_csv(directory / "services.csv", list(SERVICE_COLUMNS), services),
    )


def import_files(app, paths):
    with app.app_context():
        import_register(  # added to the demo register: a delta, which removes nothing
            *paths,
            identity_key=app.config["IDENTITY_KEY"],
            allow_temporary=True,
            mode=ImportMode.DELTA,
        )


def customer_row(number: str, code: str, name: str = "Pekka Korhonen") -> dict:
    return {
        "customer_number": number,
        "personal_identity_code": code,
        "name": name,
        "street_address": "Rantakatu 3",
        "postal_code": "65100",
        "city": "Vaasa",
        "email": "pekka@example.fi",
        "phone": "050 123 4567",
        "co_holder_name": "",
    }


def service_row(service_id: str, number: str, status: str = "active") -> dict:
    return {
        "service_id": service_id,
        "customer_number": number,
        "kind": "broadband",
        "name": "Fiber 100",
        "details": "100/100 Mbit/s",
        "address": "Rantakatu 3, Vaasa",
        "start_date": "2021-03-01",
        "monthly_price": "39,90",
        "status": status,
    }


# -- linked customers ------------------------------------------------------------------
def test_a_person_with_two_customer_numbers_sees_both(demo_register, registration, client):
    sign_up(registration, "anna.andersson")
    services = client.get("/account/services").text
    details = client.get("/account/details").text
    for page in (services, details):
        assert "100001" in page and "100002" in page
    assert "Sommarstigen 4, Replot" in services


def test_details_show_the_customer_record_and_the_code_only_masked(
    demo_register, registration, client
):
    sign_up(registration, "anna.andersson", "anna@example.fi")
    page = client.get("/account/details").text
    assert "Anna Andersson" in page
    assert "anna.andersson@example.fi" in page  # the contact e-mail from the register
    assert "anna@example.fi" in page  # the username
    assert "150385-****" in page
    code = PERSONS["anna.andersson"].code
    assert code_leaks([page], [code]) == []
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from babel.dates import format_date

    today_in_finland = datetime.now(ZoneInfo("Europe/Helsinki")).date()
    accepted_on = format_date(today_in_finland, "d MMM y", locale="en_IE")
    assert f"version 2026-11-25 on {accepted_on}" in page  # the version and the day accepted


def test_the_co_holder_printed_on_the_invoice_is_shown_to_the_holder(
    demo_register, registration, client
):
    sign_up(registration, "erik.lindqvist")
    page = client.get("/account/details").text
    assert "Maria Lindqvist" in page
    assert "Your invoice carries two names" in page


def test_the_co_holder_registering_with_her_own_code_sees_the_explanation(
    demo_register, registration, client
):
    sign_up(registration, "maria.lindqvist")
    for path in ("/account/services", "/account/details"):
        page = client.get(path).text
        assert "We found no services for you" in page
        assert "the person whose personal identity code was given to us" in page
        assert "100004" not in page


def test_an_unlinked_person_is_told_how_to_reach_customer_service(
    demo_register, registration, client
):
    sign_up(registration, "pekka.korhonen")
    for path in ("/account/services", "/account/details"):
        page = client.get(path).text
        assert "We found no services for you" in page
        assert 'href="tel:+35867868222"' in page and ">06 786 8222<" in page
        assert 'href="mailto:kundtjanst@jnt.fi"' in page
        assert "weekdays" in page.lower()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("sv", ["personbeteckning", "Kundtjänst", "Egna tjänster"]),
        ("fi", ["henkilötunnus", "Asiakaspalvelu", "Omat palvelut"]),
        ("en", ["personal identity code", "Customer service", "My services"]),
    ],
)
def test_the_explanation_is_given_in_each_language(
    demo_register, registration, client, language, expected
):
    sign_up(registration, "pekka.korhonen")
    client.set_cookie("selfie_lang", language)
    page = client.get("/account/services").text
    for text in expected:
        assert text in page


def test_services_appear_and_disappear_with_later_imports(
    app, demo_register, registration, client, tmp_path
):
    sign_up(registration, "pekka.korhonen")
    assert "We found no services for you" in client.get("/account/services").text
    code = PERSONS["pekka.korhonen"].code
    import_files(
        app,
        write_register(
            tmp_path / "add", [customer_row("200001", code)], [service_row("600001", "200001")]
        ),
    )
    page = client.get("/account/services").text
    assert "200001" in page and "Fiber 100" in page
    import_files(app, write_register(tmp_path / "remove", [customer_row("200001", "")], []))
    page = client.get("/account/services").text
    assert "200001" not in page
    assert "We found no services for you" in page


def test_active_and_ended_services_are_kept_apart(demo_register, registration, client):
    sign_up(registration, "matti.virtanen")
    page = client.get("/account/services").text
    assert "Active services" in page and "Ended services" in page
    assert page.index("Active services") < page.index("Ended services")


@pytest.mark.parametrize(
    ("language", "price", "date"),
    [("fi", "39,90 €", "1.3.2021"), ("sv", "39,90 €", "1.3.2021"), ("en", "€39.90", "1 Mar 2021")],
)
def test_money_and_dates_follow_the_language(
    app, registration, client, tmp_path, language, price, date
):
    sign_up(registration, "pekka.korhonen")
    import_files(
        app,
        write_register(
            tmp_path / "r",
            [customer_row("200001", PERSONS["pekka.korhonen"].code)],
            [service_row("600001", "200001")],
        ),
    )
    client.set_cookie("selfie_lang", language)
    page = client.get("/account/services").text
    assert price in page and date in page


def test_service_kinds_have_icons_with_text_alternatives(demo_register, registration, client):
    sign_up(registration, "matti.virtanen")
    page = client.get("/account/services").text
    icon = f"/static/img/broadband.svg?v={static_version()}"
    assert f'<img class="kind-icon" src="{icon}" alt="Broadband"' in page
    assert 'alt="TV"' in page and 'alt="Telephony"' in page


# -- scoping ------------------------------------------------------------------------------
def test_another_customers_service_answers_404(demo_register, registration, client):
    sign_up(registration, "anna.andersson")
    assert client.get("/account/services/500001").status_code == 200
    assert client.get("/account/services/500004").status_code == 404  # Matti's
    assert client.get("/account/services/nonexistent").status_code == 404


@pytest.mark.parametrize(
    "path", ["/account/services", "/account/details", "/account/services/500001"]
)
def test_account_pages_require_login_and_return_there(demo_register, registration, client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]
    sign_up(registration, "anna.andersson", "anna@example.fi")
    client.post("/logout")
    login = client.post(
        "/login",
        data={"username": "anna@example.fi", "password": "correct horse battery", "next": path},
    )
    assert login.headers["Location"] == path


# -- efficiency --------------------------------------------------------------------------------
def test_the_services_page_runs_a_fixed_number_of_queries(
    app, demo_register, registration, client, tmp_path
):
    sign_up(registration, "pekka.korhonen")
    code = PERSONS["pekka.korhonen"].code
    import_files(
        app,
        write_register(
            tmp_path / "one", [customer_row("200001", code)], [service_row("600001", "200001")]
        ),
    )
    client.get("/account/services")  # shows (and so removes) the welcome message once
    with count_queries(app) as few:
        client.get("/account/services")
    customers = [customer_row(f"2000{i:02d}", code) for i in range(1, 6)]
    services = [
        service_row(f"6{i:05d}", f"2000{i % 5 + 1:02d}", "ended" if i % 3 else "active")
        for i in range(1, 61)
    ]
    import_files(app, write_register(tmp_path / "many", customers, services))
    with count_queries(app) as many:
        page = client.get("/account/services")
    assert page.text.count("Fiber 100") >= 60
    assert len(many) == len(few)
    assert len(many) <= 7, many  # 6 for services, 1 for the invoice summary


def test_the_details_page_runs_a_fixed_number_of_queries(app, demo_register, registration, client):
    sign_up(registration, "anna.andersson")
    with count_queries(app) as statements:
        client.get("/account/details")
    assert len(statements) <= 6, statements  # 5, and 1 for pending contact-detail requests


def test_lookups_are_indexed(app):
    with app.app_context():
        inspector = db.inspect(db.engine)
        indexed = {tuple(i["column_names"]) for i in inspector.get_indexes("customers")}
        unique = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("customers")}
        assert ("identity_ref",) in indexed
        assert ("customer_number",) in unique
        account_unique = {
            tuple(u["column_names"]) for u in inspector.get_unique_constraints("accounts")
        }
        assert ("identity_ref",) in account_unique and ("username",) in account_unique
        service_indexes = {tuple(i["column_names"]) for i in inspector.get_indexes("services")}
        assert ("customer_id",) in service_indexes


def test_custom_support_hours_are_shown_as_written(settings, tmp_path):
    from tests.conftest import english_client, make_app

    app = make_app(settings | {"SUPPORT_HOURS": "Mon–Fri 8–16", "SUPPORT_PHONE": "06 123 4567"})
    page = english_client(app).get("/").text
    assert "Mon–Fri 8–16" in page
    assert 'href="tel:+35861234567"' in page
