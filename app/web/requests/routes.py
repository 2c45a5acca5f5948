"""Mina ärenden (the list, one request, cancelling) and contact details per customer number."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from app.services import requests
from app.services.accounts import audit
from app.services.customers import linking
from app.services.requests import rules
from app.web.audit import audit_event
from app.web.requests import bp
from app.web.requests.forms import ContactForm
from app.web.requests.sending import linked_customer, linked_ids, send
from app.web.scoping import linked_or_404


@bp.get("/requests")
@login_required
def index():
    numbers = {c.id: c.customer_number for c in linking.linked_customers(current_user.identity_ref)}
    items = requests.requests_for_customers(numbers)
    return render_template("requests/index.html", items=items, numbers=numbers, form=FlaskForm())


@bp.get("/requests/<reference>")
@login_required
def show(reference: str):
    item = linked_or_404(requests.request_for_customers(reference, linked_ids()))
    return render_template("requests/request.html", item=item, form=FlaskForm())


@bp.post("/requests/<reference>/cancel")
@login_required
def cancel(reference: str):
    if not FlaskForm().validate_on_submit():
        return redirect(url_for(".index"), code=303)
    try:
        item, changed = requests.cancel(
            reference, linked_ids(), actor=requests.customer_actor(current_user)
        )
    except requests.RequestNotFound:
        return linked_or_404(None)
    except requests.NotCancellable:
        flash(
            _("Customer service has already taken this request up; it cannot be cancelled."),
            "error",
        )
        return redirect(url_for(".show", reference=reference), code=303)
    if changed:
        audit_event(
            audit.Event.REQUEST_CANCELLED, account=current_user, detail=f"request {reference}"
        )
        flash(_("Request %(reference)s has been cancelled.", reference=item.reference), "success")
    return redirect(url_for(".index"), code=303)


@bp.route("/customers/<customer_number>/contact", methods=["GET", "POST"])
@login_required
def contact(customer_number: str):
    customer = linked_customer(customer_number)
    form = ContactForm()
    if form.validate_on_submit():
        changes = rules.contact_changes(
            customer,
            email=(form.email.data or "").strip(),
            phone=form.phone.data or "",
            invoice_delivery=form.invoice_delivery.data or "",
        )
        if changes.get("invoice_delivery") == "email" and not (form.email.data or customer.email):
            form.email.errors.append(_("An e-mail invoice needs an e-mail address."))
        elif not changes:
            form.form_errors.append(_("You have not changed anything."))
        else:
            return send(form, customer, requests.RequestKind.CONTACT_DETAILS, changes)
    pending = rules.pending_contact_changes([customer]).get(customer.id, [])
    status = 400 if form.is_submitted() else 200
    return render_template(
        "requests/contact.html", customer=customer, form=form, pending=pending
    ), status
