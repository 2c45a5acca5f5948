"""The requests' domain rules: phone numbers, the product catalogue file, the notice period,
and what the customer's own data and a closed username do to requests."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from app.models import ServiceKind
from app.services import requests
from app.services.requests import catalogue, rules
from tests.conftest import Registration, english_client, import_demo_register, make_app
from tests.test_account import sign_up
from tests.test_requests_pages import reference_of, report_fault

DEFAULT = catalogue.catalogue_path("")


# -- phone numbers -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("050 123 4567", "+358501234567"),
        ("+358 50 123 4567", "+358501234567"),
        ("00358501234567", "+358501234567"),
        ("+46 70 123 45 67", "+46701234567"),
    ],
)
def test_mobile_numbers_are_stored_in_e164(typed, stored):
    assert rules.normalise_phone(typed, mobile_only=True) == stored


@pytest.mark.parametrize("typed", ["", "12345", "050 123", "phone", "+999 123 456 789"])
def test_what_is_not_a_phone_number_is_refused(typed):
    with pytest.raises(rules.InvalidPhone):
        rules.normalise_phone(typed)


def test_a_landline_is_a_phone_number_but_not_a_mobile_one():
    assert rules.normalise_phone("06 786 8222") == "+35867868222"
    with pytest.raises(rules.InvalidPhone):
        rules.normalise_phone("06 786 8222", mobile_only=True)


def test_finnish_numbers_are_shown_as_finns_write_them():
    assert rules.display_phone("+358501234567") == "050 1234567"
    assert rules.display_phone("+46701234567") == "+46 70 123 45 67"


def test_the_earliest_end_date_counts_the_notice_period_from_today():
    assert rules.earliest_end_date(date(2026, 12, 20), 14) == date(2027, 1, 3)


# -- the product catalogue -----------------------------------------------------------------
def test_the_shipped_catalogue_has_products_of_every_kind_in_every_language():
    products = catalogue.load_catalogue(DEFAULT)
    assert {p.kind for p in products} == set(ServiceKind)
    fibre = next(p for p in products if p.id == "fiber-250")
    assert fibre.monthly_price == Decimal("36.90")
    assert (fibre.name("sv"), fibre.name("fi"), fibre.name("en")) == (
        "Fiber 250",
        "Kuitu 250",
        "Fibre 250",
    )


def test_the_service_s_own_product_is_not_a_choice():
    products = catalogue.load_catalogue(DEFAULT)
    ids = [p.id for p in catalogue.choices_for(products, ServiceKind.BROADBAND, "Fiber 1000")]
    assert ids == ["fiber-100", "fiber-250"]


GOOD = {
    "id": "fiber-2000",
    "kind": "broadband",
    "monthly_price": "59.90",
    "name": {"sv": "Fiber 2000", "fi": "Kuitu 2000", "en": "Fibre 2000"},
    "description": {"sv": "snabb", "fi": "nopea", "en": "fast"},
}


@pytest.mark.parametrize(
    ("products", "reason"),
    [
        ([GOOD | {"kind": "radio"}], "'kind' must be one of"),
        ([GOOD | {"monthly_price": "-1.00"}], "'monthly_price' must be euros"),
        ([GOOD | {"monthly_price": "29.999"}], "'monthly_price' must be euros"),
        ([GOOD | {"monthly_price": "cheap"}], "'monthly_price' must be euros"),
        ([GOOD | {"id": "Fiber 2000"}], "'id' must be a short lower-case name"),
        ([GOOD | {"name": {"sv": "Fiber 2000", "fi": "Kuitu 2000"}}], "'name' needs a text"),
        ([GOOD | {"description": {"sv": "", "fi": "x", "en": "x"}}], "'description' needs"),
        ([GOOD, GOOD], "product ids must be unique"),
        ("fiber", "expected an object with a list 'products'"),
    ],
)
def test_a_bad_catalogue_is_refused_naming_the_product_and_the_problem(tmp_path, products, reason):
    path = tmp_path / "products.json"
    path.write_text(json.dumps({"products": products}), encoding="utf-8")
    with pytest.raises(catalogue.CatalogueError, match=reason) as refused:
        catalogue.load_catalogue(str(path))
    assert str(path) in str(refused.value)


def test_the_portal_does_not_start_with_a_bad_catalogue(settings, tmp_path):
    path = tmp_path / "products.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(catalogue.CatalogueError, match=str(path)):
        make_app(settings | {"PRODUCT_CATALOGUE_FILE": str(path)})


def test_the_operator_s_catalogue_is_the_one_offered(settings, tmp_path):
    path = tmp_path / "products.json"
    path.write_text(json.dumps({"products": [GOOD]}), encoding="utf-8")
    app = make_app(settings | {"PRODUCT_CATALOGUE_FILE": str(path)})
    import_demo_register(app, tmp_path / "register")
    client = english_client(app)
    sign_up(Registration(client), "anna.andersson")
    page = client.get("/account/services/500001/change").text
    assert "Fibre 2000" in page and "fast" in page and "Fibre 250" not in page


# -- the person's data and a closed username ---------------------------------------------
@pytest.fixture
def anna(demo_register, registration, client):
    sign_up(registration, "anna.andersson")
    return client


def test_my_data_includes_the_requests(anna):
    reference = reference_of(report_fault(anna))
    data = anna.get("/account/my-data.json").get_json()
    assert [r["reference"] for r in data["requests"]] == [reference]
    assert data["requests"][0]["customer_number"] == "100001"


def test_closing_the_username_keeps_the_requests_of_the_customer_number(app, anna):
    reference = reference_of(report_fault(anna))
    anna.post(
        "/account/close",
        data={"close-password": "correct horse battery", "close-understood": "y"},
    )
    with app.app_context():
        item = requests.by_reference(reference)
        assert item is not None and item.account_id is None
