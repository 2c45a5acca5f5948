"""The one query path for customer data shown to a signed-in account.

Linking is derived on every read: an account sees every customer record
whose identity reference equals its own and that the register still has
(a snapshot import marks what billing dropped as removed). A later import
that adds or removes a code or a record changes what the account sees on its
next page view.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Customer, Service, ServiceStatus


def linked_customers(identity_ref: str, *, with_services: bool = False) -> list[Customer]:
    """Customer records linked to ``identity_ref``, by customer number (1 or 2 queries)."""
    query = (
        select(Customer)
        .where(Customer.identity_ref == identity_ref, Customer.removed_at.is_(None))
        .order_by(Customer.customer_number)
    )
    if with_services:
        query = query.options(selectinload(Customer.services))
    return list(db.session.scalars(query))


def linked_service(identity_ref: str, service_id: str) -> Service | None:
    """One service, only if it belongs to a customer linked to ``identity_ref``."""
    return db.session.scalar(
        select(Service)
        .join(Customer)
        .where(
            Service.service_id == service_id,
            Customer.identity_ref == identity_ref,
            Customer.removed_at.is_(None),
        )
        .options(selectinload(Service.customer))
    )


@dataclass
class AddressGroup:
    address: str
    active: list[Service] = field(default_factory=list)
    ended: list[Service] = field(default_factory=list)


@dataclass
class CustomerServices:
    customer: Customer
    addresses: list[AddressGroup]

    @property
    def has_services(self) -> bool:
        return any(group.active or group.ended for group in self.addresses)


def services_by_customer(customers: list[Customer]) -> list[CustomerServices]:
    """Group each customer's services by installation address, active apart from ended."""
    result = []
    for customer in customers:
        groups: OrderedDict[str, AddressGroup] = OrderedDict()
        for item in sorted(
            customer.services, key=lambda s: (s.address, s.start_date, s.service_id)
        ):
            group = groups.setdefault(item.address, AddressGroup(item.address))
            (group.active if item.status == ServiceStatus.ACTIVE else group.ended).append(item)
        result.append(CustomerServices(customer, list(groups.values())))
    return result
