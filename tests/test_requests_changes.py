"""Contact details, changing and ending a service, Mina ärenden with cancelling and the
statuses customer service sets, and the pages' query counts (Flask client)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Customer
from app.services import requests
from app.services.invoices.queries import finnish_today
from app.services.requests import RequestKind, RequestStatus
from tests.conftest import audit_events
from tests.test_account import count_queries, sign_up
from tests.test_requests_pages import post_form, reference_of, report_fault, stored, token

CONTACT = "/account/customers/100001/contact"
CHANGE = "/account/services/500001/change"  # Anna's Fiber 1000, 49.90 a month


@pytest.fixture
def anna(demo_register, registration, client):
    sign_up(registration, "anna.andersson")
    return client


# -- contact details ---------------------------------------------------------------------
def test_a_contact_change_keeps_only_what_changes_normalised(app, anna):
    data = {"email": "anna.andersson@example.fi", "phone": "+46 70 123 45 67"}
    reference = reference_of(post_form(anna, CONTACT, data | {"invoice_delivery": "paper"}))
    item = stored(app, reference)
    assert item.kind == RequestKind.CONTACT_DETAILS
    assert item.payload == {"phone": "+46701234567", "invoice_delivery": "paper"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "anna@"}, "Enter an e-mail address in the form name@example.fi."),
        ({"phone": "06 786 8222"}, "Enter a mobile phone number"),  # a landline
        ({"phone": "12345"}, "Enter a mobile phone number"),
        ({"invoice_delivery": "fax"}, "Choose how you want your invoices."),
        ({}, "You have not changed anything."),
    ],
)
def test_bad_contact_details_are_refused_with_a_message(app, anna, data, message):
    response = post_form(anna, CONTACT, data)
    assert response.status_code == 400 and message in response.text
    with app.app_context():
        assert requests.queue() == []


def test_an_e_mail_invoice_needs_an_e_mail_address(app, anna):
    with app.app_context():
        db.session.query(Customer).filter_by(customer_number="100001").update({"email": ""})
        db.session.commit()
    response = post_form(anna, CONTACT, {"invoice_delivery": "email"})
    assert (
        response.status_code == 400
        and "An e-mail invoice needs an e-mail address." in response.text
    )


def test_a_pending_change_shows_on_my_details_until_done(app, anna, runner):
    reference = reference_of(post_form(anna, CONTACT, {"invoice_delivery": "e_invoice"}))
    details = anna.get("/account/details").text
    assert f"(request number {reference})" in details
    assert 'href="/account/customers/100001/contact"' in details
    runner.invoke(args=["requests", "set-status", reference, "done"])
    assert reference not in anna.get("/account/details").text


def test_a_pending_change_ends_when_the_register_carries_it(app, anna):
    reference = reference_of(post_form(anna, CONTACT, {"phone": "040 765 4321"}))
    assert reference in anna.get("/account/details").text
    with app.app_context():  # what the next register import does
        db.session.query(Customer).filter_by(customer_number="100001").update(
            {"phone": "040 7654321"}
        )
        db.session.commit()
    assert reference not in anna.get("/account/details").text
    assert stored(app, reference).status == RequestStatus.RECEIVED  # still customer service's


# -- changing and ending a service -------------------------------------------------------
def test_a_product_change_shows_a_summary_with_the_monthly_cost_before_sending(app, anna):
    form_token = token(anna, CHANGE)
    summary = post_form(anna, CHANGE, {"action": "change", "product": "fiber-250"}, form_token)
    assert summary.status_code == 200
    assert "Check and confirm" in summary.text and "€36.90 per month" in summary.text
    with app.app_context():
        assert requests.queue() == []  # nothing sent yet
    sent = post_form(
        anna, CHANGE, {"action": "change", "product": "fiber-250", "confirm": "y"}, form_token
    )
    item = stored(app, reference_of(sent))
    assert item.kind == RequestKind.SERVICE_CHANGE and item.service_id == "500001"
    assert item.payload["product_id"] == "fiber-250" and item.payload["monthly_price"] == "36.90"
    assert item.payload["current_price"] == "49.90"


def test_the_current_product_is_not_offered(anna):
    page = anna.get(CHANGE).text
    assert 'value="fiber-250"' in page and 'value="fiber-1000"' not in page


def test_going_back_from_the_summary_keeps_the_choices(anna):
    data = {"action": "change", "product": "fiber-100", "edit": "y"}
    page = post_form(anna, CHANGE, data).text
    assert re.search(r'<input[^>]* checked [^>]*value="fiber-100"', page)
    assert "Continue to the summary" in page


def test_ending_a_service_on_a_date_after_the_notice_period(app, anna):
    end = finnish_today() + timedelta(days=30)
    data = {"action": "end", "end_date": end.isoformat(), "confirm": "y"}
    item = stored(app, reference_of(post_form(anna, CHANGE, data)))
    assert item.kind == RequestKind.TERMINATION and item.payload["end_date"] == end.isoformat()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "end", "end_date": ""}, "Enter the end date"),
        ({"action": "end", "end_date": "1.13.2027"}, "Enter the end date"),
        ({"action": "change", "product": "tv-plus"}, "Choose the product you want."),
        ({"action": "change", "product": "fiber-1000"}, "Choose the product you want."),
        ({}, "Choose whether to switch or to end the service."),
    ],
)
def test_a_bad_change_is_refused_with_a_message(app, anna, data, message):
    response = post_form(anna, CHANGE, data | {"confirm": "y"})
    assert response.status_code == 400 and message in response.text
    with app.app_context():
        assert requests.queue() == []


def test_an_end_date_inside_the_notice_period_is_refused(app, anna):
    early = finnish_today() + timedelta(days=13)  # the default notice period is 14 days
    response = post_form(anna, CHANGE, {"action": "end", "end_date": early.isoformat()})
    assert response.status_code == 400 and "The earliest possible end date is" in response.text


# -- Mina ärenden, cancelling, customer service's answer ---------------------------------
def test_my_requests_lists_every_request_newest_first(app, anna):
    fault = reference_of(report_fault(anna))
    contact = reference_of(post_form(anna, CONTACT, {"invoice_delivery": "paper"}))
    page = anna.get("/account/requests").text
    assert page.index(contact) < page.index(fault)
    assert "Fault report" in page and "Contact details" in page and "Fiber 1000" in page


def test_a_received_request_can_be_cancelled_by_the_customer(app, anna):
    reference = reference_of(report_fault(anna))
    response = anna.post(f"/account/requests/{reference}/cancel")
    assert response.status_code == 303
    assert stored(app, reference).status == RequestStatus.CANCELLED
    assert "Cancelled" in anna.get("/account/requests").text
    assert [e.detail for e in audit_events(app, "request_cancelled")] == [f"request {reference}"]


@pytest.mark.parametrize("status", ["in_progress", "done", "rejected"])
def test_a_request_customer_service_took_up_cannot_be_cancelled(app, anna, runner, status):
    reference = reference_of(report_fault(anna))
    runner.invoke(args=["requests", "set-status", reference, status])
    assert 'action="/account/requests/' not in anna.get(f"/account/requests/{reference}").text
    response = anna.post(f"/account/requests/{reference}/cancel", follow_redirects=True)
    assert "cannot be cancelled" in response.text
    assert stored(app, reference).status == status


@pytest.mark.parametrize(
    ("status", "label"),
    [
        ("received", "Received"),
        ("in_progress", "In progress"),
        ("done", "Done"),
        ("rejected", "Rejected"),
    ],
)
def test_the_customer_sees_the_status_and_note_customer_service_set(anna, runner, status, label):
    reference = reference_of(report_fault(anna))
    runner.invoke(
        args=["requests", "set-status", reference, status, "--note", "A technician comes Monday."]
    )
    for page in (
        anna.get("/account/requests").text,
        anna.get(f"/account/requests/{reference}").text,
    ):
        assert f'request-status--{status}">{label}<' in page
        assert "A technician comes Monday." in page


def test_the_statuses_have_the_published_names_in_swedish_and_finnish(anna, runner):
    reference = reference_of(report_fault(anna))
    for language, names in {
        "sv": ("Mottagen", "Under behandling", "Klar", "Avvisad"),
        "fi": ("Vastaanotettu", "Käsittelyssä", "Valmis", "Hylätty"),
    }.items():
        anna.set_cookie("selfie_lang", language)
        page = anna.get("/account/requests").text
        assert all(name in page for name in names), language
        assert ("Ärendenummer" if language == "sv" else "Asian numero") in anna.get(
            f"/account/requests/{reference}"
        ).text


# -- queries -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path", ["/account/requests", CONTACT, CHANGE, "/account/services/500001/fault"]
)
def test_request_pages_run_a_fixed_number_of_queries(app, anna, path):
    reference_of(report_fault(anna))
    with count_queries(app) as few:
        assert anna.get(path).status_code == 200
    for _ in range(5):
        reference_of(report_fault(anna, problem="slow"))
        reference_of(post_form(anna, CONTACT, {"invoice_delivery": "paper"}))
    with count_queries(app) as many:
        assert anna.get(path).status_code == 200
    assert len(many) == len(few) <= 6, many
