"""The customer's side of requests: contact details, changing or ending a service, fault
reports and "Mina ärenden". The staff desk is another blueprint over the same service."""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint
from flask_babel import format_time

from app.services.requests.catalogue import catalogue_path, load_catalogue
from app.services.requests.rules import display_phone
from app.web.requests import labels

bp = Blueprint("requests", __name__, url_prefix="/account")


@bp.record_once
def _check_catalogue(state) -> None:
    """A bad catalogue file stops the portal at start, naming the file and the product."""
    load_catalogue(catalogue_path(state.app.config["PRODUCT_CATALOGUE_FILE"]))


@bp.app_template_filter("time_of_day")
def time_of_day(value: datetime) -> str:
    """A stored UTC time as the hour and minute in Finland (the date: ``short_date``)."""
    return format_time(value, "HH:mm")


bp.add_app_template_filter(display_phone, "phone")
bp.add_app_template_filter(date.fromisoformat, "iso_date")
for name, value in {
    "request_label": labels.label,
    "request_kinds": labels.KINDS,
    "request_statuses": labels.STATUSES,
    "invoice_delivery_labels": labels.INVOICE_DELIVERY,
    "problem_labels": labels.PROBLEMS,
    "callback_labels": labels.CALLBACK_TIMES,
}.items():
    bp.add_app_template_global(value, name)

from app.web.requests import routes, service_routes  # noqa: E402,F401  (attach to bp)
