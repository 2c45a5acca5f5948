"""What Selfie holds about a signed-in person, as one document (GDPR access, ASVS 8.3.2).

The identity code appears only masked, as everywhere else.
"""

from __future__ import annotations

from app.models import Account
from app.services.customers import linking
from app.services.identity_codes import masked_birth_date
from app.services.requests import requests_for_customers


def personal_data(account: Account) -> dict[str, object]:
    customers = linking.linked_customers(account.identity_ref, with_services=True)
    numbers = {customer.id: customer.customer_number for customer in customers}
    return {
        "username": account.username,
        "personal_identity_code": masked_birth_date(account.birth_date_part),
        "given_name": account.given_name,
        "family_name": account.family_name,
        "language": account.language,
        "terms_version": account.terms_version,
        "terms_accepted_at": account.terms_accepted_at.isoformat(),
        "created_at": account.created_at.isoformat(),
        "customers": [
            {
                "customer_number": customer.customer_number,
                "name": customer.name,
                "billing_address": {
                    "street_address": customer.street_address,
                    "postal_code": customer.postal_code,
                    "city": customer.city,
                },
                "email": customer.email,
                "phone": customer.phone,
                "co_holder_name": customer.co_holder_name,
                "services": [
                    {
                        "service_id": service.service_id,
                        "kind": service.kind.value,
                        "name": service.name,
                        "details": service.details,
                        "address": service.address,
                        "start_date": service.start_date.isoformat(),
                        "monthly_price": str(service.monthly_price),
                        "status": service.status.value,
                    }
                    for service in customer.services
                ],
            }
            for customer in customers
        ],
        "requests": [
            {
                "reference": item.reference,
                "customer_number": numbers[item.customer_id],
                "service_id": item.service_id,
                "kind": item.kind.value,
                "status": item.status.value,
                "details": item.payload,
                "text": item.customer_text,
                "message_from_customer_service": item.status_note,
                "created_at": item.created_at.isoformat(),
            }
            for item in requests_for_customers(numbers)
        ],
    }
