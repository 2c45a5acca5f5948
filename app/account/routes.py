"""Egna detaljer and Egna tjänster: everything scoped by the account's identity reference."""

from flask import abort, render_template
from flask_login import current_user, login_required

from app.account import bp
from app.customers import linking
from app.i18n import LANGUAGES
from app.identity_codes import masked_birth_date


@bp.get("/details")
@login_required
def details():
    customers = linking.linked_customers(current_user.identity_ref)
    return render_template(
        "account/details.html",
        customers=customers,
        masked_code=masked_birth_date(current_user.birth_date_part),
        language_name=LANGUAGES.get(current_user.language, current_user.language),
    )


@bp.get("/services")
@login_required
def services():
    customers = linking.linked_customers(current_user.identity_ref, with_services=True)
    return render_template("account/services.html", groups=linking.services_by_customer(customers))


@bp.get("/services/<service_id>")
@login_required
def service(service_id: str):
    item = linking.linked_service(current_user.identity_ref, service_id)
    if item is None:
        abort(404)
    return render_template("account/service.html", service=item)
