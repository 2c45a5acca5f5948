"""A customer's requests in a real browser (Playwright): the steps the browser walks share.

Each helper starts from any signed-in page and leaves the browser on the page it
names, with the published labels of ``WORDS`` in Swedish or Finnish. The staff
desk's walk (a staff member marks the fault done) continues with
``open_my_requests`` and ``expect_request`` to see what the customer sees.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

WORDS = {
    "sv": {
        "services": "Egna tjänster", "details": "Egna detaljer", "requests": "Mina ärenden",
        "fault": "Felanmälan", "change": "Ändra tjänsten", "reference": "Ärendenummer",
        "contact_link": "Ändra kontaktuppgifter och fakturering",
        "paper": "Pappersfaktura per post", "send_change": "Skicka ändringen",
        "no_connection": "Ingen förbindelse alls", "description": "Beskriv problemet",
        "phone": "Telefonnummer för återuppringning", "morning": "På förmiddagen (8–12)",
        "send_fault": "Skicka felanmälan", "fault_kind": "Felanmälan",
        "contact_kind": "Kontaktuppgifter", "pending": "väntar på kundtjänst",
        "received": "Mottagen", "in_progress": "Under behandling", "done": "Klar",
        "rejected": "Avvisad", "cancelled": "Annullerad",
    },
    "fi": {
        "services": "Omat palvelut", "details": "Omat tiedot", "requests": "Omat asiat",
        "fault": "Vikailmoitus", "change": "Muuta palvelua", "reference": "Asian numero",
        "contact_link": "Muuta yhteystietoja ja laskutustapaa",
        "paper": "Paperilasku postitse", "send_change": "Lähetä muutos",
        "no_connection": "Yhteys ei toimi lainkaan", "description": "Kuvaile ongelmaa",
        "phone": "Puhelinnumero takaisinsoittoa varten", "morning": "Aamupäivällä (8–12)",
        "send_fault": "Lähetä vikailmoitus", "fault_kind": "Vikailmoitus",
        "contact_kind": "Yhteystiedot", "pending": "ei ole vielä käsitellyt",
        "received": "Vastaanotettu", "in_progress": "Käsittelyssä", "done": "Valmis",
        "rejected": "Hylätty", "cancelled": "Peruttu",
    },
}  # fmt: skip
REFERENCE = re.compile(r"\d{9}")


def _navigate(page: Page, label: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name=label, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(label)


def shown_reference(page: Page, language: str) -> str:
    """The request number on a request's own page, after the published label."""
    box = page.locator(".box--done")
    expect(box).to_contain_text(WORDS[language]["reference"])
    return REFERENCE.search(box.locator(".request-reference").inner_text()).group(0)


def service_row(page: Page, service_name: str):
    """The row of Egna tjänster whose service link is exactly ``service_name``."""
    name = page.get_by_role("link", name=service_name, exact=True)
    return page.get_by_role("row").filter(has=name)


def report_fault(page: Page, language: str, service_name: str, text: str) -> str:
    """Felanmälan from the service's row of Egna tjänster; returns the request number."""
    words = WORDS[language]
    _navigate(page, words["services"])
    service_row(page, service_name).get_by_role("link", name=re.compile(words["fault"])).click()
    page.get_by_label(words["no_connection"]).check()
    page.get_by_label(words["description"]).fill(text)
    page.get_by_label(words["phone"]).fill("050 123 4567")
    page.get_by_label(words["morning"]).check()
    page.get_by_role("button", name=words["send_fault"]).click()
    return shown_reference(page, language)


def change_invoice_delivery(page: Page, language: str, customer_number: str) -> str:
    """Paper invoices for ``customer_number`` from its card on Egna detaljer; returns the
    request number, and leaves the browser on the request's page."""
    words = WORDS[language]
    _navigate(page, words["details"])
    card = page.locator("section.card").filter(
        has=page.get_by_role("heading", name=customer_number)
    )
    card.get_by_role("link", name=words["contact_link"]).click()
    page.get_by_label(words["paper"]).check()
    page.get_by_role("button", name=words["send_change"]).click()
    return shown_reference(page, language)


def open_my_requests(page: Page, language: str) -> None:
    _navigate(page, WORDS[language]["requests"])


def expect_request(page: Page, language: str, reference: str, kind: str, status: str,
                   note: str | None = None) -> None:  # fmt: skip
    """On Mina ärenden: the request's row shows its kind (``fault_kind``, ``contact_kind``),
    its status (``received``, ``done``…) and, when given, customer service's note."""
    words = WORDS[language]
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=reference))
    expect(row).to_contain_text(words[kind])
    expect(row.locator(".request-status")).to_have_text(words[status])
    if note is not None:
        expect(row).to_contain_text(note)
