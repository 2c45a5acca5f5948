"""factory_boy factories for accounts, customers and services.

Use inside an app context; the factories add to ``db.session`` and commit.
Identity references are computed with the test identity key from valid
temporary codes, the same way the import and the identification do.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import factory
from factory.alchemy import SQLAlchemyModelFactory

from app.extensions import db
from app.models import Account, Customer, Service, ServiceKind, ServiceStatus
from app.services import identity_codes
from app.services.accounts.passwords import hash_password
from app.services.customers.demo import temporary_code

TEST_IDENTITY_KEY = "test-identity-key"


def reference_for(code: str) -> str:
    parsed = identity_codes.parse(code, allow_temporary=True)
    return identity_codes.identity_reference(parsed, TEST_IDENTITY_KEY)


class _Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class CustomerFactory(_Base):
    class Meta:
        model = Customer

    class Params:
        code = factory.Sequence(lambda n: temporary_code(date(1980, 1, 1), 900 + n % 100))

    customer_number = factory.Sequence(lambda n: f"{300000 + n}")
    identity_ref = factory.LazyAttribute(lambda o: reference_for(o.code) if o.code else None)
    birth_date_part = factory.LazyAttribute(lambda o: o.code[:6] if o.code else None)
    name = factory.Faker("name", locale="sv_SE")
    street_address = "Storgatan 1"
    postal_code = "65100"
    city = "Vasa"
    email = factory.Sequence(lambda n: f"customer{n}@example.fi")
    phone = "050 123 4567"
    co_holder_name = None


class ServiceFactory(_Base):
    class Meta:
        model = Service

    service_id = factory.Sequence(lambda n: f"{700000 + n}")
    customer = factory.SubFactory(CustomerFactory)
    kind = ServiceKind.BROADBAND
    name = "Fiber 100"
    details = "100/100 Mbit/s"
    address = "Storgatan 1, Vasa"
    start_date = date(2021, 3, 1)
    monthly_price = Decimal("39.90")
    status = ServiceStatus.ACTIVE


class AccountFactory(_Base):
    class Meta:
        model = Account

    class Params:
        code = factory.Sequence(lambda n: temporary_code(date(1975, 6, 15), 900 + n % 100))
        password = "correct horse battery"

    username = factory.Sequence(lambda n: f"user{n}@example.fi")
    password_hash = factory.LazyAttribute(lambda o: hash_password(o.password))
    identity_ref = factory.LazyAttribute(lambda o: reference_for(o.code))
    birth_date_part = factory.LazyAttribute(lambda o: o.code[:6])
    given_name = "Test"
    family_name = "Person"
    terms_version = "2026-11-25"
    terms_accepted_at = factory.LazyFunction(lambda: datetime.now(UTC))
    language = "sv"
