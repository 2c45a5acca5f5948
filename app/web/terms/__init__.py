from flask import Blueprint

bp = Blueprint("terms", __name__, url_prefix="/terms")

from app.web.terms import routes  # noqa: E402,F401  (routes attach themselves to bp)
