from flask import Blueprint

from app.services.invoices.queries import shown_status

bp = Blueprint("invoices", __name__, url_prefix="/account/invoices")
bp.add_app_template_global(shown_status, "invoice_status")

from app.web.invoices import routes  # noqa: E402,F401  (routes attach themselves to bp)
