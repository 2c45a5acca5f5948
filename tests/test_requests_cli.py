"""``requests export`` and ``requests set-status``: billing's side of the requests."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import AuditEvent, utcnow
from app.services import requests
from app.services.requests import RequestKind, RequestStatus
from tests.factories import AccountFactory, CustomerFactory


@pytest.fixture
def made(app):
    """Two requests of customer 100001: a fault (a formula typed as text) and an old contact."""
    with app.app_context():
        customer = CustomerFactory(customer_number="100001")
        account = AccountFactory()
        fault, _ = requests.create_request(
            customer=customer,
            account=account,
            kind=RequestKind.FAULT,
            payload={"problem": "no_connection"},
            customer_text='=HYPERLINK("http://evil")',
            service_id="700001",
        )
        contact, _ = requests.create_request(
            customer=customer,
            account=account,
            kind=RequestKind.CONTACT_DETAILS,
            payload={"invoice_delivery": "paper"},
        )
        contact.created_at = contact.updated_at = utcnow() - timedelta(days=10)
        db.session.commit()
        return {"fault": fault.reference, "contact": contact.reference}


def test_export_writes_every_request_as_csv_with_formulas_made_inert(runner, made):
    result = runner.invoke(args=["requests", "export", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["reference"] for r in rows] == [made["contact"], made["fault"]]
    fault = rows[1]
    assert fault["customer_number"] == "100001" and fault["service_id"] == "700001"
    assert fault["kind"] == "fault" and fault["status"] == "received"
    assert fault["customer_text"] == '\'=HYPERLINK("http://evil")'
    assert json.loads(fault["details"]) == {"problem": "no_connection"}


def test_export_as_json_lines_keeps_the_text_as_typed(runner, made):
    result = runner.invoke(args=["requests", "export", "--format", "jsonl"])
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert rows[1]["customer_text"] == '=HYPERLINK("http://evil")'
    assert rows[0]["created_at"] < rows[1]["created_at"]


def test_export_since_leaves_older_requests_out(runner, made):
    since = (utcnow() - timedelta(days=1)).date().isoformat()
    result = runner.invoke(args=["requests", "export", "--since", since, "--format", "jsonl"])
    assert [json.loads(line)["reference"] for line in result.output.splitlines()] == [made["fault"]]


def test_set_status_changes_the_status_and_note_and_is_audited(app, runner, made):
    result = runner.invoke(
        args=["requests", "set-status", made["fault"], "rejected", "--note", "No fault found."]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        item = requests.by_reference(made["fault"])
        assert (item.status, item.status_note) == (RequestStatus.REJECTED, "No fault found.")
        assert item.events[-1].actor == "cli"
        event = db.session.query(AuditEvent).filter_by(event="request_status_changed").one()
        assert event.detail == f"request {made['fault']} rejected"


def test_set_status_again_changes_nothing(app, runner, made):
    runner.invoke(args=["requests", "set-status", made["fault"], "done"])
    result = runner.invoke(args=["requests", "set-status", made["fault"], "done"])
    assert "nothing changed" in result.output
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(event="request_status_changed").count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["123456782", "done"], "no request 123456782"),
        (["123456782", "cancelled"], "Invalid value"),
    ],
)
def test_set_status_refuses_an_unknown_request_or_status(runner, made, args, message):
    result = runner.invoke(args=["requests", "set-status", *args])
    assert result.exit_code != 0 and message in result.output


def test_set_status_refuses_a_cancelled_request(app, runner, made):
    with app.app_context():
        customer_id = requests.by_reference(made["fault"]).customer_id
        requests.cancel(made["fault"], [customer_id], actor="customer:x")
    result = runner.invoke(args=["requests", "set-status", made["fault"], "done"])
    assert result.exit_code != 0 and "cancelled by the customer" in result.output


def test_export_refuses_a_since_that_is_not_a_date(runner, made):
    result = runner.invoke(args=["requests", "export", "--since", "yesterday"])
    assert result.exit_code == 2 and "is not a date like 2026-11-01" in result.output
