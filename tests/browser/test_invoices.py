"""Fakturor in Chromium: the list and an open invoice, sv and fi, at 1280 and 360 px."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.services.invoices.demo import write_demo_invoices
from app.services.invoices.importer import import_invoices
from tests.browser.conftest import assert_accessible, assert_no_horizontal_scroll
from tests.browser.test_walk import LABELS

WORDS = {
    "sv": {"invoices": "Fakturor", "payment": "Betalningsuppgifter", "copy": "Kopiera koden",
           "copied": "Kopierad", "overdue": "Förfallen"},
    "fi": {"invoices": "Laskut", "payment": "Maksutiedot", "copy": "Kopioi koodi",
           "copied": "Kopioitu", "overdue": "Erääntynyt"},
}  # fmt: skip
#: Set SELFIE_SCREENSHOTS=DIR to keep a screenshot of each page looked at.
SCREENSHOTS = os.environ.get("SELFIE_SCREENSHOTS")


def sign_up(page, url: str, language: str, person: str) -> None:
    words = LABELS[language]
    page.goto(url + "/terms/")
    page.get_by_role("button", name=words["accept"]).click()
    page.get_by_role("button", name=words["bank"]).click()
    page.get_by_role("button", name=f"Authorize as {person}").click()
    page.get_by_label(words["username"]).fill(f"{person}@example.fi")
    page.get_by_label(words["password"], exact=True).fill("a long enough passphrase")
    page.get_by_label(words["repeat"]).fill("a long enough passphrase")
    page.get_by_role("button", name=words["submit"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["services"])


def look(page, name: str) -> None:
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


@pytest.fixture
def with_invoices(live_portal, tmp_path):
    with live_portal.app.app_context():
        import_invoices(*write_demo_invoices(tmp_path / "invoices"))
    return live_portal


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("language", ["sv", "fi"])
def test_the_invoice_list_and_an_open_invoice(page_factory, with_invoices, language, width):
    words = WORDS[language]
    page = page_factory(width=width, height=900, locale="fi-FI" if language == "fi" else "sv-FI")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_up(page, with_invoices.url, language, "anna.andersson")
    expect(page.get_by_role("link", name=re.compile("2026001003"))).to_be_visible()  # summary
    look(page, f"services-{language}-{width}")
    page.get_by_role("navigation").get_by_role("link", name=words["invoices"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["invoices"])
    expect(page.get_by_role("link", name="2026001002")).to_be_visible()
    look(page, f"invoices-{language}-{width}")
    page.get_by_role("link", name="2026001002").click()
    expect(page.get_by_role("heading", name=words["payment"])).to_be_visible()
    code = page.locator("#barcode")
    expect(code).to_have_text(re.compile(r"^4\d{53}$"))
    expect(page.get_by_text(re.compile(r"1\s234,50\s€")).first).to_be_visible()
    look(page, f"invoice-{language}-{width}")
    page.get_by_role("button", name=words["copy"]).click()
    expect(page.get_by_role("status").filter(has_text=words["copied"])).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == code.text_content()
    assert with_invoices.csp_violations == []


def test_the_code_is_selectable_text_without_javascript(browser, with_invoices):
    context = browser.new_context(java_script_enabled=False, locale="sv-FI")
    try:
        page = context.new_page()
        sign_up(page, with_invoices.url, "sv", "matti.virtanen")
        page.goto(with_invoices.url + "/account/invoices/2026001005")
        expect(page.get_by_text(WORDS["sv"]["overdue"]).first).to_be_visible()
        expect(page.locator("#barcode")).to_have_text(re.compile(r"^4\d{47}000000$"))
        expect(page.get_by_role("button", name=WORDS["sv"]["copy"])).to_be_hidden()
    finally:
        context.close()
