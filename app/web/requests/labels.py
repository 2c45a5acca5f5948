"""What customers read for the requests' codes: kinds, statuses, problems, choices.

The status names are the published ones (``shared/wording.md``): Mottagen,
Under behandling, Klar, Avvisad; "cancelled" is the customer's own step.
"""

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
INVOICE_DELIVERY = {
    "e_invoice": _l("E-invoice to my online bank"),
    "email": _l("Invoice by e-mail"),
    "paper": _l("Paper invoice by post"),
}
CALLBACK_TIMES = {
    "any": _l("Any time during opening hours"),
    "morning": _l("In the morning (8–12)"),
    "afternoon": _l("In the afternoon (12–16)"),
}
PROBLEMS = {
    "no_connection": _l("No connection at all"),
    "slow": _l("The connection is slow or breaks off"),
    "wifi": _l("The wireless network (Wi-Fi) does not work"),
    "no_picture": _l("No picture or sound"),
    "picture_breaks": _l("The picture breaks up or freezes"),
    "channels_missing": _l("Channels are missing"),
    "no_dial_tone": _l("No dial tone"),
    "calls_fail": _l("Calls do not go through"),
    "poor_sound": _l("Noise or poor sound on calls"),
    "cannot_log_in": _l("I cannot log in"),
    "email": _l("E-mail does not work"),
    "security": _l("A virus or another security problem"),
    "other": _l("Something else (please describe below)"),
}


def label(table: dict, code: str) -> str:
    """A code's label, or the code itself for one this version does not know."""
    return str(table.get(code, code))
