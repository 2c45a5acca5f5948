"""Per service: "Ändra tjänsten" (another product, or an end date; a summary first) and
"Felanmälan" (what is wrong, since when, when to call back)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required
from wtforms.fields.choices import SelectChoice

from app.models import Service
from app.services import requests
from app.services.invoices.queries import finnish_today
from app.services.requests import catalogue, rules
from app.web.requests import bp, labels
from app.web.requests.forms import ChangeForm, FaultForm, choices
from app.web.requests.sending import active_service, send


def _ended(service_id: str):
    flash(_("This service has ended; it can no longer be changed or reported."), "info")
    return redirect(url_for("account.service", service_id=service_id), code=303)


def _products(service: Service) -> list[catalogue.Product]:
    path = catalogue.catalogue_path(current_app.config["PRODUCT_CATALOGUE_FILE"])
    return catalogue.choices_for(catalogue.load_catalogue(path), service.kind, service.name)


def _change_payload(form: ChangeForm, service: Service, products) -> tuple:
    """The request's kind and payload, and the product chosen (None when ending)."""
    base = {"service_name": service.name, "current_price": str(service.monthly_price)}
    if form.action.data == "end":
        return (
            requests.RequestKind.TERMINATION,
            base | {"end_date": form.end_date.data.isoformat()},
            None,
        )
    product = next(p for p in products if p.id == form.product.data)
    return (
        requests.RequestKind.SERVICE_CHANGE,
        base
        | {
            "product_id": product.id,
            "product_name": product.names,
            "monthly_price": str(product.monthly_price),
        },
        product,
    )


@bp.route("/services/<service_id>/change", methods=["GET", "POST"])
@login_required
def change(service_id: str):
    service = active_service(service_id)
    if service is None:
        return _ended(service_id)
    products = _products(service)
    language = str(get_locale() or "sv")
    form = ChangeForm()
    form.product.choices = [SelectChoice(p.id, p.name(language)) for p in products]
    form.earliest_end = rules.earliest_end_date(
        finnish_today(), int(current_app.config["TERMINATION_NOTICE_DAYS"])
    )
    valid = form.validate_on_submit()
    if valid and not form.edit.data:
        kind, payload, product = _change_payload(form, service, products)
        if form.confirm.data:
            return send(form, service.customer, kind, payload, service_id=service.service_id)
        return render_template(
            "requests/change_summary.html", service=service, form=form, product=product, kind=kind
        )
    return render_template(
        "requests/change.html", service=service, form=form, products=products, language=language
    ), (400 if form.is_submitted() and not valid else 200)


@bp.route("/services/<service_id>/fault", methods=["GET", "POST"])
@login_required
def fault(service_id: str):
    service = active_service(service_id)
    if service is None:
        return _ended(service_id)
    form = FaultForm()
    form.problem.choices = choices(labels.PROBLEMS, rules.FAULT_PROBLEMS[service.kind])
    form.today = finnish_today()
    if form.validate_on_submit():
        payload = {
            "service_name": service.name,
            "problem": form.problem.data,
            "since": form.since.data.isoformat(),
            "callback_phone": form.callback_phone.data,
            "callback_time": form.callback_time.data,
        }
        return send(
            form,
            service.customer,
            requests.RequestKind.FAULT,
            payload,
            service_id=service.service_id,
            customer_text=(form.description.data or "").strip(),
        )
    if not form.is_submitted():
        form.since.data = form.today
    status = 400 if form.is_submitted() else 200
    return render_template("requests/fault.html", service=service, form=form), status
