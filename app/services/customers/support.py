"""Answers for customer-service staff on the phone: does a customer number link?"""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Account, Customer
from app.services.identity_codes import masked_birth_date


def describe_customer(customer_number: str) -> str:
    customer = db.session.scalar(
        select(Customer).where(Customer.customer_number == customer_number)
    )
    if customer is None:
        return f"Customer number {customer_number}: not in the register."
    if customer.identity_ref is None:
        return (
            f"Customer number {customer_number} ({customer.name}): no personal identity code "
            "on record, so no username can link to it. Ask for the code and add it in billing."
        )
    account = db.session.scalar(
        select(Account).where(Account.identity_ref == customer.identity_ref)
    )
    code = masked_birth_date(customer.birth_date_part)
    if account is None:
        return (
            f"Customer number {customer_number} ({customer.name}): code {code} on record; "
            "no username registered with it yet."
        )
    return (
        f"Customer number {customer_number} ({customer.name}): code {code} on record; "
        f"linked to the username registered on {account.created_at.date().isoformat()}."
    )
