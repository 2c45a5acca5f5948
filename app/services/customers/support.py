"""Answers for customer-service staff on the phone: does a customer number link, and
when was it last in an import from billing?"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Account, Customer
from app.services.identity_codes import masked_birth_date


def describe_customer(customer_number: str) -> str:
    customer = db.session.scalar(
        select(Customer)
        .where(Customer.customer_number == customer_number)
        .options(selectinload(Customer.last_import))
    )
    if customer is None:
        return f"Customer number {customer_number}: not in the register (never imported)."
    return f"{_links(customer)} {_last_import(customer)}"


def _last_import(customer: Customer) -> str:
    run = customer.last_import
    last = (
        f"last in the {run.mode.value} import of {run.occurred_at.isoformat(timespec='seconds')}"
        if run is not None
        else "last import not recorded"
    )
    return f"Register: {last}."


def _links(customer: Customer) -> str:
    number = customer.customer_number
    if customer.removed_at is not None:
        return (
            f"Customer number {number} ({customer.name}): removed from the register by the "
            f"import of {customer.removed_at.isoformat(timespec='seconds')} (billing no longer "
            "has it), so no username links to it."
        )
    if customer.identity_ref is None:
        return (
            f"Customer number {number} ({customer.name}): no personal identity code "
            "on record, so no username can link to it. Ask for the code and add it in billing."
        )
    account = db.session.scalar(
        select(Account).where(Account.identity_ref == customer.identity_ref)
    )
    code = masked_birth_date(customer.birth_date_part)
    if account is None:
        return (
            f"Customer number {number} ({customer.name}): code {code} on record; "
            "no username registered with it yet."
        )
    return (
        f"Customer number {number} ({customer.name}): code {code} on record; "
        f"linked to the username registered on {account.created_at.date().isoformat()}."
    )
