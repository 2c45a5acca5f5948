"""Customers and staff never cross: a staff session opens no customer page and a customer
session no desk page, both ways; staff sessions rotate and time out like customers'."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.sessions import STARTED_KEY
from tests.conftest import audit_events, english_client
from tests.support.security import (
    USERNAME,
    session_id,
    stored_session_ids,
)
from tests.support.staff import (
    STAFF_EMAIL,
    STAFF_STATE_CHANGING,
    add_staff,
    enrolled,
    make_request,
    staff_login,
)

CUSTOMER_PAGES = [
    "/account/services",
    "/account/details",
    "/account/my-data.json",
    "/account/invoices/",
    "/login",
    "/register/",
    "/terms/",
    "/",
]
DESK_PAGES = ["/staff/", "/staff/login", "/staff/lookup"]


@pytest.fixture
def staff_client(app):
    client = english_client(app)
    enrolled(app, client)
    return client


@pytest.mark.parametrize("path", CUSTOMER_PAGES)
def test_a_staff_session_opens_no_customer_page(staff_client, path):
    assert staff_client.get(path).status_code == 403


def test_a_staff_session_cannot_post_a_customer_form(staff_client):
    assert staff_client.post("/logout").status_code == 403
    assert staff_client.post("/login", data={"username": USERNAME}).status_code == 403


@pytest.mark.parametrize("path", DESK_PAGES)
def test_a_customer_session_opens_no_desk_page(member, path):
    assert member.get(path).status_code == 403


def test_a_customer_session_cannot_log_in_to_the_desk(app, member):
    add_staff(app)
    response = member.post("/staff/login", data={"email": STAFF_EMAIL, "password": "x"})
    assert response.status_code == 403
    assert member.get("/account/services").status_code == 200  # still the customer


def test_a_customer_session_cannot_use_a_set_up_link(app, member):
    assert member.get(add_staff(app)).status_code == 403


def test_anonymous_visitors_are_sent_to_the_staff_login(client):
    response = client.get("/staff/lookup")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/login?next=/staff/lookup")


def test_the_staff_login_goes_back_only_to_desk_pages(app, client, staff_clock):
    member_ = enrolled(app, client, at=staff_clock.now)
    client.post("/staff/logout")
    staff_clock.advance(seconds=30)
    code = member_.code(staff_clock.now)
    for target, expected in [("/account/services", "/staff/"), ("//evil.example", "/staff/")]:
        response = client.post(
            f"/staff/login?next={target}",
            data={"email": member_.email, "password": member_.password, "code": code},
        )
        assert response.headers["Location"].endswith(expected), target
        client.post("/staff/logout")
        staff_clock.advance(seconds=30)
        code = member_.code(staff_clock.now)
    response = staff_login(client, member_, code)
    assert response.status_code == 303


def test_the_staff_menu_replaces_the_customers(staff_client):
    page = staff_client.get("/staff/lookup").get_data(as_text=True)
    assert "/staff/logout" in page and "Look up a customer" in page
    assert "/account/services" not in page and 'action="/logout"' not in page


def test_the_language_switch_works_for_staff(staff_client):
    response = staff_client.post("/language", data={"language": "fi", "next": "/staff/"})
    assert response.status_code == 303
    assert "Asiakaspalvelun työpöytä" in staff_client.get("/staff/").get_data(as_text=True)


def test_staff_login_rotates_the_session_id(app, client, staff_clock):
    member_ = enrolled(app, client, at=staff_clock.now)
    before = session_id(client)
    client.post("/staff/logout")
    assert before not in stored_session_ids(app)
    staff_clock.advance(seconds=30)
    client.get("/staff/login")
    assert staff_login(client, member_, member_.code(staff_clock.now)).status_code == 303
    after = session_id(client)
    assert after != before and after in stored_session_ids(app)


@pytest.mark.parametrize(("age", "still_in"), [(12 * 3600 - 60, True), (12 * 3600 + 60, False)])
def test_a_staff_session_ends_after_the_absolute_timeout(staff_client, age, still_in):
    with staff_client.session_transaction() as session:
        session[STARTED_KEY] = int(time.time()) - age
    assert (staff_client.get("/staff/").status_code == 200) is still_in


def test_staff_forms_need_the_csrf_token(build):
    app = build(WTF_CSRF_ENABLED=True)
    client = english_client(app)
    add_staff(app)
    response = client.post("/staff/login", data={"email": STAFF_EMAIL, "password": "x"})
    assert response.status_code == 400
    assert "Your session has expired" in response.get_data(as_text=True)


def test_staff_pages_are_not_cached(staff_client):
    assert staff_client.get("/staff/").headers["Cache-Control"] == "no-store"
    assert (
        english_client(staff_client.application).get("/staff/login").headers["Cache-Control"]
        == "no-store"
    )


def test_a_staff_page_without_a_language_cookie_follows_the_browser(app):
    client = app.test_client()  # no language cookie: Accept-Language decides
    enrolled(app, client)
    page = client.get("/staff/", headers={"Accept-Language": "fi-FI"})
    assert page.status_code == 200
    assert "Asiakaspalvelun työpöytä" in page.get_data(as_text=True)


@pytest.fixture
def csrf_desk(build):
    """A staff member signed in on an app that checks CSRF tokens, with one request."""
    from tests.conftest import import_demo_register

    app = build(WTF_CSRF_ENABLED=True)
    import_demo_register(app, Path(app.instance_path) / "register")
    client = english_client(app)
    enrolled(app, client)
    return app, client, make_request(app, "100003")


@pytest.mark.parametrize(
    "path", [p for p in STAFF_STATE_CHANGING if p not in ("/staff/login", "/staff/setup/<token>")]
)
def test_a_desk_post_without_a_csrf_token_is_refused_and_changes_nothing(csrf_desk, path):
    app, client, reference = csrf_desk
    before = len(audit_events(app))
    response = client.post(
        path.replace("<reference>", reference),
        data={"status": "done", "note": "x", "query": "100001"},
    )
    assert response.status_code == 400
    assert "Your session has expired" in response.get_data(as_text=True)
    assert len(audit_events(app)) == before
    assert client.get("/staff/").status_code == 200  # still signed in
    with app.app_context():
        from app.services import requests as customer_requests

        assert customer_requests.by_reference(reference).status.value == "received"


def test_a_set_up_post_without_a_csrf_token_is_refused(build):
    app = build(WTF_CSRF_ENABLED=True)
    path = add_staff(app)
    response = english_client(app).post(path, data={"password": "x", "code": "123456"})
    assert response.status_code == 400
    assert english_client(app).get(path).status_code == 200  # the link still works
