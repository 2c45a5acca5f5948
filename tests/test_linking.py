"""The linking service, on factory-made records: one query path scoped by identity reference."""

from __future__ import annotations

from datetime import date

from app.models import ServiceStatus
from app.services.customers import linking
from tests.factories import AccountFactory, CustomerFactory, ServiceFactory, reference_for

CODE = "131052-308T"


def test_linked_customers_are_those_with_the_same_reference(app):
    with app.app_context():
        account = AccountFactory(code=CODE)
        home = CustomerFactory(code=CODE, customer_number="1")
        cottage = CustomerFactory(code=CODE, customer_number="2")
        CustomerFactory(customer_number="3")  # someone else
        CustomerFactory(code="", customer_number="4")  # code unknown to the operator
        found = linking.linked_customers(account.identity_ref)
        assert [c.customer_number for c in found] == [home.customer_number, cottage.customer_number]


def test_a_service_is_found_only_through_its_own_customer(app):
    with app.app_context():
        mine = ServiceFactory(customer=CustomerFactory(code=CODE))
        theirs = ServiceFactory()
        reference = reference_for(CODE)
        assert linking.linked_service(reference, mine.service_id).id == mine.id
        assert linking.linked_service(reference, theirs.service_id) is None


def test_services_are_grouped_by_address_with_ended_apart(app):
    with app.app_context():
        customer = CustomerFactory(code=CODE)
        ServiceFactory(customer=customer, address="B-gatan 2", start_date=date(2020, 1, 1))
        ServiceFactory(customer=customer, address="A-gatan 1", status=ServiceStatus.ENDED)
        ServiceFactory(customer=customer, address="A-gatan 1")
        (group,) = linking.services_by_customer(
            linking.linked_customers(reference_for(CODE), with_services=True)
        )
        assert [place.address for place in group.addresses] == ["A-gatan 1", "B-gatan 2"]
        first = group.addresses[0]
        assert len(first.active) == 1 and len(first.ended) == 1
        assert group.has_services


def test_a_customer_without_services_is_still_listed(app):
    with app.app_context():
        CustomerFactory(code=CODE)
        (group,) = linking.services_by_customer(
            linking.linked_customers(reference_for(CODE), with_services=True)
        )
        assert not group.has_services
