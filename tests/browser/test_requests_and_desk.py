"""The issue's whole walk in Chromium, sv and fi, at 1280 and 360 px: a customer changes the
invoice delivery and reports a fault and sees both in Mina ärenden; a staff member (another
browser) marks the fault done with a note; the customer sees it done, with the note. axe on
every page, no CSP violation."""

from __future__ import annotations

import pytest

from tests.browser.test_invoices import look, sign_up
from tests.support.customer_requests import (
    change_invoice_delivery,
    expect_request,
    open_my_requests,
    report_fault,
)
from tests.support.staff import browser_set_status, browser_set_up

NOTE = {"sv": "Teknikern bytte fiberboxen.", "fi": "Asentaja vaihtoi kuiturasian."}


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("language", ["sv", "fi"])
def test_the_customer_sees_what_customer_service_did(page_factory, live_portal, language, width):
    url, locale = live_portal.url, "fi-FI" if language == "fi" else "sv-FI"
    customer = page_factory(width=width, locale=locale)
    sign_up(customer, url, language, "anna.andersson")
    contact = change_invoice_delivery(customer, language, "100001")
    fault = report_fault(customer, language, "Fiber 1000", "The box shows a red light.")
    open_my_requests(customer, language)
    expect_request(customer, language, contact, "contact_kind", "received")
    expect_request(customer, language, fault, "fault_kind", "received")

    staff = page_factory(width=width, locale=locale)
    browser_set_up(staff, url, live_portal.app, language)
    look(staff, f"walk-desk-{language}-{width}")
    browser_set_status(staff, fault, language, NOTE[language])

    customer.reload()
    expect_request(customer, language, fault, "fault_kind", "done", NOTE[language])
    expect_request(customer, language, contact, "contact_kind", "received")
    look(customer, f"walk-mine-{language}-{width}")
    assert live_portal.csp_violations == []
