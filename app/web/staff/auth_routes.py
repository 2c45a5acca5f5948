"""The desk's login (password + TOTP code), logout and the one-time set-up page."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.extensions import limiter
from app.roles import is_staff
from app.services.accounts import audit
from app.services.accounts import service as accounts
from app.services.staff import accounts as staff_accounts
from app.services.staff import totp
from app.web.audit import audit_event
from app.web.auth.routes import LOGIN_LIMIT
from app.web.login_refusals import refuse
from app.web.signin import sign_in, sign_out
from app.web.staff import bp
from app.web.staff.forms import SetupForm, StaffLoginForm
from app.web.staff.guard import desk_target, staff_required

EMAIL_LIMIT = "10 per 15 minutes"  # per typed address, from any address


def _email_key() -> str:
    email = request.form.get("email") or ""
    return "staff-login:" + accounts.throttle_key(email, staff_accounts.THROTTLE_SCOPE)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
@limiter.limit(EMAIL_LIMIT, key_func=_email_key, methods=["POST"])
def login():
    target = desk_target(request.args.get("next"))
    if is_staff():
        return redirect(target or url_for("staff.queue"))
    form = StaffLoginForm()
    if form.validate_on_submit():
        try:
            staff = staff_accounts.authenticate(form.email.data, form.password.data, form.code.data)
        except (staff_accounts.AccountLocked, staff_accounts.LoginFailed) as error:
            events = (audit.Event.STAFF_LOCKED, audit.Event.STAFF_LOGIN_FAILED)
            wrong = _("The e-mail address, password or code is wrong.")
            refuse(form, error, form.email.data, events, wrong)
        else:
            sign_in(staff, audit.Event.STAFF_LOGIN_OK)
            return redirect(target or url_for("staff.queue"), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("staff/login.html", form=form), status


@bp.post("/logout")
@staff_required
def logout():
    sign_out(audit.Event.STAFF_LOGOUT)
    flash(_("You have logged out."), "info")
    return redirect(url_for("staff.login"), code=303)


def _staff_for(token: str):
    """The staff member of a set-up link, or the page that says why it cannot be used."""
    try:
        return staff_accounts.for_setup(token), None
    except staff_accounts.SetupLinkExpired:
        message = _("This set-up link has expired. Ask for a new one.")
    except staff_accounts.SetupLinkInvalid:
        message = _("This set-up link is not valid or has already been used. Ask for a new one.")
    return None, (render_template("staff/setup_invalid.html", message=message), 410)


@bp.route("/setup/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def setup(token: str):
    if is_staff():
        abort(403)  # signed in already: a set-up link is for a new staff member
    staff, refusal = _staff_for(token)
    if refusal is not None:
        return refusal
    form = SetupForm(email=staff.email)
    if form.validate_on_submit():
        try:
            staff_accounts.complete_setup(staff, form.password.data, form.code.data)
        except staff_accounts.CodeWrong:
            form.code.errors.append(_("The code is wrong. Check the clock of the device."))
        except staff_accounts.SetupLinkInvalid:
            return _staff_for(token)[1]
        else:
            audit_event(audit.Event.STAFF_ENROLLED, account=staff, commit=False)
            sign_in(staff, audit.Event.STAFF_LOGIN_OK)
            flash(_("Your staff account is ready."), "success")
            return redirect(url_for("staff.queue"), code=303)
    return _setup_page(form, staff)


def _setup_page(form: SetupForm, staff):
    issuer = f"Selfie {current_app.config['OPERATOR_NAME']}"
    uri = totp.provisioning_uri(staff.totp_secret, staff.email, issuer)
    return render_template(
        "staff/setup.html",
        form=form,
        email=staff.email,
        qr=totp.qr_data_uri(uri),
        secret=totp.grouped(staff.totp_secret),
    ), (400 if form.is_submitted() else 200)
