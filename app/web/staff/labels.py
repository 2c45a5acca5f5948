"""What staff read for the requests' codes: the same words (and msgids) as the customer's
pages, where the status names are the published ones (``shared/wording.md``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

KINDS = {
    "contact_details": _l("Contact details"),
    "service_change": _l("Change of service"),
    "termination": _l("Ending a service"),
    "fault": _l("Fault report"),
}
STATUSES = {
    "received": _l("Received"),
    "in_progress": _l("In progress"),
    "done": _l("Done"),
    "rejected": _l("Rejected"),
    "cancelled": _l("Cancelled"),
}
#: The fields of a request's payload, in the order the desk shows them.
PAYLOAD_FIELDS = {
    "service_name": _l("Service"),
    "email": _l("Contact e-mail"),
    "phone": _l("Mobile phone"),
    "invoice_delivery": _l("Invoice delivery"),
    "product_name": _l("New product"),
    "current_price": _l("Price now per month"),
    "monthly_price": _l("New price per month"),
    "end_date": _l("End date"),
    "problem": _l("What is wrong"),
    "since": _l("Since"),
    "callback_phone": _l("Phone for the call back"),
    "callback_time": _l("When to call back"),
}
#: The queue's age filter: requests received more than this many days ago.
AGES = {
    "": _l("Any age"),
    "1": _l("Older than 1 day"),
    "3": _l("Older than 3 days"),
    "7": _l("Older than a week"),
    "30": _l("Older than a month"),
}


def label(table: dict, code: str) -> str:
    """A code's label, or the code itself for one this version does not know."""
    return str(table.get(code, code))
