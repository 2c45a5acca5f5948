"""Create a username: terms → strong identification → username and password.

Each view asks a guard (``steps``) for the step it needs; a customer who
skipped one is sent back to the first missing step, with a message.
"""

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app import sessions
from app.extensions import identification_broker, limiter
from app.services.accounts import audit
from app.services.accounts import service as accounts
from app.services.identification import (
    IdentificationCancelled,
    IdentificationFailed,
    load_methods,
)
from app.web.audit import audit_event
from app.web.registration import bp
from app.web.registration.forms import CreateAccountForm, MethodForm, NewPasswordForm
from app.web.registration.state import RegistrationState
from app.web.registration.steps import (
    StepMissing,
    load_state,
    require_identification,
    require_terms,
)
from app.web.signin import sign_in

STEP_LIMIT = "20 per minute; 100 per hour"  # per client address
SESSION_STEP_LIMIT = "10 per minute; 30 per hour"  # per browser session


def _session_key() -> str:
    return "session:" + str(getattr(session, "sid", "") or request.remote_addr)


def step_limits(view):
    """Identification starts and account creation: limited per address and per session."""
    view = limiter.limit(SESSION_STEP_LIMIT, key_func=_session_key, methods=["POST"])(view)
    return limiter.limit(STEP_LIMIT, methods=["POST"])(view)


def _methods():
    return load_methods(current_app.config["OIDC_METHODS_FILE"])


@bp.get("/")
def start():
    if current_user.is_authenticated:
        return redirect(url_for("account.services"))
    state, current = load_state()
    return render_template(
        "registration/start.html",
        state=state,
        terms=current,
        methods=_methods(),
        form=MethodForm(),
    )


@bp.post("/identify")
@step_limits
def identify():
    state = require_terms()
    form = MethodForm()
    method = next((m for m in _methods() if m.id == form.method.data), None)
    if not form.validate_on_submit() or method is None:
        raise StepMissing(_("Please choose an identification method."))
    redirect_uri = url_for("registration.callback", _external=True)
    url, pending = identification_broker.get().start(method, redirect_uri, str(get_locale()))
    state.start_identification(pending)
    state.save()
    return redirect(url, code=303)


@bp.get("/callback")
@limiter.limit(STEP_LIMIT)
def callback():
    state = RegistrationState.load()
    pending = state.take_pending()
    state.save()  # the pending request is spent, whatever happens next
    if pending is None:
        raise StepMissing(
            _(
                "Your identification could not be completed because the session had expired "
                "or the link was already used. Please choose an identification method again."
            )
        )
    try:
        identified = identification_broker.get().finish(
            request.args, pending, url_for(".callback", _external=True)
        )
    except IdentificationCancelled:
        raise StepMissing(
            _("You cancelled the identification. Choose an identification method to try again."),
            "info",
        ) from None
    except IdentificationFailed as error:
        audit_event(audit.Event.IDENTIFICATION_FAILED, detail=error.reason)
        raise StepMissing(_failure_message(error.reason), "error") from None
    state.record_identified(identified)
    sessions.rotate()
    state.save()
    audit_event(audit.Event.IDENTIFICATION_OK, detail=f"method {pending.method}")
    if accounts.find_by_identity(identified.identity_ref) is not None:
        return redirect(url_for(".existing"), code=303)
    return redirect(url_for(".account"), code=303)


def _failure_message(reason: str) -> str:
    if reason.startswith("claim_"):
        return _(
            "The identification service did not give us a valid personal identity code, "
            "so a username cannot be created. Please try again or contact customer service."
        )
    return _(
        "Your identification could not be verified, so no username was created. "
        "Please choose an identification method and try again."
    )


@bp.route("/account", methods=["GET", "POST"])
@step_limits
def account():
    if current_user.is_authenticated and not RegistrationState.load().identified:
        return redirect(url_for("account.services"), code=303)
    state = require_identification()
    form = CreateAccountForm()
    if form.validate_on_submit():
        try:
            created = accounts.create_account(_new_account(form, state))
        except accounts.AlreadyRegistered:
            return redirect(url_for(".existing"), code=303)
        except accounts.UsernameTaken:
            form.username.errors.append(
                _(
                    "This e-mail address is already in use as a username. "
                    "Log in, or choose another address."
                )
            )
        else:
            _sign_in(created, audit.Event.ACCOUNT_CREATED)
            flash(
                _("You have now created a username in Selfie and can administer your services."),
                "success",
            )
            return redirect(url_for("account.services"), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "registration/account.html", form=form, identified=state.identified
    ), status


def _new_account(form: CreateAccountForm, state: RegistrationState) -> accounts.NewAccount:
    return accounts.NewAccount(
        identified=state.identified,
        username=form.username.data,
        password=form.password.data,
        terms_version=state.terms_version,
        terms_accepted_at=state.terms_accepted_time,
        language=str(get_locale()),
    )


@bp.route("/existing", methods=["GET", "POST"])
@step_limits
def existing():
    holder = accounts.find_by_identity(require_identification().identified.identity_ref)
    if holder is None:
        return redirect(url_for(".account"), code=303)
    form = NewPasswordForm(username=holder.username)
    if form.validate_on_submit():
        accounts.set_password(holder, form.password.data)
        _sign_in(holder, audit.Event.PASSWORD_CHANGED)
        flash(_("Your new password has been saved."), "success")
        return redirect(url_for("account.services"), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "registration/existing.html",
        form=form,
        masked_username=accounts.mask_username(holder.username),
    ), status


def _sign_in(account, event: audit.Event) -> None:
    """The registration is done: its record goes, the account signs in."""
    RegistrationState.clear()
    sign_in(account, event)
