"""The customer-service desk at /staff: its own login (password + TOTP), queue and lookup."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from app.web.staff import auth_routes, desk_routes  # noqa: E402,F401  (routes attach to bp)
