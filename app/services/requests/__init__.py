"""Requests from customers to customer service: the one service the customer pages,
the staff desk and the CLI share (see ``service.py``; models in ``app/request_models.py``).

Payload fields per kind (what ``create_request`` stores in ``Request.payload``):

- ``contact_details``: any of ``email``, ``phone`` (E.164), ``invoice_delivery``
  (``e_invoice``, ``email``, ``paper``) — only the fields the customer changes.
- ``service_change``: ``service_name``, ``product_id``, ``product_name`` (per
  language), ``monthly_price`` and ``current_price`` (decimal strings).
- ``termination``: ``service_name``, ``end_date`` (YYYY-MM-DD).
- ``fault``: ``service_name``, ``problem`` (a code per service kind), ``since``
  (YYYY-MM-DD), ``callback_phone``, ``callback_time``.
"""

from app.request_models import OPEN_STATUSES, Request, RequestEvent, RequestKind, RequestStatus
from app.services.requests.references import is_reference, new_reference
from app.services.requests.service import (
    STAFF_STATUSES,
    NotCancellable,
    RequestError,
    RequestNotFound,
    StatusNotAllowed,
    by_reference,
    cancel,
    create_request,
    customer_actor,
    open_requests,
    queue,
    request_for_customers,
    requests_for_customers,
    set_status,
)

__all__ = [
    "OPEN_STATUSES",
    "STAFF_STATUSES",
    "NotCancellable",
    "Request",
    "RequestError",
    "RequestEvent",
    "RequestKind",
    "RequestNotFound",
    "RequestStatus",
    "StatusNotAllowed",
    "by_reference",
    "cancel",
    "create_request",
    "customer_actor",
    "is_reference",
    "new_reference",
    "open_requests",
    "queue",
    "request_for_customers",
    "requests_for_customers",
    "set_status",
]
