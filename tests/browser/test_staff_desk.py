"""The customer service desk in Chromium, sv and fi, at 1280 and 360 px: a staff member
sets up the account from the link (QR code and key), logs in with password and code,
opens a fault report from the queue, marks it done with a note, and looks up a customer;
axe-core on every page, no CSP violation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_invoices import look
from tests.support.staff import (
    DESK_WORDS,
    browser_login,
    browser_set_status,
    browser_set_up,
    make_request,
)


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("language", ["sv", "fi"])
def test_set_up_log_in_and_mark_a_fault_done(page_factory, live_portal, language, width):
    words = DESK_WORDS[language]
    app, url = live_portal.app, live_portal.url
    reference = make_request(app, "100003", text="Ingen bild sedan måndag.")
    page = page_factory(width=width, height=900, locale="fi-FI" if language == "fi" else "sv-FI")

    def looked_at(page, name):
        look(page, f"{name}-{language}-{width}")

    member = browser_set_up(page, url, app, language, looked_at)
    page.get_by_role("button", name=words["logout"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["desk"])
    looked_at(page, "staff-login")
    browser_login(page, url, member, language)
    expect(page.get_by_role("link", name=reference)).to_be_visible()
    looked_at(page, "staff-queue")

    browser_set_status(page, reference, language, "Tekniker bytte fiberboxen.", looked_at)
    expect(page.get_by_text("Ingen bild sedan måndag.")).to_be_visible()
    expect(page.get_by_text("Tekniker bytte fiberboxen.").first).to_be_visible()
    looked_at(page, "staff-request-saved")

    page.get_by_role("navigation").get_by_role("link", name=words["lookup"]).click()
    page.get_by_label(words["query"]).fill("100001")
    page.get_by_role("button", name=words["search"], exact=True).click()
    expect(page.get_by_text("Anna Andersson").first).to_be_visible()
    expect(page.get_by_text(re.compile(r"\d{6}-\*{4}"))).to_be_visible()
    looked_at(page, "staff-lookup")
    assert live_portal.csp_violations == []
