"""What every customer request page shares: the linked customers, and sending a request."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.models import Customer, Service, ServiceStatus
from app.services import requests
from app.services.accounts import audit
from app.services.customers import linking
from app.web.audit import audit_event
from app.web.scoping import linked_or_404


def linked_ids() -> list[int]:
    """The customer ids the signed-in person links to (one query)."""
    return [customer.id for customer in linking.linked_customers(current_user.identity_ref)]


def linked_customer(customer_number: str) -> Customer:
    """One of the signed-in person's customer numbers, or 404."""
    customers = linking.linked_customers(current_user.identity_ref)
    return linked_or_404(next((c for c in customers if c.customer_number == customer_number), None))


def active_service(service_id: str) -> Service | None:
    """The person's service (404 for anyone else's); None when it has ended."""
    item = linked_or_404(linking.linked_service(current_user.identity_ref, service_id))
    return item if item.status == ServiceStatus.ACTIVE else None


def send(form, customer: Customer, kind: requests.RequestKind, payload: dict, **extra):
    """Store the request once per form (its token), audit it, and show its number."""
    item, created = requests.create_request(
        customer=customer,
        account=current_user._get_current_object(),
        kind=kind,
        payload=payload,
        idempotency_key=form.token.data,
        **extra,
    )
    if created:
        audit_event(
            audit.Event.REQUEST_CREATED,
            account=current_user,
            detail=f"request {item.reference} {kind.value}",
        )
        flash(_("Thank you. Your request has been sent to customer service."), "success")
    return redirect(url_for("requests.show", reference=item.reference), code=303)
