"""What the desk adds to the requests' labels: the payload's field names and the queue's ages.

The kinds, statuses and the payload's values are labelled as on the customer's
pages (``app/web/requests/labels.py``, also template globals), so staff and
customers read the same words.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

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
