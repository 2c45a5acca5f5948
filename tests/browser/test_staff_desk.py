"""The customer service desk in Chromium, sv and fi, at 1280 and 360 px: a staff member
sets up the account from the link (QR code and key), logs in with password and code,
opens a fault report from the queue, marks it done with a note, and looks up a customer;
axe-core on every page, no CSP violation."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.browser.test_invoices import look
from tests.support.staff import (
    STAFF_EMAIL,
    STAFF_PASSWORD,
    StaffMember,
    add_staff,
    make_request,
    secret_of,
)

WORDS = {
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


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("language", ["sv", "fi"])
def test_set_up_log_in_and_mark_a_fault_done(page_factory, live_portal, language, width):
    words = WORDS[language]
    app, url = live_portal.app, live_portal.url
    reference = make_request(app, "100003", text="Ingen bild sedan måndag.")
    path = add_staff(app)
    member = StaffMember(STAFF_EMAIL, STAFF_PASSWORD, secret_of(app))
    page = page_factory(width=width, height=900, locale="fi-FI" if language == "fi" else "sv-FI")

    page.goto(url + path)
    expect(page.get_by_role("heading", level=1)).to_have_text(words["setup"])
    expect(page.get_by_role("img")).to_have_attribute("src", re.compile("^data:image/svg"))
    look(page, f"staff-setup-{language}-{width}")
    page.get_by_label(words["password"], exact=True).fill(member.password)
    page.get_by_label(words["repeat"]).fill(member.password)
    now = datetime.now(UTC)
    page.get_by_label(words["code"]).fill(member.code(now))
    page.get_by_role("button", name=words["save_setup"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["desk"])

    page.get_by_role("button", name=words["logout"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["desk"])
    look(page, f"staff-login-{language}-{width}")
    page.get_by_label(words["email"]).fill(member.email)
    page.get_by_label(words["password"], exact=True).fill(member.password)
    page.get_by_label(words["code"]).fill(member.code(now, step_offset=1))  # a code not yet used
    page.get_by_role("button", name=words["login"]).click()
    expect(page.get_by_role("link", name=reference)).to_be_visible()
    look(page, f"staff-queue-{language}-{width}")

    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{words['number']} {reference}")
    expect(page.get_by_text("Ingen bild sedan måndag.")).to_be_visible()
    page.get_by_label(words["status"]).select_option(label=words["done"])
    page.get_by_label(words["note"]).fill("Tekniker bytte fiberboxen.")
    look(page, f"staff-request-{language}-{width}")
    page.get_by_role("button", name=words["save"]).click()
    expect(page.get_by_role("status").filter(has_text=words["saved"])).to_be_visible()
    look(page, f"staff-request-saved-{language}-{width}")

    page.get_by_role("navigation").get_by_role("link", name=words["lookup"]).click()
    page.get_by_label(words["query"]).fill("100001")
    page.get_by_role("button", name=words["search"], exact=True).click()
    expect(page.get_by_text("Anna Andersson").first).to_be_visible()
    look(page, f"staff-lookup-{language}-{width}")
    assert live_portal.csp_violations == []
