"""Staff members in tests: added through the real command, set up through the real page,
signed in with real TOTP codes.

Codes come from the account's stored secret (``pyotp``), for a chosen time
step: a code once used is refused, so a test that signs in again takes the
next step (``StaffMember.code(step_offset=1)``), or moves the service's clock
(``staff_clock``) without sleeping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from app.extensions import db
from app.services.staff import accounts as staff_accounts
from app.staff_models import StaffAccount
from tests.support.security import Clock

STAFF_EMAIL = "stina.staff@jnt.fi"
STAFF_PASSWORD = "desk passphrase 2026"
SETUP_LINK = re.compile(r"https?://\S+(/staff/setup/\S+)")


@dataclass
class StaffMember:
    email: str
    password: str
    secret: str

    def code(self, at: datetime | None = None, step_offset: int = 0) -> str:
        """The code for the step of ``at`` (now by default) plus ``step_offset`` steps."""
        moment = (at or datetime.now(UTC)) + timedelta(seconds=30 * step_offset)
        return pyotp.TOTP(self.secret).at(moment)


def add_staff(app, email: str = STAFF_EMAIL) -> str:
    """``flask staff add EMAIL``; returns the set-up link's path (``/staff/setup/…``)."""
    result = app.test_cli_runner().invoke(args=["staff", "add", email])
    assert result.exit_code == 0, result.output
    match = SETUP_LINK.search(result.output)
    assert match, result.output
    return match.group(1)


def secret_of(app, email: str = STAFF_EMAIL) -> str:
    with app.app_context():
        return db.session.scalar(
            select(StaffAccount.totp_secret).where(StaffAccount.email == email)
        )


def set_up(client, path: str, member: StaffMember, at: datetime | None = None, **overrides):
    """Send the set-up form (password twice and the current code) as a staff member would."""
    data = {"password": member.password, "confirm": member.password, "code": member.code(at)}
    return client.post(path, data=data | overrides)


def staff_login(client, member: StaffMember, code: str | None = None, **overrides):
    data = {"email": member.email, "password": member.password, "code": code or member.code()}
    return client.post("/staff/login", data=data | overrides)


def enrolled(app, client, email: str = STAFF_EMAIL, at: datetime | None = None) -> StaffMember:
    """A staff member added and set up on ``client``, signed in (set-up signs in)."""
    path = add_staff(app, email)
    member = StaffMember(email, STAFF_PASSWORD, secret_of(app, email))
    response = set_up(client, path, member, at)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return member


@pytest.fixture
def staff_clock(monkeypatch) -> Clock:
    """The staff service's clock (set-up links' age, TOTP steps), moved by the test."""
    fake = Clock()
    monkeypatch.setattr(staff_accounts, "utcnow", fake)
    return fake


def make_request(app, customer_number: str, kind: str = "fault", age_days: int = 0, **fields):
    """A customer's request through the requests service; returns its reference.

    ``age_days`` moves its creation time back, for the queue's age filter.
    """
    from datetime import timedelta

    from app.columns import utcnow
    from app.models import Customer
    from app.services import requests as customer_requests

    payload = fields.pop("payload", {"service_name": "Fiber 100", "problem": "no_connection"})
    with app.app_context():
        customer = db.session.scalar(
            select(Customer).where(Customer.customer_number == customer_number)
        )
        item, _ = customer_requests.create_request(
            customer=customer,
            account=None,
            kind=customer_requests.RequestKind(kind),
            payload=payload,
            customer_text=fields.pop("text", "The light on the box is red."),
            service_id=fields.pop("service_id", None),
        )
        if age_days:
            item.created_at = utcnow() - timedelta(days=age_days)
            db.session.commit()
        return item.reference
