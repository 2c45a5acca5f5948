"""Log in and log out. One generic message for any wrong credentials (no enumeration)."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.extensions import limiter
from app.i18n import remember_language
from app.services.accounts import audit
from app.services.accounts import service as accounts
from app.urls import safe_next
from app.web.auth import bp
from app.web.auth.forms import LoginForm
from app.web.login_refusals import refuse
from app.web.signin import sign_in, sign_out

LOGIN_LIMIT = "20 per minute; 200 per hour"  # per client address
USERNAME_LIMIT = "10 per 15 minutes"  # per username, from any address


def _username_key() -> str:
    """The limiter's key for a username: a keyed hash, so the store holds no typed
    usernames (nor an identity code typed into the field, which a plain hash of
    such a small space would give away)."""
    return "login-user:" + accounts.throttle_key(request.form.get("username") or "")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
@limiter.limit(USERNAME_LIMIT, key_func=_username_key, methods=["POST"])
def login():
    target = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for("account.services"))
    form = LoginForm(next=target or "")
    if form.validate_on_submit():
        try:
            account = accounts.authenticate(form.username.data, form.password.data)
        except (accounts.AccountLocked, accounts.LoginFailed) as error:
            events = (audit.Event.LOCKED, audit.Event.LOGIN_FAILED)
            wrong = _("The username or password is wrong.")
            refuse(form, error, form.username.data, events, wrong)
        else:
            sign_in(account, audit.Event.LOGIN_OK)
            response = redirect(safe_next(form.next.data) or url_for("account.services"), code=303)
            return remember_language(response, account.language)
    status = 400 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    sign_out(audit.Event.LOGOUT)
    flash(_("You have logged out."), "info")
    return redirect(url_for("main.index"), code=303)
