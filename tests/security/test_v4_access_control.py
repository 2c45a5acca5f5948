"""ASVS V4.2.2 (CSRF) and no state change on GET.

No test sleeps: clocks are moved with monkeypatch.
"""

from __future__ import annotations

import html

import pytest

from app.extensions import db
from app.services.terms import DEFAULT_VERSION
from tests.conftest import (
    Registration,
    audit_events,
    csrf_token,
    english_client,
)
from tests.support.security import (
    CSRF_PAGE,
    NEW_PASSWORD,
    PASSWORD,
    USERNAME,
    account_count,
    login,
    signed_in,
    translated,
)
from tests.support.staff import STAFF_FORM_PAGES, STAFF_STATE_CHANGING

# -- 5. CSRF and no state change on GET ---------------------------------------------------------
STATE_CHANGING = [
    "/login",
    "/logout",
    "/language",
    "/terms/accept",
    "/register/identify",
    "/register/account",
    "/register/existing",
    "/account/sessions/end-others",
    "/account/close",
    "/account/customers/100001/contact",
    "/account/services/500001/change",
    "/account/services/500001/fault",
    "/account/requests/123456782/cancel",
]
#: The routes with a part in the path, by the concrete path the tests post to.
ROUTE_OF = {
    "/account/customers/100001/contact": "/account/customers/<customer_number>/contact",
    "/account/services/500001/change": "/account/services/<service_id>/change",
    "/account/services/500001/fault": "/account/services/<service_id>/fault",
    "/account/requests/123456782/cancel": "/account/requests/<reference>/cancel",
}
PLAUSIBLE_FORM = {
    "end-password": PASSWORD,
    "close-password": PASSWORD,
    "close-understood": "y",
    "username": USERNAME,
    "password": PASSWORD,
    "confirm": PASSWORD,
    "language": "fi",
    "version": DEFAULT_VERSION,
    "method": "bank",
}


@pytest.fixture
def csrf_app(build):
    from tests.factories import AccountFactory

    application = build(WTF_CSRF_ENABLED=True)
    with application.app_context():
        AccountFactory(username=USERNAME, password=PASSWORD, language="en")
        db.session.remove()
    return application


def post_with_token(client, path: str, page: str, data: dict):
    return client.post(path, data=data | {"csrf_token": csrf_token(client.get(page).text)})


def csrf_login(client):
    response = post_with_token(
        client, "/login", "/login", {"username": USERNAME, "password": PASSWORD}
    )
    assert response.status_code == 303
    return client


def test_every_post_route_is_in_the_csrf_table(app):
    posts = {rule.rule for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert posts == {ROUTE_OF.get(path, path) for path in STATE_CHANGING} | set(
        STAFF_STATE_CHANGING
    )


@pytest.mark.parametrize("path", STATE_CHANGING)
def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(csrf_app, path):
    client = csrf_login(english_client(csrf_app))
    events_before = len(audit_events(csrf_app))
    response = client.post(path, data=PLAUSIBLE_FORM)
    assert response.status_code == 400
    assert CSRF_PAGE in response.text
    assert signed_in(client)
    assert len(audit_events(csrf_app)) == events_before
    assert client.get_cookie("selfie_lang").value == "en"


@pytest.mark.parametrize("language", ["sv", "fi", "en"])
def test_the_csrf_page_is_in_the_customers_language(csrf_app, language):
    client = csrf_app.test_client()
    client.set_cookie("selfie_lang", language)
    response = client.post("/terms/accept", data={"version": DEFAULT_VERSION})
    assert response.status_code == 400
    title = translated(csrf_app, language, CSRF_PAGE)
    assert language == "en" or title != CSRF_PAGE
    assert f'<html lang="{language}">' in response.text
    assert f"<h1>{html.escape(title)}</h1>" in response.text


def test_a_csrf_token_from_another_session_is_refused(csrf_app):
    client = csrf_login(english_client(csrf_app))
    stranger_token = csrf_token(english_client(csrf_app).get("/login").text)
    response = client.post("/logout", data={"csrf_token": stranger_token})
    assert response.status_code == 400
    assert signed_in(client)


def test_logout_with_the_pages_token_signs_out(csrf_app):
    client = csrf_login(english_client(csrf_app))
    response = post_with_token(client, "/logout", "/account/services", {})
    assert response.status_code == 303
    assert not signed_in(client)


def test_the_whole_registration_works_with_csrf_protection(csrf_app):
    client = english_client(csrf_app)
    walk = Registration(client)
    post_with_token(client, "/terms/accept", "/terms/", {"version": DEFAULT_VERSION})
    started_at = post_with_token(client, "/register/identify", "/register/", {"method": "bank"})
    assert started_at.status_code == 303
    client.get(walk.authorize_at_provider(started_at.headers["Location"], "matti.virtanen"))
    form = {"username": "matti@example.fi", "password": PASSWORD, "confirm": PASSWORD}
    response = post_with_token(client, "/register/account", "/register/account", form)
    assert response.status_code == 303
    assert signed_in(client)


def test_logout_by_get_is_not_allowed(member):
    assert member.get("/logout").status_code == 405
    assert signed_in(member)


FORM_PAGES = {
    "auth.login",
    "registration.account",
    "registration.existing",
    "requests.contact",
    "requests.change",
    "requests.fault",
}


def test_only_form_pages_answer_both_get_and_post(app):
    both = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if {"GET", "POST"} <= rule.methods and rule.endpoint != "static"
    }
    assert both == FORM_PAGES | STAFF_FORM_PAGES


def test_the_login_form_sent_by_get_signs_nobody_in(app, anna):
    events_before = len(audit_events(app))
    response = anna.get("/login", query_string={"username": USERNAME, "password": PASSWORD})
    assert response.status_code == 200
    assert not signed_in(anna)
    assert len(audit_events(app)) == events_before


def test_the_account_form_sent_by_get_creates_nothing(app, registration, client):
    registration.accept_terms()
    registration.identify("anna.andersson")
    form = {"username": USERNAME, "password": PASSWORD, "confirm": PASSWORD}
    assert client.get("/register/account", query_string=form).status_code == 200
    assert account_count(app) == 0


def test_the_new_password_form_sent_by_get_changes_nothing(app, anna, registration):
    registration.accept_terms()
    registration.identify("anna.andersson")
    form = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert anna.get("/register/existing", query_string=form).status_code == 200
    assert login(english_client(app), password=NEW_PASSWORD).status_code == 400
    assert login(english_client(app), password=PASSWORD).status_code == 303
