"""Customers and customer-service staff never cross: each kind opens only its own pages.

Flask-Login has one ``current_user``; whether it is a customer's ``Account``
or a ``StaffAccount`` is fixed by the session id (see ``sessions.load_account``).
This guard runs before every view: a staff session opens the desk (the
``staff`` blueprint), static files and the language switch, nothing else; a
customer session never opens the desk, its login included. Either is refused
with 403, so no view of one kind has to know the other exists.
"""

from __future__ import annotations

from flask import Flask, abort, request
from flask_login import current_user

STAFF_BLUEPRINT = "staff"
#: Endpoints outside the desk that a staff session may use.
STAFF_SHARED_ENDPOINTS = frozenset({"static", "main.set_language", "healthz", "readyz"})


def is_staff() -> bool:
    """Whether the signed-in person (if any) is a staff member."""
    return bool(current_user.is_authenticated and getattr(current_user, "is_staff", False))


def separate() -> None:
    if not current_user.is_authenticated or request.endpoint is None:
        return
    on_desk = request.blueprint == STAFF_BLUEPRINT
    if is_staff():
        if not on_desk and request.endpoint not in STAFF_SHARED_ENDPOINTS:
            abort(403)
    elif on_desk:
        abort(403)


def register(app: Flask) -> None:
    app.before_request(separate)
