"""The requests service: references, creation (once per form), scoping, cancel, status, queue."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Account, Customer, utcnow
from app.services import requests
from app.services.requests import RequestKind, RequestStatus
from tests.factories import AccountFactory, CustomerFactory

FAULT = {"service_name": "Fiber 100", "problem": "no_connection", "since": "2026-12-01"}


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def anna(ctx):
    return AccountFactory(username="anna@example.fi")


@pytest.fixture
def home(ctx):
    return CustomerFactory(customer_number="100001")


@pytest.fixture
def other(ctx):
    return CustomerFactory(customer_number="200002")


def fault(customer, account, key=None, **extra):
    return requests.create_request(
        customer=customer,
        account=account,
        kind=RequestKind.FAULT,
        payload=FAULT,
        customer_text="No light on the box",
        service_id="700001",
        idempotency_key=key,
        **extra,
    )


# -- references ------------------------------------------------------------------
def test_a_reference_is_nine_digits_with_a_check_digit():
    for _ in range(200):
        reference = requests.new_reference()
        assert len(reference) == 9 and reference.isdigit() and reference[0] != "0"
        assert requests.is_reference(reference)


@pytest.mark.parametrize(
    "value", ["", "12345678", "1234567890", "12345678a", "１２３４５６７８２", "123456780"]
)
def test_a_mistyped_reference_is_not_a_reference(value):
    assert not requests.is_reference(value)


def test_a_swapped_pair_of_digits_fails_the_check():
    reference = requests.new_reference()
    swapped = next(
        reference[:i] + reference[i + 1] + reference[i] + reference[i + 2 :]
        for i in range(8)
        if reference[i] != reference[i + 1]
    )
    assert not requests.is_reference(swapped)


def test_a_taken_reference_is_drawn_again(ctx, anna, home, monkeypatch):
    first, _ = fault(home, anna)
    drawn = iter([first.reference, "123456782"])
    monkeypatch.setattr(requests.service, "new_reference", lambda: next(drawn))
    second, created = fault(home, anna)
    assert created and second.reference == "123456782"


# -- creation --------------------------------------------------------------------
def test_a_new_request_is_received_with_its_history(ctx, anna, home):
    item, created = fault(home, anna)
    assert created
    assert item.status == RequestStatus.RECEIVED and item.is_open
    assert item.customer_id == home.id and item.account_id == anna.id
    assert item.payload == FAULT and item.customer_text == "No light on the box"
    assert [(e.status, e.actor) for e in item.events] == [
        (RequestStatus.RECEIVED, "customer:anna@example.fi")
    ]


def test_the_same_form_sent_twice_is_one_request(ctx, anna, home):
    first, created = fault(home, anna, key="form-token-1")
    again, created_again = fault(home, anna, key="form-token-1")
    assert created and not created_again and again.id == first.id
    assert db.session.scalar(select(func.count()).select_from(requests.Request)) == 1


def test_two_forms_are_two_requests(ctx, anna, home):
    fault(home, anna, key="form-token-1")
    fault(home, anna, key="form-token-2")
    assert db.session.scalar(select(func.count()).select_from(requests.Request)) == 2


def test_a_double_submit_arriving_at_once_is_one_request(app, settings):
    """Two sessions insert the same form token at the same moment: the unique key decides."""
    with app.app_context():
        account, customer = AccountFactory().id, CustomerFactory().id
    barrier, results = threading.Barrier(2), []

    def submit():
        with app.app_context():
            barrier.wait()
            item, created = fault(
                db.session.get(Customer, customer), db.session.get(Account, account), key="same"
            )
            results.append((item.reference, created))

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({reference for reference, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, True]


# -- the customer's view ---------------------------------------------------------
def test_a_customer_sees_only_the_requests_of_the_given_customer_numbers(ctx, anna, home, other):
    mine, _ = fault(home, anna)
    theirs, _ = fault(other, None)
    assert requests.requests_for_customers([home.id]) == [mine]
    assert requests.request_for_customers(theirs.reference, [home.id]) is None
    assert requests.request_for_customers(mine.reference, [home.id]) == mine
    assert requests.requests_for_customers([]) == []


def test_the_list_is_newest_first(ctx, anna, home):
    older, _ = fault(home, anna)
    newer, _ = fault(home, anna)
    older.created_at = utcnow() - timedelta(days=1)
    db.session.commit()
    assert requests.requests_for_customers([home.id]) == [newer, older]


def test_open_requests_are_of_one_kind_and_still_waiting(ctx, anna, home):
    waiting, _ = fault(home, anna)
    done, _ = fault(home, anna)
    requests.set_status(done.reference, RequestStatus.DONE, note="", actor="cli")
    assert requests.open_requests([home.id], RequestKind.FAULT) == [waiting]
    assert requests.open_requests([home.id], RequestKind.CONTACT_DETAILS) == []


# -- cancelling --------------------------------------------------------------------
def test_a_received_request_can_be_cancelled_once(ctx, anna, home):
    item, _ = fault(home, anna)
    _, changed = requests.cancel(item.reference, [home.id], actor="customer:anna@example.fi")
    assert changed and item.status == RequestStatus.CANCELLED
    _, changed_again = requests.cancel(item.reference, [home.id], actor="customer:x")
    assert not changed_again
    assert [e.status for e in item.events] == [RequestStatus.RECEIVED, RequestStatus.CANCELLED]


@pytest.mark.parametrize(
    "status", [RequestStatus.IN_PROGRESS, RequestStatus.DONE, RequestStatus.REJECTED]
)
def test_a_request_customer_service_took_up_cannot_be_cancelled(ctx, anna, home, status):
    item, _ = fault(home, anna)
    requests.set_status(item.reference, status, note="", actor="cli")
    with pytest.raises(requests.NotCancellable):
        requests.cancel(item.reference, [home.id], actor="customer:anna@example.fi")
    db.session.expire_all()
    assert item.status == status


def test_another_customers_request_cannot_be_cancelled(ctx, anna, home, other):
    item, _ = fault(other, None)
    with pytest.raises(requests.RequestNotFound):
        requests.cancel(item.reference, [home.id], actor="customer:anna@example.fi")
    assert item.status == RequestStatus.RECEIVED


# -- customer service's status ------------------------------------------------------
def test_a_status_change_keeps_the_note_and_the_history(ctx, anna, home):
    item, _ = fault(home, anna)
    requests.set_status(item.reference, RequestStatus.IN_PROGRESS, note="", actor="staff:bo")
    _, changed = requests.set_status(
        item.reference, RequestStatus.REJECTED, note="  No fault found.  ", actor="staff:bo"
    )
    assert changed and item.status_note == "No fault found."
    assert [(e.status, e.note, e.actor) for e in item.events] == [
        (RequestStatus.RECEIVED, "", "customer:anna@example.fi"),
        (RequestStatus.IN_PROGRESS, "", "staff:bo"),
        (RequestStatus.REJECTED, "No fault found.", "staff:bo"),
    ]


def test_the_same_status_and_note_again_writes_nothing(ctx, anna, home):
    item, _ = fault(home, anna)
    requests.set_status(item.reference, RequestStatus.DONE, note="Fixed.", actor="cli")
    _, changed = requests.set_status(item.reference, RequestStatus.DONE, note="Fixed.", actor="cli")
    assert not changed and len(item.events) == 2


def test_customer_service_cannot_cancel_nor_change_a_cancelled_request(ctx, anna, home):
    item, _ = fault(home, anna)
    with pytest.raises(requests.StatusNotAllowed):
        requests.set_status(item.reference, RequestStatus.CANCELLED, note="", actor="cli")
    requests.cancel(item.reference, [home.id], actor="customer:anna@example.fi")
    with pytest.raises(requests.StatusNotAllowed):
        requests.set_status(item.reference, RequestStatus.DONE, note="", actor="cli")


def test_an_unknown_reference_is_not_found(ctx):
    with pytest.raises(requests.RequestNotFound):
        requests.set_status("123456782", RequestStatus.DONE, note="", actor="cli")


# -- the queue -----------------------------------------------------------------------
def test_the_queue_filters_by_status_kind_and_age_oldest_first(ctx, anna, home):
    old, _ = fault(home, anna)
    old.created_at = utcnow() - timedelta(days=3)
    new, _ = fault(home, anna)
    contact, _ = requests.create_request(
        customer=home, account=anna, kind=RequestKind.CONTACT_DETAILS, payload={"phone": "+358"}
    )
    requests.set_status(new.reference, RequestStatus.IN_PROGRESS, note="", actor="cli")
    assert requests.queue() == [old, new, contact]
    assert requests.queue(kind=RequestKind.FAULT) == [old, new]
    assert requests.queue(status=RequestStatus.RECEIVED) == [old, contact]
    assert requests.queue(older_than=utcnow() - timedelta(days=1)) == [old]
