"""The desk: the queue of requests, one request and its status, and the customer lookup.

Every view is for staff only (``staff_required``) and leaves an audit record
naming the staff member.
"""

from flask import render_template
from flask_login import current_user

from app.services.accounts import audit
from app.services.staff.lookup import look_up
from app.web.audit import audit_event
from app.web.staff import bp
from app.web.staff.forms import LookupForm
from app.web.staff.guard import staff_required


@bp.route("/lookup", methods=["GET", "POST"])
@staff_required
def lookup():
    """POST, so usernames stay out of addresses, logs and the browser's history."""
    form = LookupForm()
    answer = None
    if form.validate_on_submit():
        answer = look_up(form.query.data)
        found = "found" if answer.found else "not found"
        audit_event(
            audit.Event.STAFF_LOOKUP,
            account=current_user._get_current_object(),
            detail=f"{form.query.data.strip()}: {found}",
        )
    status = 400 if form.is_submitted() and form.errors else 200
    return render_template("staff/lookup.html", form=form, answer=answer), status


@bp.get("/")
@staff_required
def queue():
    return render_template("staff/queue.html")
