"""What a signed-in person can do on Egna detaljer: download their data, log out
elsewhere, close the username (ASVS 8.3.2, 3.3.4)."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from app.extensions import db
from app.models import Account, Customer
from tests.conftest import PERSONS, audit_events, code_leaks, english_client
from tests.support.security import signed_in

PASSWORD = "correct horse battery"


def second_device(app):
    client = english_client(app)
    response = client.post("/login", data={"username": "anna@example.fi", "password": PASSWORD})
    assert response.status_code == 303
    return client


def test_my_data_downloads_everything_held_with_the_code_masked(
    app, demo_register, registration, client
):
    registration.register("anna.andersson", "anna@example.fi")
    response = client.get("/account/my-data.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.text)
    assert data["username"] == "anna@example.fi"
    assert data["personal_identity_code"] == "150385-****"
    assert [c["customer_number"] for c in data["customers"]] == ["100001", "100002"]
    assert data["customers"][0]["services"][0]["monthly_price"]
    assert code_leaks([response.text], [PERSONS["anna.andersson"].code]) == []
    assert len(audit_events(app, "data_exported")) == 1
    assert response.headers["Cache-Control"] == "no-store"


def test_logging_out_elsewhere_ends_the_other_sessions_only(app, registration, client):
    registration.register("anna.andersson", "anna@example.fi")
    other = second_device(app)
    response = client.post("/account/sessions/end-others", data={"end-password": PASSWORD})
    assert response.status_code == 303
    assert signed_in(client)
    assert not signed_in(other)
    assert len(audit_events(app, "sessions_ended")) == 1


def test_logging_out_elsewhere_needs_the_right_password(app, registration, client):
    registration.register("anna.andersson", "anna@example.fi")
    other = second_device(app)
    response = client.post("/account/sessions/end-others", data={"end-password": "not it"})
    assert response.status_code == 400
    assert "The password is wrong." in response.text and 'class="error-summary"' in response.text
    assert signed_in(other)


def test_closing_the_username_keeps_the_customer_records(app, demo_register, registration, client):
    registration.register("anna.andersson", "anna@example.fi")
    response = client.post(
        "/account/close", data={"close-password": PASSWORD, "close-understood": "y"}
    )
    assert response.status_code == 303
    assert "Your username has been closed" in client.get("/").text
    assert not signed_in(client)
    with app.app_context():
        assert db.session.scalar(select(func.count(Account.id))) == 0
        assert db.session.scalar(select(func.count(Customer.id))) > 0
    (closed,) = audit_events(app, "account_closed")
    assert closed.username == "anna@example.fi"
    assert closed.account_id is None  # the account is gone; its name stays in the trail
    assert closed.client_ip == "127.0.0.1"


def test_a_closed_username_can_be_created_again_after_identification(
    app, demo_register, registration, client
):
    registration.register("anna.andersson", "anna@example.fi")
    client.post("/account/close", data={"close-password": PASSWORD, "close-understood": "y"})
    again = registration.register("anna.andersson", "anna.new@example.fi")
    assert again.headers["Location"].endswith("/account/services")
    assert "100001" in client.get("/account/services").text


def test_closing_needs_the_password_and_the_tick(app, registration, client):
    registration.register("anna.andersson", "anna@example.fi")
    unticked = client.post("/account/close", data={"close-password": PASSWORD})
    assert unticked.status_code == 400
    assert "Tick the box to confirm" in unticked.text
    wrong = client.post("/account/close", data={"close-password": "no", "close-understood": "y"})
    assert wrong.status_code == 400 and "The password is wrong." in wrong.text
    assert signed_in(client)
    details = client.get("/account/details").text
    assert 'type="checkbox"' in details and "checked" not in details


def test_these_actions_require_login(client):
    assert client.get("/account/my-data.json").status_code == 302
    assert client.post("/account/close").status_code == 302
    assert client.post("/account/sessions/end-others").status_code == 302
