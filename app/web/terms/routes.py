from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.services import terms as service
from app.services.accounts import audit
from app.web.audit import audit_event
from app.web.registration.state import RegistrationState
from app.web.terms import bp
from app.web.terms.forms import AcceptTermsForm


@bp.get("/")
def show():
    terms = service.current()
    form = AcceptTermsForm(version=terms.version)
    return render_template("terms/show.html", terms=terms, form=form)


@bp.post("/accept")
def accept():
    terms = service.current()
    form = AcceptTermsForm()
    if not form.validate_on_submit():
        return render_template("terms/show.html", terms=terms, form=form), 400
    if form.version.data != terms.version:
        flash(_("The terms of use have been updated. Please read the new version."), "warning")
        return redirect(url_for("terms.show"), code=303)
    state = RegistrationState.load()
    state.accept_terms(terms.version)
    state.save()
    audit_event(audit.Event.TERMS_ACCEPTED, detail=f"version {terms.version}")
    return redirect(url_for("registration.start"), code=303)
