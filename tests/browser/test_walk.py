"""The twelve published steps, walked in Chromium in each language, with axe-core on every page.

Step numbers refer to shared/seed/selfie-registration-instructions-sv.txt.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, assert_no_horizontal_scroll

LABELS = {
    "sv": {
        "switch": "Svenska", "login": "Logga in", "create": "Skapa ett användarnamn",
        "box": "Nytt användarnamn", "read": "Läs och godkänn användarvillkoren",
        "accept": "Acceptera användarvillkoren", "accepted": "Användarvillkor godkända",
        "choose": "Välj autentiseringsmetod", "bank": "Bankkoder", "mobile": "Mobilcertifikat",
        "username": "Användarnamn (e-postadress)", "password": "Lösenord",
        "repeat": "Upprepa lösenordet", "submit": "Skapa ett nytt konto",
        "done": "Nu har du skapat ett användarnamn i Selfie och kan administrera dina tjänster",
        "services": "Egna tjänster", "details": "Egna detaljer", "logout": "Logga ut",
    },
    "fi": {
        "switch": "Suomi", "login": "Kirjaudu sisään", "create": "Luo käyttäjätunnus",
        "box": "Uusi käyttäjätunnus", "read": "Lue ja hyväksy käyttöehdot",
        "accept": "Hyväksy käyttöehdot", "accepted": "Käyttöehdot hyväksytty",
        "choose": "Valitse tunnistautumistapa", "bank": "Pankkitunnukset",
        "mobile": "Mobiilivarmenne",
        "username": "Käyttäjätunnus (sähköpostiosoite)", "password": "Salasana",
        "repeat": "Toista salasana", "submit": "Luo uusi tili",
        "done": "Olet nyt luonut käyttäjätunnuksen Selfieen",
        "services": "Omat palvelut", "details": "Omat tiedot", "logout": "Kirjaudu ulos",
    },
    "en": {
        "switch": "English", "login": "Log in", "create": "Create a username",
        "box": "New username", "read": "Read and accept the terms of use",
        "accept": "Accept the terms of use", "accepted": "Terms of use accepted",
        "choose": "Choose an identification method", "bank": "Online banking codes",
        "mobile": "Mobile certificate", "username": "Username (e-mail address)",
        "password": "Password", "repeat": "Repeat the password", "submit": "Create a new account",
        "done": "You have now created a username in Selfie and can administer your services",
        "services": "My services", "details": "My details", "logout": "Log out",
    },
}  # fmt: skip


@pytest.mark.parametrize("language", ["sv", "fi", "en"])
def test_the_twelve_published_steps(page_factory, live_portal, language):
    words = LABELS[language]
    # A Finnish browser for the Swedish walk (and vice versa): step 2 must do the switching.
    page = page_factory(locale="fi-FI" if language == "sv" else "sv-FI")

    # 1. Go to the portal's address.
    page.goto(live_portal.url + "/")
    assert_accessible(page)
    # 2. Choose the language in the top-right corner.
    page.get_by_role("navigation", name=re.compile(".")).first.get_by_role(
        "button", name=words["switch"]
    ).click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    # 3. Press "Logga in".
    page.get_by_role("banner").get_by_role("link", name=words["login"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["login"])
    assert_accessible(page)
    # 4. At the bottom of the page, press "Skapa ett användarnamn".
    page.get_by_role("link", name=words["create"]).click()
    # 5. Box "Nytt användarnamn"; press "Läs och godkänn användarvillkoren".
    expect(page.get_by_role("heading", name=words["box"])).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=words["read"]).click()
    # 6. Scroll through the terms and press "Acceptera användarvillkoren".
    terms = page.locator(".terms-text")
    terms.evaluate("element => element.scrollTo(0, element.scrollHeight)")
    assert_accessible(page)
    page.get_by_role("button", name=words["accept"]).click()
    # 7. The box now reads "Användarvillkor godkända".
    expect(page.get_by_role("heading", name=words["accepted"])).to_be_visible()
    # 8. Choose the identification method.
    expect(page.get_by_role("heading", name=words["choose"])).to_be_visible()
    expect(page.get_by_role("button", name=words["mobile"])).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name=words["bank"]).click()
    # 9. The chosen method's page: identify as a demo person.
    page.get_by_role("button", name="Authorize as anna.andersson").click()
    # 10. Choose the username (an e-mail address) and a password.
    expect(page.get_by_label(words["username"])).to_be_visible()
    assert_accessible(page)
    page.get_by_label(words["username"]).fill("anna@example.fi")
    page.get_by_label(words["password"], exact=True).fill("Åsa går över ån i maj")
    page.get_by_label(words["repeat"]).fill("Åsa går över ån i maj")
    # 11. Press "Skapa ett nytt konto".
    page.get_by_role("button", name=words["submit"]).click()
    # 12. The username exists and the services can be administered.
    expect(page.get_by_role("status")).to_contain_text(words["done"])
    expect(page.get_by_role("heading", level=1)).to_have_text(words["services"])
    expect(page.get_by_role("heading", name=re.compile("100001"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("100002"))).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=words["details"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["details"])
    expect(page.get_by_text("150385-****").first).to_be_visible()
    assert_accessible(page)
    page.get_by_role("banner").get_by_role("button", name=words["logout"], exact=True).click()
    expect(page.get_by_role("banner").get_by_role("link", name=words["login"])).to_be_visible()
    assert live_portal.csp_violations == []


def test_a_failed_form_is_summarised_and_accessible(page_factory, live_portal):
    page = page_factory(locale="en-GB")
    page.goto(live_portal.url + "/login")
    page.get_by_role("button", name="Log in").last.click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link").first).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize("language", ["sv", "fi"])
def test_the_error_situations_read_well_on_a_narrow_phone(page_factory, live_portal, language):
    """Pekka is unknown to the operator: the explanation, at 360 px, without sideways scrolling."""
    words = LABELS[language]
    page = page_factory(width=360, height=780, locale="fi-FI" if language == "fi" else "sv-FI")
    page.goto(live_portal.url + "/register/")
    assert_no_horizontal_scroll(page)
    page.get_by_role("link", name=words["read"]).click()
    assert_no_horizontal_scroll(page)
    page.get_by_role("button", name=words["accept"]).click()
    page.get_by_role("button", name=words["mobile"]).click()
    page.get_by_role("button", name="Authorize as pekka.korhonen").click()
    page.get_by_label(words["username"]).fill("pekka@example.fi")
    page.get_by_label(words["password"], exact=True).fill("a long enough passphrase")
    page.get_by_label(words["repeat"]).fill("a long enough passphrase")
    assert_no_horizontal_scroll(page)
    page.get_by_role("button", name=words["submit"]).click()
    expect(page.get_by_role("link", name="06 786 8222").first).to_be_visible()
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    page.get_by_role("link", name=words["details"]).click()
    assert_no_horizontal_scroll(page)
    assert_accessible(page)


def test_account_services_fit_a_narrow_phone(page_factory, live_portal):
    """Matti has several services in a table: it must reflow at 360 px."""
    page = page_factory(width=360, height=780)
    page.goto(live_portal.url + "/terms/")
    page.get_by_role("button", name=LABELS["sv"]["accept"]).click()
    page.get_by_role("button", name=LABELS["sv"]["bank"]).click()
    page.get_by_role("button", name="Authorize as matti.virtanen").click()
    page.get_by_label(LABELS["sv"]["username"]).fill("matti@example.fi")
    page.get_by_label(LABELS["sv"]["password"], exact=True).fill("a long enough passphrase")
    page.get_by_label(LABELS["sv"]["repeat"]).fill("a long enough passphrase")
    page.get_by_role("button", name=LABELS["sv"]["submit"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(LABELS["sv"]["services"])
    assert_no_horizontal_scroll(page)
    assert_accessible(page)


def test_the_password_can_be_shown_while_typing(page_factory, live_portal):
    page = page_factory(locale="en-GB")
    page.goto(live_portal.url + "/login")
    password = page.get_by_label("Password", exact=True)
    password.fill("my secret words")
    expect(password).to_have_attribute("type", "password")
    page.get_by_role("button", name="Show password").click()
    expect(password).to_have_attribute("type", "text")
    page.get_by_role("button", name="Hide password").click()
    expect(password).to_have_attribute("type", "password")
    assert_accessible(page)
    assert live_portal.csp_violations == []


def test_every_step_works_without_javascript(browser, live_portal):
    """The published steps need no script: a browser with JavaScript off gets through."""
    context = browser.new_context(java_script_enabled=False, locale="sv-FI")
    context.set_default_timeout(10_000)
    page = context.new_page()
    words = LABELS["sv"]
    page.goto(live_portal.url + "/register/")
    page.get_by_role("link", name=words["read"]).click()
    page.get_by_role("button", name=words["accept"]).click()
    page.get_by_role("button", name=words["bank"]).click()
    page.get_by_role("button", name="Authorize as sofia.nyman").click()
    page.get_by_label(words["username"]).fill("sofia@example.fi")
    page.get_by_label(words["password"], exact=True).fill("a long enough passphrase")
    page.get_by_label(words["repeat"]).fill("a long enough passphrase")
    expect(page.get_by_role("button", name="Visa lösenordet")).to_have_count(0)
    page.get_by_role("button", name=words["submit"]).click()
    expect(page.get_by_role("status")).to_contain_text(words["done"])
    page.get_by_role("button", name="Suomi").click()
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    context.close()


def test_chromium_receives_the_security_headers_and_reports_no_csp_violation(
    page_factory, live_portal
):
    page = page_factory(locale="fi-FI")
    for path in ("/", "/login", "/register/", "/terms/", "/does-not-exist"):
        response = page.goto(live_portal.url + path)
        headers = response.headers
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert "camera=()" in headers["permissions-policy"]
    page.goto(live_portal.url + "/login")
    page.get_by_role("button", name="Näytä salasana").click()  # the script ran under the CSP
    assert live_portal.csp_violations == []
