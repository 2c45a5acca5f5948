"""Egna detaljer and Egna tjänster: everything scoped by the account's identity reference."""

from flask import current_app, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.extensions import limiter
from app.i18n import LANGUAGES
from app.services.accounts import audit
from app.services.accounts import service as accounts
from app.services.accounts.personal_data import personal_data
from app.services.customers import linking
from app.services.identity_codes import masked_birth_date
from app.services.invoices import queries as invoices
from app.services.requests.rules import pending_contact_changes
from app.web.account import bp
from app.web.account.forms import CloseAccountForm, EndSessionsForm
from app.web.audit import audit_event
from app.web.scoping import linked_or_404
from app.web.signin import sign_in, sign_out


@bp.get("/details")
@login_required
def details():
    return _details_page()


def _details_page(end_form=None, close_form=None, status: int = 200):
    """Egna detaljer; a failed form comes back with its errors, the other one fresh."""
    customers = linking.linked_customers(current_user.identity_ref)
    return render_template(
        "account/details.html",
        customers=customers,
        masked_code=masked_birth_date(current_user.birth_date_part),
        language_name=LANGUAGES.get(current_user.language, current_user.language),
        end_form=end_form or EndSessionsForm(),
        close_form=close_form or CloseAccountForm(),
        pending_contact=pending_contact_changes(customers),
    ), status


def _password_confirmed(form) -> bool:
    if not form.validate_on_submit():
        return False
    if accounts.password_matches(current_user, form.password.data):
        return True
    form.password.errors.append(_("The password is wrong."))
    return False


@bp.post("/sessions/end-others")
@login_required
@limiter.limit("10 per hour")
def end_other_sessions():
    form = EndSessionsForm()
    if not _password_confirmed(form):
        return _details_page(end_form=form, status=400)
    account = current_user._get_current_object()
    accounts.end_other_sessions(account)
    sign_in(account, audit.Event.SESSIONS_ENDED)
    flash(_("You have been logged out on all other devices."), "success")
    return redirect(url_for(".details"), code=303)


@bp.get("/my-data.json")
@login_required
def my_data():
    """Everything Selfie holds about the signed-in person, as a JSON download."""
    audit_event(audit.Event.DATA_EXPORTED, account=current_user)
    response = jsonify(personal_data(current_user))
    response.headers["Content-Disposition"] = 'attachment; filename="selfie-my-data.json"'
    return response


@bp.post("/close")
@login_required
@limiter.limit("10 per hour")
def close():
    form = CloseAccountForm()
    if not _password_confirmed(form):
        return _details_page(close_form=form, status=400)
    # Recorded before the account goes; closing it unlinks its records, the username stays.
    accounts.close_account(sign_out(audit.Event.ACCOUNT_CLOSED))
    flash(
        _(
            "Your username has been closed. Your customer details at %(operator)s are unchanged.",
            operator=current_app.config["OPERATOR_NAME"],
        ),
        "info",
    )
    return redirect(url_for("main.index"), code=303)


@bp.get("/services")
@login_required
def services():
    customers = linking.linked_customers(current_user.identity_ref, with_services=True)
    return render_template(
        "account/services.html",
        groups=linking.services_by_customer(customers),
        invoice_summary=invoices.unpaid_summary(
            current_user.identity_ref, invoices.finnish_today()
        ),
    )


@bp.get("/services/<service_id>")
@login_required
def service(service_id: str):
    item = linked_or_404(linking.linked_service(current_user.identity_ref, service_id))
    return render_template("account/service.html", service=item)
