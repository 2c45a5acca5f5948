"""The desk's own guard: a signed-in staff member, else the staff login.

A customer's session never reaches a desk view (``app/roles.py`` refuses it
first); this only sends an anonymous visitor to ``/staff/login``.
"""

from __future__ import annotations

import functools

from flask import redirect, request, url_for

from app.roles import is_staff
from app.urls import safe_next


def desk_target(target: str | None) -> str | None:
    """A ``next`` target after the staff login: a local path on the desk, else None."""
    target = safe_next(target)
    return target if target and target.startswith("/staff/") else None


def staff_required(view):
    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if not is_staff():
            target = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("staff.login", next=desk_target(target)))
        return view(*args, **kwargs)

    return guarded
