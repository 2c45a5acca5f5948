"""The desk's lookup: does a customer number or a username link, and to which numbers?

Answers carry names, customer numbers and the masked birth-date part of the
identity code (``150385-****``), never the code: Selfie does not hold it.
At most three queries, each on a unique or indexed column.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from email_validator import EmailNotValidError
from sqlalchemy import select

from app.extensions import db
from app.models import Account, Customer
from app.services.accounts import service as accounts
from app.services.customers import linking
from app.services.identity_codes import masked_birth_date


@dataclass(frozen=True)
class LinkedNumber:
    customer_number: str
    name: str


@dataclass(frozen=True)
class AccountAnswer:
    """A username and every customer number it links to now."""

    username: str
    created_at: datetime
    masked_code: str
    customers: list[LinkedNumber]


@dataclass(frozen=True)
class CustomerAnswer:
    customer_number: str
    name: str
    removed_at: datetime | None
    #: ``150385-****`` when the register has a code for the number, else empty.
    masked_code: str
    account: AccountAnswer | None


@dataclass(frozen=True)
class Answer:
    """What the desk shows: one of the two, or neither when nothing matched."""

    searched_username: bool
    customer: CustomerAnswer | None = None
    account: AccountAnswer | None = None

    @property
    def found(self) -> bool:
        return self.customer is not None or self.account is not None


def look_up(query: str) -> Answer:
    """A customer number, or a username (anything with an ``@``)."""
    query = query.strip()
    if "@" in query:
        return Answer(True, account=_account_answer(_account_by_username(query)))
    return Answer(False, customer=_customer_answer(query))


def _account_by_username(value: str) -> Account | None:
    try:
        username = accounts.normalise_username(value)
    except EmailNotValidError:
        return None
    return accounts.find_by_username(username)


def _account_answer(account: Account | None) -> AccountAnswer | None:
    if account is None:
        return None
    return AccountAnswer(
        username=account.username,
        created_at=account.created_at,
        masked_code=masked_birth_date(account.birth_date_part),
        customers=[
            LinkedNumber(customer.customer_number, customer.name)
            for customer in linking.linked_customers(account.identity_ref)
        ],
    )


def _customer_answer(customer_number: str) -> CustomerAnswer | None:
    customer = db.session.scalar(
        select(Customer).where(Customer.customer_number == customer_number)
    )
    if customer is None:
        return None
    account = None
    if customer.identity_ref is not None and customer.removed_at is None:
        account = _account_answer(accounts.find_by_identity(customer.identity_ref))
    return CustomerAnswer(
        customer_number=customer.customer_number,
        name=customer.name,
        removed_at=customer.removed_at,
        masked_code=masked_birth_date(customer.birth_date_part) if customer.identity_ref else "",
        account=account,
    )
