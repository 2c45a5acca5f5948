"""The desk: the queue and its filters, one request and its status change (with the note
the customer sees, audited with the staff member), and the customer lookup."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.services import requests as customer_requests
from tests.conftest import PERSONS, audit_events, code_leaks, english_client
from tests.support.security import Recorder, register
from tests.support.staff import STAFF_EMAIL, enrolled, make_request
from tests.test_account import count_queries


@pytest.fixture
def desk(app, demo_register):
    """A signed-in staff member's browser, on the demo register."""
    client = english_client(app)
    enrolled(app, client)
    return client


def listed(page) -> list[str]:
    import re

    return re.findall(r"/staff/requests/(\d{9})", page.get_data(as_text=True))


def request_row(app, reference):
    with app.app_context():
        item = customer_requests.by_reference(reference)
        events = [(e.status.value, e.note, e.actor) for e in item.events]
        return item.status.value, item.status_note, events


# -- the queue ----------------------------------------------------------------------------------
def test_the_queue_shows_open_requests_oldest_first(app, desk):
    new = make_request(app, "100001")
    old = make_request(app, "100003", kind="termination", age_days=5)
    done = make_request(app, "100004")
    with app.app_context():
        customer_requests.set_status(done, "done", note="", actor="cli")
    page = desk.get("/staff/")
    assert page.status_code == 200
    assert listed(page) == [old, new]
    assert "Customer service desk" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=all", ["old_fault", "termination", "done_fault"]),
        ("status=done", ["done_fault"]),
        ("kind=termination", ["termination"]),
        ("kind=fault&status=all", ["old_fault", "done_fault"]),
        ("age=3", ["old_fault"]),
        ("age=7&status=all", []),
    ],
)
def test_the_queue_filters_by_status_kind_and_age(app, desk, query, expected):
    references = {
        "old_fault": make_request(app, "100001", age_days=4),
        "termination": make_request(app, "100003", kind="termination"),
        "done_fault": make_request(app, "100004"),
    }
    with app.app_context():
        customer_requests.set_status(references["done_fault"], "done", note="", actor="cli")
    page = desk.get(f"/staff/?{query}")
    assert page.status_code == 200
    assert listed(page) == [references[name] for name in expected]


@pytest.mark.parametrize("query", ["status=nonsense", "kind=pizza", "age=2"])
def test_unknown_filters_are_a_form_error_not_a_crash(desk, query):
    page = desk.get(f"/staff/?{query}")
    assert page.status_code == 400
    assert "There is a problem" in page.get_data(as_text=True)


def test_viewing_the_queue_is_audited_with_the_staff_member(app, desk):
    desk.get("/staff/?kind=fault")
    events = audit_events(app, "staff_queue_viewed")
    assert events[-1].username == STAFF_EMAIL and events[-1].staff_id is not None
    assert "kind=fault" in events[-1].detail


def test_the_queue_runs_a_fixed_number_of_queries(app, desk):
    make_request(app, "100001")
    desk.get("/staff/")  # the first page after signing in renews the session once
    with count_queries(app) as few:
        desk.get("/staff/?status=all")
    for number in ("100002", "100003", "100004", "100005", "100006"):
        make_request(app, number)
        make_request(app, number, kind="termination")
    with count_queries(app) as many:
        page = desk.get("/staff/?status=all")
    assert len(listed(page)) == 11
    assert len(many) == len(few) <= 6, many


# -- one request and its status -----------------------------------------------------------------
def test_a_request_page_shows_what_the_customer_sent(app, desk):
    reference = make_request(app, "100003", text="No picture since Monday.")
    page = desk.get(f"/staff/requests/{reference}").get_data(as_text=True)
    assert "No picture since Monday." in page and "Matti Virtanen" in page and "100003" in page
    assert audit_events(app, "staff_request_viewed")[-1].detail == reference


@pytest.mark.parametrize("reference", ["123456789", "12345", "abcdefghi"])
def test_an_unknown_or_malformed_reference_is_404(desk, reference):
    assert desk.get(f"/staff/requests/{reference}").status_code == 404


def test_changing_the_status_saves_the_note_and_audits_the_staff_member(app, desk):
    reference = make_request(app, "100003")
    response = desk.post(
        f"/staff/requests/{reference}/status",
        data={"status": "done", "note": "A technician replaced the fibre box."},
    )
    assert response.status_code == 303
    status, note, events = request_row(app, reference)
    assert (status, note) == ("done", "A technician replaced the fibre box.")
    assert events[-1] == ("done", "A technician replaced the fibre box.", f"staff:{STAFF_EMAIL}")
    audited = audit_events(app, "request_status_changed")[-1]
    assert (audited.username, audited.detail) == (STAFF_EMAIL, f"{reference}: received -> done")
    assert audited.staff_id is not None and audited.account_id is None
    page = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "The status is saved." in page


def test_the_same_status_and_note_again_writes_nothing(app, desk):
    reference = make_request(app, "100003")
    data = {"status": "in_progress", "note": "Looking into it."}
    desk.post(f"/staff/requests/{reference}/status", data=data)
    before = len(audit_events(app, "request_status_changed"))
    again = desk.post(f"/staff/requests/{reference}/status", data=data)
    assert again.status_code == 303
    assert len(request_row(app, reference)[2]) == 2  # received, in progress
    assert len(audit_events(app, "request_status_changed")) == before


def test_rejecting_needs_a_reason(app, desk):
    reference = make_request(app, "100003")
    response = desk.post(f"/staff/requests/{reference}/status", data={"status": "rejected"})
    assert response.status_code == 400
    assert "Give the reason for the rejection" in response.get_data(as_text=True)
    assert request_row(app, reference)[0] == "received"


@pytest.mark.parametrize("status", ["cancelled", "closed"])
def test_staff_cannot_set_cancelled_or_an_unknown_status(app, desk, status):
    reference = make_request(app, "100003")
    response = desk.post(f"/staff/requests/{reference}/status", data={"status": status})
    assert response.status_code == 400
    assert request_row(app, reference)[0] == "received"


def test_a_cancelled_request_cannot_be_changed(app, desk):
    reference = make_request(app, "100003")
    with app.app_context():
        item = customer_requests.by_reference(reference)
        customer_requests.cancel(reference, [item.customer_id], actor="customer:x")
    assert "cancelled this request" in desk.get(f"/staff/requests/{reference}").text
    response = desk.post(f"/staff/requests/{reference}/status", data={"status": "done"})
    assert response.status_code == 409
    assert request_row(app, reference)[0] == "cancelled"


def test_a_request_page_runs_few_queries(app, desk):
    reference = make_request(app, "100003")
    desk.get("/staff/")  # the first page after signing in renews the session once
    with count_queries(app) as statements:
        desk.get(f"/staff/requests/{reference}")
    assert len(statements) <= 6, statements


# -- the lookup ---------------------------------------------------------------------------------
def lookup(client, query):
    return client.post("/staff/lookup", data={"query": query})


def test_a_customer_number_with_a_username_shows_the_username_and_its_numbers(app, desk):
    register(app, "anna.andersson", "anna@example.fi")
    page = lookup(desk, "100001").get_data(as_text=True)
    assert "anna@example.fi" in page
    assert "100001" in page and "100002" in page  # both of Anna's numbers
    code = PERSONS["anna.andersson"].code
    assert f"{code[:6]}-****" in page
    assert audit_events(app, "staff_lookup")[-1].detail == "100001: found"


def test_a_username_shows_the_customer_numbers_it_links_to(app, desk):
    register(app, "sofia.nyman", "sofia@example.fi")
    page = lookup(desk, "Sofia@Example.fi").get_data(as_text=True)
    assert "100005" in page and "100006" in page and "Nyman Design" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("100007", "Not on record: no username can link"),
        ("100003", "No username links to this customer number."),
        ("999999", "is not in the register"),
        ("nobody@example.fi", "No username nobody@example.fi."),
    ],
)
def test_lookup_answers_without_a_link(desk, query, expected):
    assert expected in lookup(desk, query).get_data(as_text=True)


def test_an_empty_lookup_is_a_form_error(desk):
    response = lookup(desk, "  ")
    assert response.status_code == 400
    assert "Enter a customer number or a username." in response.get_data(as_text=True)


def test_an_identity_code_is_not_searched_nor_shown_back(app, desk):
    code = PERSONS["anna.andersson"].code
    response = lookup(desk, code)
    assert response.status_code == 400
    assert "identity codes are not searched" in response.get_data(as_text=True)
    assert code_leaks([response.get_data(as_text=True)], [code]) == []
    assert not audit_events(app, "staff_lookup")


def test_no_identity_code_in_full_anywhere_on_the_desk(app, desk):
    for sub, username in [("anna.andersson", "anna@example.fi"), ("matti.virtanen", "m@x.fi")]:
        register(app, sub, username)
    reference = make_request(app, "100001")
    recorder = Recorder(desk)
    for query in ("100001", "100003", "anna@example.fi", "m@x.fi", "100007"):
        lookup(desk, query)
    desk.get("/staff/?status=all")
    desk.get(f"/staff/requests/{reference}")
    codes = [person.code for person in PERSONS.values()]
    assert code_leaks(recorder.texts, codes) == []
    with app.app_context():
        from app.models import AuditEvent

        details = list(db.session.scalars(select(AuditEvent.detail)))
    assert code_leaks(details, codes) == []


def test_the_lookup_runs_few_queries(app, desk):
    register(app, "anna.andersson", "anna@example.fi")
    desk.get("/staff/")  # the first page after signing in renews the session once
    with count_queries(app) as statements:
        lookup(desk, "100001")
    assert len(statements) <= 6, statements
