"""The desk: the queue of requests, one request and its status, and the customer lookup.

Every view is for staff only (``staff_required``) and leaves an audit record
naming the staff member.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.services import requests as customer_requests
from app.services.accounts import audit
from app.services.staff import desk
from app.services.staff.lookup import look_up
from app.web.audit import audit_event
from app.web.staff import bp
from app.web.staff.forms import LookupForm, QueueFilterForm, StatusForm
from app.web.staff.guard import staff_required
from app.web.staff.labels import PAYLOAD_FIELDS


def _staff():
    return current_user._get_current_object()


@bp.get("/")
@staff_required
def queue():
    form = QueueFilterForm(request.args)
    if not form.validate():
        return render_template("staff/queue.html", form=form, items=None), 400
    wanted = desk.QueueFilter.parse(form.status.data, form.kind.data, form.age.data)
    page = render_template(
        "staff/queue.html",
        form=form,
        items=desk.queue(wanted),
        page_size=desk.PAGE_SIZE,
        **_labels(),
    )
    return _audited(page, audit.Event.STAFF_QUEUE_VIEWED, wanted.describe())


def _audited(page: str, event: audit.Event, detail: str) -> str:
    """Record the staff member's action once the page is rendered: the audit's commit
    would otherwise expire every loaded row, and rendering would load each again."""
    audit_event(event, account=_staff(), detail=detail)
    return page


def _labels() -> dict[str, object]:
    return {"fields": PAYLOAD_FIELDS}


def _request_or_404(reference: str):
    if not customer_requests.is_reference(reference):
        abort(404)
    item = customer_requests.by_reference(reference)
    if item is None:
        abort(404)
    return item


@bp.get("/requests/<reference>")
@staff_required
def request_detail(reference: str):
    item = _request_or_404(reference)
    form = StatusForm(status=item.status.value, note=item.status_note)
    page, _status = _detail_page(item, form)
    return _audited(page, audit.Event.STAFF_REQUEST_VIEWED, reference)


def _detail_page(item, form, status: int = 200):
    return render_template("staff/request.html", item=item, form=form, **_labels()), status


@bp.post("/requests/<reference>/status")
@staff_required
def change_status(reference: str):
    item = _request_or_404(reference)
    form = StatusForm()
    if not form.validate_on_submit():
        return _detail_page(item, form, 400)
    before = item.status.value
    try:
        item, changed = customer_requests.set_status(
            reference, form.status.data, note=form.note.data or "",
            actor=f"staff:{_staff().email}", commit=False,
        )  # fmt: skip
    except customer_requests.StatusNotAllowed:
        form.form_errors.append(_("A request the customer has cancelled cannot be changed."))
        return _detail_page(item, form, 409)
    if changed:
        detail = f"{reference}: {before} -> {item.status.value}"
        audit_event(audit.Event.REQUEST_STATUS_CHANGED, account=_staff(), detail=detail)
        flash(_("The status is saved. The customer sees it in My requests."), "success")
    else:
        flash(_("Nothing changed: the status and the note were already these."), "info")
    return redirect(url_for(".request_detail", reference=reference), code=303)


@bp.route("/lookup", methods=["GET", "POST"])
@staff_required
def lookup():
    """POST, so usernames stay out of addresses, logs and the browser's history."""
    form = LookupForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("staff/lookup.html", form=form, answer=None), status
    answer = look_up(form.query.data)
    page = render_template("staff/lookup.html", form=form, answer=answer)
    detail = f"{form.query.data.strip()}: {'found' if answer.found else 'not found'}"
    return _audited(page, audit.Event.STAFF_LOOKUP, detail)
