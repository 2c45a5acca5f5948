"""The domain rules of each request kind, as plain functions the forms and tests share.

Phone numbers are checked and normalised with ``phonenumbers`` (Finnish
numbers may be typed nationally, ``050 123 4567``; others need their country
code) and stored in E.164 (``+358501234567``). A contact-details request keeps
only the fields it changes, so it counts as carried out once the register
(the next import) holds every one of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from app.models import Customer, ServiceKind
from app.request_models import Request, RequestKind
from app.services.requests.service import open_requests

INVOICE_DELIVERY = ("e_invoice", "email", "paper")
CALLBACK_TIMES = ("any", "morning", "afternoon")
#: What can be wrong, per kind of service; "other" asks for the customer's own words.
FAULT_PROBLEMS: dict[ServiceKind, tuple[str, ...]] = {
    ServiceKind.BROADBAND: ("no_connection", "slow", "wifi", "other"),
    ServiceKind.TV: ("no_picture", "picture_breaks", "channels_missing", "other"),
    ServiceKind.PHONE: ("no_dial_tone", "calls_fail", "poor_sound", "other"),
    ServiceKind.IT: ("cannot_log_in", "email", "security", "other"),
}
_MOBILE = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


class InvalidPhone(ValueError):
    """Not a phone number (``mobile_only``: not a mobile number either)."""


def normalise_phone(text: str, *, mobile_only: bool = False) -> str:
    """``050 123 4567`` → ``+358501234567``; raises ``InvalidPhone``."""
    try:
        number = phonenumbers.parse(text.strip(), "FI")
    except phonenumbers.NumberParseException as error:
        raise InvalidPhone(text) from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(text)
    if mobile_only and phonenumbers.number_type(number) not in _MOBILE:
        raise InvalidPhone(text)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """Finnish numbers as Finns write them (``050 1234567``), others internationally."""
    try:
        number = phonenumbers.parse(e164, "FI")
    except phonenumbers.NumberParseException:
        return e164
    national = number.country_code == 358
    return phonenumbers.format_number(
        number, PhoneNumberFormat.NATIONAL if national else PhoneNumberFormat.INTERNATIONAL
    )


def _same_phone(register_value: str, e164: str) -> bool:
    try:
        return normalise_phone(register_value) == e164
    except InvalidPhone:
        return False


def contact_changes(
    customer: Customer, *, email: str, phone: str, invoice_delivery: str
) -> dict[str, str]:
    """The fields that differ from the register: the payload of a contact-details request.

    ``phone`` is already normalised (E.164) or empty; an empty field keeps what
    the register has; ``invoice_delivery`` is not in the register, so any
    choice is a change.
    """
    changes = {}
    if email and email.casefold() != customer.email.casefold():
        changes["email"] = email
    if phone and not _same_phone(customer.phone, phone):
        changes["phone"] = phone
    if invoice_delivery:
        changes["invoice_delivery"] = invoice_delivery
    return changes


def carried_by_register(item: Request, customer: Customer) -> bool:
    """Whether the register already holds every change the request asks for."""
    payload = item.payload
    if "invoice_delivery" in payload:
        return False
    if "email" in payload and payload["email"].casefold() != customer.email.casefold():
        return False
    return "phone" not in payload or _same_phone(customer.phone, payload["phone"])


def pending_contact_changes(customers: Iterable[Customer]) -> dict[int, list[Request]]:
    """Per customer id, the contact-details requests still pending (one query): open,
    and not yet carried by a register import."""
    by_id = {customer.id: customer for customer in customers}
    pending: dict[int, list[Request]] = {}
    for item in open_requests(list(by_id), RequestKind.CONTACT_DETAILS):
        if not carried_by_register(item, by_id[item.customer_id]):
            pending.setdefault(item.customer_id, []).append(item)
    return pending


def earliest_end_date(today: date, notice_days: int) -> date:
    """The first day a service may end: the notice period counted from today."""
    return today + timedelta(days=notice_days)
