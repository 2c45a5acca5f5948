"""The audit trail: which security events are recorded, with what, and the audit CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.models import AuditEvent
from app.services.accounts import audit
from app.services.accounts import service as accounts
from tests.conftest import PERSONS, audit_events, make_app, set_person_claims
from tests.support.security import PASSWORD, USERNAME, login

CLIENT_IP = "192.0.2.10"
USER_AGENT = "AuditTest/1.0 (Selfie)"


@pytest.fixture
def visitor(client):
    """The test browser, from a known address with a known user agent."""
    client.environ_base.update({"REMOTE_ADDR": CLIENT_IP, "HTTP_USER_AGENT": USER_AGENT})
    return client


# -- what triggers each event ---------------------------------------------------------------
def accept_terms(registration, client, oidc_issuer):
    registration.accept_terms()


def identify(registration, client, oidc_issuer):
    registration.accept_terms()
    registration.identify("anna.andersson")


def fail_identification(registration, client, oidc_issuer):
    set_person_claims(oidc_issuer, "no.code", {"given_name": "Ei", "family_name": "Koodia"})
    registration.accept_terms()
    registration.identify("no.code")


def create_account(registration, client, oidc_issuer):
    registration.register("anna.andersson", USERNAME, PASSWORD)


def log_out(registration, client, oidc_issuer):
    create_account(registration, client, oidc_issuer)
    client.post("/logout")


def log_in(registration, client, oidc_issuer):
    log_out(registration, client, oidc_issuer)
    login(client)


def fail_login(registration, client, oidc_issuer):
    log_out(registration, client, oidc_issuer)
    login(client, password="not the password")


def get_locked(registration, client, oidc_issuer):
    log_out(registration, client, oidc_issuer)
    for _ in range(accounts.FAILURES_BEFORE_LOCK):
        login(client, password="not the password")


def change_password(registration, client, oidc_issuer):
    log_out(registration, client, oidc_issuer)
    identify(registration, client, oidc_issuer)
    new = "a brand new passphrase"
    client.post("/register/existing", data={"password": new, "confirm": new})


def end_other_sessions(registration, client, oidc_issuer):
    create_account(registration, client, oidc_issuer)
    client.post("/account/sessions/end-others", data={"end-password": PASSWORD})


def export_data(registration, client, oidc_issuer):
    create_account(registration, client, oidc_issuer)
    client.get("/account/my-data.json")


def close_account(registration, client, oidc_issuer):
    create_account(registration, client, oidc_issuer)
    client.post("/account/close", data={"close-password": PASSWORD, "close-understood": "y"})


#: event → (what causes it, whether the account is known when it happens)
TRIGGERS = {
    audit.Event.TERMS_ACCEPTED: (accept_terms, False),
    audit.Event.IDENTIFICATION_OK: (identify, False),
    audit.Event.IDENTIFICATION_FAILED: (fail_identification, False),
    audit.Event.ACCOUNT_CREATED: (create_account, True),
    audit.Event.LOGOUT: (log_out, True),
    audit.Event.LOGIN_OK: (log_in, True),
    audit.Event.LOGIN_FAILED: (fail_login, False),
    audit.Event.LOCKED: (get_locked, False),
    audit.Event.PASSWORD_CHANGED: (change_password, True),
    audit.Event.SESSIONS_ENDED: (end_other_sessions, True),
    audit.Event.DATA_EXPORTED: (export_data, True),
    audit.Event.ACCOUNT_CLOSED: (close_account, False),
}


#: Written by the command-line import, with no request: tests/test_import_snapshot.py.
IMPORT_EVENTS = {audit.Event.IMPORT_OK, audit.Event.IMPORT_REFUSED}
#: Written with the request they are about: tests/test_requests_*.py.
REQUEST_EVENTS = {
    audit.Event.REQUEST_CREATED,
    audit.Event.REQUEST_CANCELLED,
    audit.Event.REQUEST_STATUS_CHANGED,
}


#: The desk and the staff commands: tests/staff/test_staff_audit.py.
STAFF_EVENTS = {event for event in audit.Event if event.value.startswith("staff_")}


def test_every_event_kind_has_a_trigger_below():
    assert set(TRIGGERS) == set(audit.Event) - IMPORT_EVENTS - REQUEST_EVENTS - STAFF_EVENTS


@pytest.mark.parametrize("event", list(TRIGGERS), ids=str)
def test_each_security_event_is_recorded_with_time_address_and_user_agent(
    app, registration, visitor, oidc_issuer, event
):
    trigger, _ = TRIGGERS[event]
    before = datetime.now(UTC) - timedelta(seconds=1)
    trigger(registration, visitor, oidc_issuer)
    rows = audit_events(app, event.value)
    assert rows, f"no {event} event"
    row = rows[-1]
    assert before <= row.occurred_at <= datetime.now(UTC) + timedelta(seconds=1)
    assert row.client_ip == CLIENT_IP
    assert row.user_agent == USER_AGENT


@pytest.mark.parametrize(
    "event", [e for e, (_, with_account) in TRIGGERS.items() if with_account], ids=str
)
def test_events_of_a_signed_in_account_name_the_account(
    app, registration, visitor, oidc_issuer, event
):
    trigger, _ = TRIGGERS[event]
    trigger(registration, visitor, oidc_issuer)
    row = audit_events(app, event.value)[-1]
    assert row.account_id is not None
    assert row.username == USERNAME


@pytest.mark.parametrize("event", [audit.Event.LOGIN_FAILED, audit.Event.LOCKED], ids=str)
def test_failed_and_locked_logins_name_the_username_tried(
    app, registration, visitor, oidc_issuer, event
):
    trigger, _ = TRIGGERS[event]
    trigger(registration, visitor, oidc_issuer)
    assert audit_events(app, event.value)[-1].username == USERNAME


def test_a_failed_identification_records_the_reason_but_not_the_person(
    app, registration, visitor, oidc_issuer
):
    fail_identification(registration, visitor, oidc_issuer)
    (row,) = audit_events(app, "identification_failed")
    assert row.detail == "claim_missing"
    assert row.account_id is None and row.username == ""


@pytest.mark.parametrize("field", ["username", "detail", "user_agent"])
def test_a_code_passed_in_any_field_is_stored_masked(app, field):
    code = PERSONS["anna.andersson"].code
    client = audit.Client(ip="192.0.2.1", user_agent=code if field == "user_agent" else "")
    values = {"username": "", "detail": ""} | ({field: code} if field != "user_agent" else {})
    with app.app_context():
        audit.record(audit.Event.LOGIN_FAILED, client, **values)
    (row,) = audit_events(app)
    assert getattr(row, field) == "150385-****"


# -- the command line -------------------------------------------------------------------------
@pytest.fixture
def trail(app, registration, visitor):
    """A short trail: terms accepted, identified, account created, logged out, a failed login."""
    registration.register("anna.andersson", USERNAME, PASSWORD)
    visitor.post("/logout")
    login(visitor, password="not the password")
    return audit_events(app)


def test_audit_list_shows_each_event_with_username_and_address(app, trail):
    result = app.test_cli_runner().invoke(args=["audit", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == len(trail)
    assert [line.split()[1] for line in lines] == [row.event for row in trail]
    failed = next(line for line in lines if " login_failed " in line)
    assert USERNAME in failed and CLIENT_IP in failed


def test_audit_list_honours_since_and_limit(app, trail):
    runner = app.test_cli_runner()
    assert len(runner.invoke(args=["audit", "list", "--limit", "2"]).output.splitlines()) == 2
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert runner.invoke(args=["audit", "list", "--since", tomorrow]).output == ""


def test_audit_export_writes_csv_with_a_header(app, trail):
    result = app.test_cli_runner().invoke(args=["audit", "export", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert tuple(rows[0]) == audit.FIELDS
    assert [row["event"] for row in rows] == [row.event for row in trail]
    failed = next(row for row in rows if row["event"] == "login_failed")
    assert failed["username"] == USERNAME
    assert failed["client_ip"] == CLIENT_IP
    assert failed["user_agent"] == USER_AGENT
    assert datetime.fromisoformat(failed["occurred_at"]).tzinfo is not None


def test_audit_export_writes_json_lines(app, trail):
    result = app.test_cli_runner().invoke(args=["audit", "export", "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [row["event"] for row in rows] == [row.event for row in trail]
    assert all(set(row) == set(audit.FIELDS) for row in rows)
    created = next(row for row in rows if row["event"] == "account_created")
    assert created["account_id"] is not None and created["username"] == USERNAME


def test_audit_export_honours_since(app, trail):
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    result = app.test_cli_runner().invoke(args=["audit", "export", "--since", tomorrow])
    assert list(csv.DictReader(io.StringIO(result.output))) == []


# -- retention ----------------------------------------------------------------------------------
def add_event(app, days_ago: float, event=audit.Event.LOGIN_FAILED) -> None:
    with app.app_context():
        occurred = datetime.now(UTC) - timedelta(days=days_ago)
        db.session.add(AuditEvent(event=event.value, occurred_at=occurred, client_ip="192.0.2.1"))
        db.session.commit()


def remaining_ages(app) -> list[int]:
    now = datetime.now(UTC)
    return sorted((now - row.occurred_at).days for row in audit_events(app))


def test_retention_defaults_to_a_year(app):
    assert app.config["AUDIT_RETENTION_DAYS"] == 365


def test_prune_deletes_events_older_than_the_default_retention(app):
    for days in (366, 364, 1):
        add_event(app, days)
    result = app.test_cli_runner().invoke(args=["audit", "prune"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 event(s) older than 365 days." in result.output
    assert remaining_ages(app) == [1, 364]


def test_prune_follows_the_retention_setting(settings):
    app = make_app(settings | {"AUDIT_RETENTION_DAYS": 30})
    try:
        for days in (400, 31, 29, 0):
            add_event(app, days)
        result = app.test_cli_runner().invoke(args=["audit", "prune"])
        assert "Deleted 2 event(s) older than 30 days." in result.output
        assert remaining_ages(app) == [0, 29]
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_the_csv_export_defuses_spreadsheet_formulas(app):
    from app.services.accounts import audit as audit_service

    with app.app_context():
        audit_service.record(
            audit_service.Event.LOGIN_FAILED,
            audit_service.Client(ip="127.0.0.1", user_agent='=HYPERLINK("http://evil")'),
        )
        exported = "".join(audit_service.export(audit_service.events(), "csv"))
    assert "'=HYPERLINK" in exported
    assert ",=HYPERLINK" not in exported
