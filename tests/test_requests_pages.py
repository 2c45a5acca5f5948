"""The customer's request pages over the Flask client: every kind, scoping, double submits,
cancelling, and customer service's status as the customer sees it.

Anna (demo register) has customer numbers 100001 (services 500001 Fiber 1000 and 500002
TV Plus) and 100002 (500003 Fiber 100); Matti's 500007 has ended; Erik's 100004 has
Maria on the invoice, who is not linked to it.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.services import requests
from app.services.invoices.queries import finnish_today
from app.services.requests import RequestStatus
from tests.conftest import audit_events
from tests.test_account import sign_up

TOKEN = re.compile(r'name="token" type="hidden" value="([^"]+)"')


def token(client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return TOKEN.search(page.text).group(1)


def post_form(client, path: str, data: dict, token_value: str | None = None):
    return client.post(path, data={"token": token_value or token(client, path)} | data)


FAULT = {
    "problem": "no_connection",
    "description": "The fibre box shows a red light.",
    "since": "2026-12-01",
    "callback_phone": "050 123 4567",
    "callback_time": "morning",
}


def report_fault(client, service_id="500001", **changes):
    return post_form(client, f"/account/services/{service_id}/fault", FAULT | changes)


def reference_of(response) -> str:
    assert response.status_code == 303, response.text
    return response.headers["Location"].rsplit("/", 1)[1]


def stored(app, reference: str) -> requests.Request:
    with app.app_context():
        item = requests.by_reference(reference)
        item.customer  # noqa: B018 - loaded before the session closes
        return item


@pytest.fixture
def anna(demo_register, registration, client):
    sign_up(registration, "anna.andersson")
    return client


# -- fault reports ---------------------------------------------------------------------
def test_a_fault_report_shows_its_request_number_and_is_stored(app, anna):
    reference = reference_of(report_fault(anna))
    assert re.fullmatch(r"\d{9}", reference)
    page = anna.get(f"/account/requests/{reference}").text
    assert f'Request number: <strong class="request-reference">{reference}</strong>' in page
    item = stored(app, reference)
    assert item.kind == requests.RequestKind.FAULT and item.service_id == "500001"
    assert item.customer.customer_number == "100001"
    assert item.payload == {
        "service_name": "Fiber 1000",
        "problem": "no_connection",
        "since": "2026-12-01",
        "callback_phone": "+358501234567",
        "callback_time": "morning",
    }
    assert item.customer_text == "The fibre box shows a red light."
    assert [e.event for e in audit_events(app, "request_created")] == ["request_created"]


def test_the_fault_choices_follow_the_kind_of_service(anna):
    tv = anna.get("/account/services/500002/fault").text
    assert "The picture breaks up or freezes" in tv and "No connection at all" not in tv


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"problem": ""}, "Choose what is wrong."),
        ({"problem": "no_picture"}, "Choose what is wrong."),
        ({"problem": "other", "description": " "}, "Please describe the problem in your own"),
        ({"callback_time": "midnight"}, "Choose when we may call you."),
        ({"since": ""}, "Enter the date the problem began"),
        ({"since": "yesterday"}, "Enter the date the problem began"),
        ({"since": (finnish_today() + timedelta(days=1)).isoformat()}, "cannot be in the future"),
        ({"callback_phone": ""}, "Enter a phone number where we can reach you."),
        ({"callback_phone": "12"}, "Enter a phone number, e.g. 050 123 4567"),
    ],
)
def test_a_bad_fault_report_is_refused_with_a_message(app, anna, changes, message):
    response = report_fault(anna, **changes)
    assert response.status_code == 400
    assert message in response.text and "There is a problem" in response.text
    with app.app_context():
        assert requests.requests_for_customers(range(1, 100)) == []


def test_a_finnish_date_is_understood(app, anna):
    reference = reference_of(report_fault(anna, since="1.12.2026"))
    assert stored(app, reference).payload["since"] == "2026-12-01"


def test_the_same_fault_form_sent_twice_is_one_request(app, anna):
    form_token = token(anna, "/account/services/500001/fault")
    first = post_form(anna, "/account/services/500001/fault", FAULT, form_token)
    again = post_form(anna, "/account/services/500001/fault", FAULT, form_token)
    assert reference_of(first) == reference_of(again)
    assert anna.get("/account/requests").text.count('href="/account/requests/') == 1
    assert len(audit_events(app, "request_created")) == 1


def test_a_form_without_its_token_is_refused(app, anna):
    response = anna.post("/account/services/500001/fault", data=FAULT | {"token": "x"})
    assert response.status_code == 400 and "The form had expired" in response.text


# -- scoping ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/account/services/500004/fault",  # Matti's
        "/account/services/500004/change",
        "/account/services/999999/fault",  # nobody's
        "/account/customers/100003/contact",  # Matti's
    ],
)
def test_another_customers_service_or_number_is_not_found(anna, path):
    assert anna.get(path).status_code == 404
    assert anna.post(path, data=FAULT | {"token": "a" * 22}).status_code == 404


def test_another_customers_request_is_not_found_nor_cancellable(
    app, demo_register, registration, client
):
    sign_up(registration, "matti.virtanen")
    reference = reference_of(report_fault(client, "500004"))
    client.post("/auth/logout")
    sign_up(registration, "anna.andersson")
    assert client.get(f"/account/requests/{reference}").status_code == 404
    assert client.post(f"/account/requests/{reference}/cancel").status_code == 404
    assert reference not in client.get("/account/requests").text
    assert stored(app, reference).status == RequestStatus.RECEIVED


def test_a_co_holder_who_is_not_linked_sees_none_of_the_requests(
    app, demo_register, registration, client
):
    sign_up(registration, "erik.lindqvist")
    reference = reference_of(report_fault(client, "500008"))
    client.post("/auth/logout")
    sign_up(registration, "maria.lindqvist")
    assert reference not in client.get("/account/requests").text
    assert client.get(f"/account/requests/{reference}").status_code == 404


def test_an_ended_service_cannot_be_reported_or_changed(demo_register, registration, client):
    sign_up(registration, "matti.virtanen")
    for path in ("/account/services/500007/fault", "/account/services/500007/change"):
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["Location"].endswith("/account/services/500007")


def test_request_pages_need_a_login(client):
    for path in ("/account/requests", "/account/services/500001/fault"):
        assert client.get(path).status_code in (302, 303)


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/account/services/500001/fault", FAULT),
        ("/account/services/500001/change", {"action": "end", "end_date": "2030-01-01"}),
        ("/account/customers/100001/contact", {"invoice_delivery": "paper"}),
    ],
)
def test_a_request_form_sent_by_get_creates_nothing(app, anna, path, form):
    response = anna.get(path, query_string=form | {"token": "a" * 22, "confirm": "y"})
    assert response.status_code == 200
    with app.app_context():
        assert requests.queue() == []
