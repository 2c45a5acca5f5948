from flask import current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from app.extensions import csrf
from app.i18n import LANGUAGES, remember_language
from app.services.accounts import service as accounts
from app.services.identification.keys import public_jwks
from app.urls import safe_next
from app.web.main import bp


@bp.get("/")
def index():
    return render_template("main/index.html")


@bp.post("/language")
@csrf.exempt
def set_language():
    """Remember the chosen language (cookie, and the account once signed in).

    Signed in, the choice is stored on the account, so the form's CSRF token
    is checked. Anonymous, it only sets a preference cookie: no token is
    needed, so a first visit creates no server-side session at all.
    """
    if current_user.is_authenticated and current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()
    code = request.form.get("language", "")
    target = safe_next(request.form.get("next")) or url_for("main.index")
    response = redirect(target, code=303)
    if code not in LANGUAGES:
        return response
    if current_user.is_authenticated and not current_user.is_staff:
        accounts.set_language(current_user, code)
    return remember_language(response, code)


@bp.get("/.well-known/jwks.json")
def jwks():
    """The portal's public signing and encryption keys (FTN profile), for the broker."""
    config = current_app.config
    keys = [config["OIDC_SIGNING_KEY_FILE"], config["OIDC_ENCRYPTION_KEY_FILE"]]
    response = jsonify(public_jwks([k for k in keys if k]))
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
