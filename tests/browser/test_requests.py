"""Requests in Chromium, sv and fi, at 1280 and 360 px: change the invoice delivery, report a
fault, see both in Mina ärenden (and the pending change on Egna detaljer), axe on every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_invoices import look, sign_up
from tests.support.customer_requests import (
    WORDS,
    change_invoice_delivery,
    expect_request,
    open_my_requests,
    report_fault,
    service_row,
)


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("language", ["sv", "fi"])
def test_a_customer_changes_invoice_delivery_and_reports_a_fault(
    page_factory, live_portal, language, width
):
    words = WORDS[language]
    page = page_factory(width=width, locale="fi-FI" if language == "fi" else "sv-FI")
    sign_up(page, live_portal.url, language, "anna.andersson")
    look(page, f"requests-services-{language}-{width}")

    contact = change_invoice_delivery(page, language, "100001")
    look(page, f"requests-contact-sent-{language}-{width}")
    page.go_back()  # the contact form again, with the change pending on it
    page.reload()
    expect(page.locator(".pending")).to_contain_text(contact)
    look(page, f"requests-contact-{language}-{width}")
    page.get_by_role("navigation").get_by_role("link", name=words["details"]).click()
    expect(page.locator(".pending")).to_contain_text(words["pending"])
    look(page, f"requests-details-{language}-{width}")

    fault = report_fault(page, language, "Fiber 1000", "The box shows a red light.")
    look(page, f"requests-fault-sent-{language}-{width}")

    open_my_requests(page, language)
    expect_request(page, language, contact, "contact_kind", "received")
    expect_request(page, language, fault, "fault_kind", "received")
    look(page, f"requests-mine-{language}-{width}")
    assert live_portal.csp_violations == []


def test_a_bad_fault_report_is_summarised_and_accessible(page_factory, live_portal):
    page = page_factory(width=360)
    sign_up(page, live_portal.url, "sv", "anna.andersson")
    page.goto(live_portal.url + "/account/services/500001/fault")
    look(page, "requests-fault-form-sv-360")
    page.get_by_role("button", name=WORDS["sv"]["send_fault"]).click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Välj vad som är fel.")
    expect(summary).to_be_focused()
    look(page, "requests-fault-errors-sv-360")


def test_changing_a_service_shows_the_cost_then_confirms(page_factory, live_portal):
    page = page_factory(width=1280, locale="fi-FI")
    sign_up(page, live_portal.url, "fi", "anna.andersson")
    service_row(page, "Fiber 1000").get_by_role(
        "link", name=re.compile(WORDS["fi"]["change"])
    ).click()
    page.get_by_label("Vaihtaa toiseen tuotteeseen").check()
    page.get_by_label("Kuitu 250").check()
    look(page, "requests-change-fi-1280")
    page.get_by_role("button", name="Jatka yhteenvetoon").click()
    expect(page.get_by_text("36,90 € kuukaudessa")).to_be_visible()
    look(page, "requests-change-summary-fi-1280")
    page.get_by_role("button", name="Vahvista ja lähetä").click()
    expect(page.locator(".box--done")).to_contain_text(WORDS["fi"]["reference"])
