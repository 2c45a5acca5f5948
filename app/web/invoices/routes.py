"""Fakturor: the invoices of the account's linked customer numbers, and billing's PDFs."""

from io import BytesIO

from flask import current_app, render_template, request, send_file
from flask_login import current_user, login_required

from app.services.customers import linking
from app.services.invoices import queries
from app.web.invoices import bp
from app.web.scoping import linked_or_404


@bp.get("/")
@login_required
def index():
    ref = current_user.identity_ref
    customers = linking.linked_customers(ref)
    return render_template(
        "invoices/index.html",
        groups=queries.invoices_by_customer(ref, customers),
        today=queries.finnish_today(),
    )


@bp.get("/<invoice_number>")
@login_required
def invoice(invoice_number: str):
    item = linked_or_404(queries.linked_invoice(current_user.identity_ref, invoice_number))
    today = queries.finnish_today()
    return render_template(
        "invoices/invoice.html",
        invoice=item,
        today=today,
        payment=queries.payment_details(item, today),
        bic=current_app.config["INVOICE_BIC"],
    )


@bp.get("/<invoice_number>/pdf")
@login_required
def pdf(invoice_number: str):
    """Billing's PDF byte for byte, to the linked only; ``?download=1`` saves it instead."""
    content = linked_or_404(queries.linked_pdf(current_user.identity_ref, invoice_number))
    response = send_file(
        BytesIO(content),
        mimetype="application/pdf",
        as_attachment=request.args.get("download") == "1",
        download_name=f"invoice-{invoice_number}.pdf",
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
