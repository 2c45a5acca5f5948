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
from tests.conftest import CSRF_PATTERN
from tests.support.security import Clock

#: The desk's POST routes and its pages that answer GET and POST (the CSRF tables in
#: tests/security/test_v4_access_control.py add these; tests/staff covers their tokens).
STAFF_STATE_CHANGING = [
    "/staff/login",
    "/staff/logout",
    "/staff/setup/<token>",
    "/staff/lookup",
    "/staff/requests/<reference>/status",
]
STAFF_FORM_PAGES = {"staff.login", "staff.setup", "staff.lookup"}
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


def with_token(client, page: str, data: dict) -> dict:
    """``data`` and the CSRF token of the form on ``page``, as a browser sends them."""
    html = client.get(page).get_data(as_text=True)
    match = CSRF_PATTERN.search(html)
    return data | ({"csrf_token": match.group(1)} if match else {})


def set_up(client, path: str, member: StaffMember, at: datetime | None = None, **overrides):
    """Send the set-up form (password twice and the current code) as a staff member would."""
    data = {"password": member.password, "confirm": member.password, "code": member.code(at)}
    return client.post(path, data=with_token(client, path, data | overrides))


def staff_login(client, member: StaffMember, code: str | None = None, **overrides):
    data = {"email": member.email, "password": member.password, "code": code or member.code()}
    return client.post("/staff/login", data=with_token(client, "/staff/login", data | overrides))


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


# -- in a real browser (Playwright) ---------------------------------------------------------------
#: The desk's labels in Swedish and Finnish, as the browser walks find them.
DESK_WORDS = {
    "sv": {"desk": "Kundtjänstens skrivbord", "setup": "Ta i bruk ditt personalkonto",
           "password": "Lösenord", "repeat": "Upprepa lösenordet",
           "code": "Kod från autentiseringsappen",
           "save_setup": "Spara och fortsätt till skrivbordet",
           "email": "E-postadress", "login": "Logga in", "logout": "Logga ut",
           "status": "Ny status", "done": "Klar", "note": "Meddelande till kunden",
           "save": "Spara statusen", "saved": "Statusen är sparad.", "lookup": "Sök en kund",
           "query": "Kundnummer eller användarnamn", "search": "Sök", "number": "Ärendenummer"},
    "fi": {"desk": "Asiakaspalvelun työpöytä", "setup": "Ota henkilökunnan tilisi käyttöön",
           "password": "Salasana", "repeat": "Toista salasana",
           "code": "Koodi todennussovelluksesta",
           "save_setup": "Tallenna ja jatka työpöydälle",
           "email": "Sähköpostiosoite", "login": "Kirjaudu sisään", "logout": "Kirjaudu ulos",
           "status": "Uusi tila", "done": "Valmis", "note": "Viesti asiakkaalle",
           "save": "Tallenna tila", "saved": "Tila on tallennettu.", "lookup": "Hae asiakas",
           "query": "Asiakasnumero tai käyttäjätunnus", "search": "Hae", "number": "Asian numero"},
}  # fmt: skip


def browser_set_up(page, base_url: str, app, language: str, look=None) -> StaffMember:
    """``staff add``, then the set-up page in the browser; leaves it on the desk, signed in.

    ``look(page, name)`` (axe, screenshots) is called on the set-up page when given.
    """
    from playwright.sync_api import expect

    words = DESK_WORDS[language]
    path = add_staff(app)
    member = StaffMember(STAFF_EMAIL, STAFF_PASSWORD, secret_of(app))
    page.goto(base_url + path)
    expect(page.get_by_role("heading", level=1)).to_have_text(words["setup"])
    if look:
        look(page, "staff-setup")
    page.get_by_label(words["password"], exact=True).fill(member.password)
    page.get_by_label(words["repeat"]).fill(member.password)
    page.get_by_label(words["code"]).fill(member.code())
    page.get_by_role("button", name=words["save_setup"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["desk"])
    return member


def browser_login(page, base_url: str, member: StaffMember, language: str, steps_on: int = 1):
    """Log in at /staff/login with a code ``steps_on`` steps after now (one not yet used)."""
    from playwright.sync_api import expect

    words = DESK_WORDS[language]
    page.goto(base_url + "/staff/login")
    page.get_by_label(words["email"]).fill(member.email)
    page.get_by_label(words["password"], exact=True).fill(member.password)
    page.get_by_label(words["code"]).fill(member.code(step_offset=steps_on))
    page.get_by_role("button", name=words["login"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["desk"])


def browser_set_status(page, reference: str, language: str, note: str, look=None) -> None:
    """From the queue: open ``reference``, mark it done with ``note``, see it saved."""
    from playwright.sync_api import expect

    words = DESK_WORDS[language]
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{words['number']} {reference}")
    page.get_by_label(words["status"]).select_option(label=words["done"])
    page.get_by_label(words["note"]).fill(note)
    if look:
        look(page, "staff-request")
    page.get_by_role("button", name=words["save"]).click()
    expect(page.get_by_role("status").filter(has_text=words["saved"])).to_be_visible()
