from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")

from app.web.account import routes  # noqa: E402,F401  (routes attach themselves to bp)
