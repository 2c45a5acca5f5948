"""The database keeps its own rules (check constraints), on SQLite and on PostgreSQL.

Each bad value is written past the import, straight into the table, and the
database must refuse it; every value the code knows must still be accepted,
so a new enum member without a migration fails here.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.extensions import db
from app.models import AuditEventName, ServiceKind, ServiceStatus
from tests.support.backends import BACKENDS, app_on_backend

CUSTOMER = (
    "INSERT INTO customers (id, customer_number, name, street_address, postal_code, city, "
    "email, phone, updated_at) VALUES (1, '100001', 'Anna', 'Storgatan 1', '65100', 'Vasa', "
    "'', '', CURRENT_TIMESTAMP)"
)
SERVICE = (
    "INSERT INTO services (service_id, customer_id, kind, name, details, address, start_date, "
    "monthly_price, status) VALUES (:service_id, 1, :kind, 'Fiber', '', 'Storgatan 1', "
    "'2020-01-01', :price, :status)"
)
EVENT = (
    "INSERT INTO audit_events (occurred_at, event, username, client_ip, user_agent, detail) "
    "VALUES (CURRENT_TIMESTAMP, :event, '', '', '', '')"
)
GOOD_SERVICE = {"kind": "broadband", "status": "active", "price": "29.90"}


@pytest.fixture(params=BACKENDS)
def any_app(request, settings):
    """The portal, migrated, on SQLite or on a fresh PostgreSQL database, with a customer."""
    for application in app_on_backend(request, settings):
        with application.app_context():
            db.session.execute(sa.text(CUSTOMER))
            db.session.commit()
        yield application


def write(app, statement: str, **values) -> bool:
    """Whether the database took the row (a refused row leaves nothing behind)."""
    with app.app_context():
        try:
            db.session.execute(sa.text(statement), values)
            db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()
            return False
        return True


@pytest.mark.parametrize(
    "bad",
    [{"kind": "radio"}, {"kind": "TV"}, {"status": "paused"}, {"price": "-0.01"}],
    ids=["unknown kind", "kind in capitals", "unknown status", "negative price"],
)
def test_the_database_refuses_a_bad_service(any_app, bad):
    assert not write(any_app, SERVICE, service_id="500001", **(GOOD_SERVICE | bad))
    with any_app.app_context():
        assert db.session.scalar(sa.text("SELECT count(*) FROM services")) == 0


def test_the_database_accepts_every_kind_and_status_the_code_knows(any_app):
    pairs = [(k, s) for k in ServiceKind for s in ServiceStatus]
    for index, (kind, status) in enumerate(pairs):
        row = GOOD_SERVICE | {"kind": kind.value, "status": status.value, "price": "0"}
        assert write(any_app, SERVICE, service_id=str(index), **row), (kind, status)


def test_the_database_refuses_an_unknown_audit_event(any_app):
    assert not write(any_app, EVENT, event="login_maybe")


def test_the_database_accepts_every_audit_event_the_code_knows(any_app):
    for name in AuditEventName:
        assert write(any_app, EVENT, event=name.value), name


def test_the_checks_migration_goes_down_and_up_again(app):
    """Down: the bad row is taken; up again: refused once more (SQLite batch mode)."""
    with app.app_context():
        db.session.execute(sa.text(CUSTOMER))
        db.session.commit()
        downgrade(revision="51d1e8205b4e")
    assert write(app, SERVICE, service_id="1", **(GOOD_SERVICE | {"kind": "radio"}))
    with app.app_context():
        db.session.execute(sa.text("DELETE FROM services"))
        db.session.commit()
        upgrade()
    assert not write(app, SERVICE, service_id="2", **(GOOD_SERVICE | {"kind": "radio"}))


REQUEST = (
    "INSERT INTO requests (reference, customer_id, kind, status, payload, customer_text, "
    "status_note, created_at, updated_at) VALUES (:reference, 1, :kind, :status, '{}', '', '', "
    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
)


@pytest.mark.parametrize("bad", [{"kind": "complaint"}, {"status": "closed"}])
def test_the_database_refuses_a_request_of_unknown_kind_or_status(any_app, bad):
    row = {"reference": "123456782", "kind": "fault", "status": "received"} | bad
    assert not write(any_app, REQUEST, **row)


def test_the_database_accepts_every_request_kind_and_status_the_code_knows(any_app):
    from app.request_models import RequestKind, RequestStatus

    pairs = [(k, s) for k in RequestKind for s in RequestStatus]
    for index, (kind, status) in enumerate(pairs):
        row = {"reference": str(100000000 + index), "kind": kind.value, "status": status.value}
        assert write(any_app, REQUEST, **row), (kind, status)
