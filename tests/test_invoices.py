"""Invoices: the import's bad-input table, scoping of pages and PDFs, payment details."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import Result

from app.extensions import db
from app.models import ImportMode, ImportRun, Invoice, InvoiceDocument
from app.services.customers.importer import ImportRefused
from app.services.invoices.demo import demo_pdf, write_demo_invoices
from app.services.invoices.importer import COLUMNS, import_invoices
from tests.test_account import count_queries, sign_up

PDF = demo_pdf("Invoice", ["a test"])


def invoice_row(**changes) -> dict:
    row = {
        "invoice_number": "9000001",
        "customer_number": "100001",
        "invoice_date": "2026-11-01",
        "due_date": "2099-11-15",
        "amount": "1234,50",
        "vat_amount": "246,00",
        "status": "open",
        "reference": "12345 67907",
        "iban": "FI21 1234 5600 0007 85",
        "pdf_file": "9000001.pdf",
    }
    row.update(changes)
    return row


def write_invoices(directory: Path, rows: list[dict], pdfs: dict[str, bytes] | None = None):
    directory.mkdir(parents=True, exist_ok=True)
    pdf_dir = directory / "pdfs"
    pdf_dir.mkdir(exist_ok=True)
    for name, content in (pdfs if pdfs is not None else {"9000001.pdf": PDF}).items():
        (pdf_dir / name).write_bytes(content)
    path = directory / "invoices.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    return path, pdf_dir


def stored_invoices(app) -> list[tuple]:
    with app.app_context():
        return [
            (i.invoice_number, i.status.value, str(i.amount), i.pdf_sha256)
            for i in db.session.scalars(db.select(Invoice).order_by(Invoice.invoice_number))
        ]


# -- import ------------------------------------------------------------------------------
BAD_ROWS = [
    ({"reference": "12345 67908"}, "check digit"),
    ({"reference": "RF19 1234"}, "RF creditor reference"),
    ({"iban": "FI21 1234 5600 0007 86"}, "invalid IBAN"),
    ({"iban": "FI21 1234"}, "invalid IBAN"),
    ({"amount": "-10,00"}, "negative amount on an invoice that is not credited"),
    ({"vat_amount": "-1,00", "status": "paid"}, "negative vat_amount"),
    ({"pdf_file": "missing.pdf"}, "'missing.pdf' is missing"),
    ({"pdf_file": "../9000001.pdf"}, "plain file name"),
    ({"customer_number": "999999"}, "unknown customer_number 999999"),
    ({"status": "lost"}, "unknown status 'lost'"),
    ({"due_date": "15.11.2099"}, "bad due_date"),
    ({"amount": "12,345"}, "bad amount"),
    ({"invoice_number": ""}, "empty value in: invoice_number"),
    ({"invoice_number": "12/34"}, "invoice_number may hold only"),
]


@pytest.mark.parametrize(("changes", "reason"), BAD_ROWS)
def test_a_bad_row_refuses_the_whole_file(app, demo_register, tmp_path, changes, reason):
    good = invoice_row(invoice_number="9000002", pdf_file="")
    path, pdf_dir = write_invoices(tmp_path, [good, invoice_row(**changes)])
    with app.app_context(), pytest.raises(ImportRefused) as refused:
        import_invoices(path, pdf_dir)
    [problem] = refused.value.problems
    assert str(problem).startswith(f"{path}:3: ") and reason in str(problem)
    assert stored_invoices(app) == []


def test_a_file_that_is_not_a_pdf_is_refused(app, demo_register, tmp_path):
    path, pdf_dir = write_invoices(tmp_path, [invoice_row()], {"9000001.pdf": b"<html>"})
    with app.app_context(), pytest.raises(ImportRefused, match="1 problem"):
        import_invoices(path, pdf_dir)


def test_a_credit_note_may_be_negative(app, demo_register, tmp_path):
    row = invoice_row(amount="-15,00", vat_amount="-3,05", status="credited", pdf_file="")
    path, pdf_dir = write_invoices(tmp_path, [row])
    with app.app_context():
        assert import_invoices(path, pdf_dir)["invoices"].added == 1
    assert stored_invoices(app) == [("9000001", "credited", "-15.00", None)]


def test_importing_the_same_file_twice_changes_nothing(app, demo_register, tmp_path):
    path, pdf_dir = write_invoices(tmp_path, [invoice_row()])
    with app.app_context():
        first = import_invoices(path, pdf_dir)["invoices"]
        second = import_invoices(path, pdf_dir)["invoices"]
        content = db.session.scalar(db.select(InvoiceDocument.content))
    assert (first.added, second.added, second.changed, second.unchanged) == (1, 0, 0, 1)
    assert content == PDF


def test_a_changed_pdf_replaces_the_stored_bytes(app, demo_register, tmp_path):
    path, pdf_dir = write_invoices(tmp_path, [invoice_row()])
    other = demo_pdf("Corrected", ["new"])
    with app.app_context():
        import_invoices(path, pdf_dir)
        (pdf_dir / "9000001.pdf").write_bytes(other)
        assert import_invoices(path, pdf_dir)["invoices"].changed == 1
        assert db.session.scalars(db.select(InvoiceDocument.content)).all() == [other]


def test_the_cli_prints_file_line_reason_and_imports_nothing(app, demo_register, tmp_path):
    path, pdf_dir = write_invoices(tmp_path, [invoice_row(reference="12345 67908")])
    result: Result = app.test_cli_runner().invoke(
        args=["invoices", "import", str(path), "--pdf-dir", str(pdf_dir)]
    )
    assert result.exit_code != 0
    assert f"{path}:2: the reference's check digit is wrong" in result.output
    assert stored_invoices(app) == []


def test_the_cli_imports_a_good_file(app, demo_register, tmp_path):
    path, pdf_dir = write_invoices(tmp_path, [invoice_row()])
    result = app.test_cli_runner().invoke(
        args=["invoices", "import", str(path), "--pdf-dir", str(pdf_dir)]
    )
    assert result.exit_code == 0, result.output
    assert "Invoices: 1 added, 0 changed, 0 removed, 0 unchanged." in result.output
    assert len(stored_invoices(app)) == 1


# -- pages ---------------------------------------------------------------------------
@pytest.fixture
def demo_invoices(app, demo_register, tmp_path):
    path, pdf_dir = write_demo_invoices(tmp_path / "invoices")
    with app.app_context():
        import_invoices(path, pdf_dir)
    return pdf_dir


def test_the_list_shows_each_linked_customers_invoices_newest_first(
    demo_invoices, registration, client
):
    sign_up(registration, "anna.andersson")
    page = client.get("/account/invoices/").text
    assert "Customer number 100001" in page and "Customer number 100002" in page
    assert page.index("2026001002") < page.index("2026001001")  # newer first
    assert "2026001005" not in page  # Matti's


def test_amounts_are_in_the_locale_with_a_group_separator(demo_invoices, registration, client):
    sign_up(registration, "anna.andersson")
    client.set_cookie("selfie_lang", "sv")
    page = client.get("/account/invoices/2026001002").text
    assert "<dd>1\u00a0234,50 €</dd>" in page  # a no-break space groups the thousands


def test_an_open_invoice_shows_the_payment_details_and_the_virtual_barcode(
    app, demo_invoices, registration, client
):
    app.config["INVOICE_BIC"] = "NDEAFIHH"
    sign_up(registration, "anna.andersson")
    page = client.get("/account/invoices/2026001002").text
    assert "FI21 1234 5600 0007 85" in page and "NDEAFIHH" in page
    with app.app_context():
        invoice = db.session.scalar(db.select(Invoice).filter_by(invoice_number="2026001002"))
    code = f"4{'21123456000007850012345000'}0{invoice.reference.rjust(20, '0')}"
    code += invoice.due_date.strftime("%y%m%d")
    assert f'<code id="barcode" class="barcode" aria-labelledby="barcode-title">{code}</code>' in (
        page
    )


def test_a_paid_invoice_has_no_payment_details(demo_invoices, registration, client):
    sign_up(registration, "anna.andersson")
    page = client.get("/account/invoices/2026001001").text
    assert "Paid" in page and 'id="barcode"' not in page


def test_an_open_invoice_past_its_due_date_is_shown_overdue_calmly(
    demo_invoices, registration, client
):
    sign_up(registration, "matti.virtanen")
    page = client.get("/account/invoices/2026001005").text
    assert "Overdue" in page and "If you have already paid, there is nothing more to do" in page
    services = client.get("/account/services").text
    assert "2026001005" in services and "Past the due date and not yet paid" in services


def test_the_services_page_summarises_the_next_open_invoice(demo_invoices, registration, client):
    sign_up(registration, "anna.andersson")
    page = client.get("/account/services").text
    assert "Next invoice to pay" in page and "2026001003" in page


def test_the_pdf_is_served_byte_for_byte_without_caching(demo_invoices, registration, client):
    sign_up(registration, "anna.andersson")
    response = client.get("/account/invoices/2026001002/pdf")
    assert response.status_code == 200
    assert response.data == (demo_invoices / "2026001002.pdf").read_bytes()
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == "inline; filename=invoice-2026001002.pdf"
    download = client.get("/account/invoices/2026001002/pdf?download=1")
    assert download.headers["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    "path",
    ["/account/invoices/2026001005", "/account/invoices/2026001005/pdf", "/account/invoices/x"],
)
def test_another_customers_invoice_or_pdf_is_not_found(demo_invoices, registration, client, path):
    sign_up(registration, "anna.andersson")
    assert client.get(path).status_code == 404


def test_a_co_holder_who_is_not_linked_sees_no_invoices(demo_invoices, registration, client):
    sign_up(registration, "maria.lindqvist")
    page = client.get("/account/invoices/").text
    assert "2026001006" not in page
    assert "a co-holder whose personal identity code was not given sees no invoices" in page
    assert client.get("/account/invoices/2026001006/pdf").status_code == 404


def test_the_linked_holder_is_told_about_the_co_holder(demo_invoices, registration, client):
    sign_up(registration, "erik.lindqvist")
    page = client.get("/account/invoices/").text
    assert "2026001006" in page and "also carry the name Maria Lindqvist" in page


def test_invoices_need_a_login(demo_invoices, client):
    response = client.get("/account/invoices/2026001002/pdf")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_invoice_list_runs_a_fixed_number_of_queries(
    app, demo_invoices, registration, client, tmp_path
):
    sign_up(registration, "anna.andersson")
    client.get("/account/invoices/")  # the welcome message is shown once, then the session is quiet
    with count_queries(app) as few:
        client.get("/account/invoices/")
    rows = [
        invoice_row(invoice_number=f"91{i:05d}", customer_number=f"10000{1 + i % 2}", pdf_file="")
        for i in range(40)
    ]
    path, pdf_dir = write_invoices(tmp_path / "many", rows, {})
    with app.app_context():
        import_invoices(path, pdf_dir, mode=ImportMode.DELTA)
    with count_queries(app) as many:
        page = client.get("/account/invoices/").text
    assert page.count("/account/invoices/91") == 40
    assert len(many) == len(few)


def test_the_pages_speak_swedish_and_finnish(demo_invoices, registration, client):
    sign_up(registration, "anna.andersson")
    client.set_cookie("selfie_lang", "sv")
    assert "<h1>Fakturor</h1>" in client.get("/account/invoices/").text
    client.set_cookie("selfie_lang", "fi")
    assert "<h1>Laskut</h1>" in client.get("/account/invoices/").text


def test_invoice_lookups_are_indexed(app):
    with app.app_context():
        inspector = db.inspect(db.engine)
        indexes = {tuple(i["column_names"]) for i in inspector.get_indexes("invoices")}
        unique = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("invoices")}
    assert ("customer_id", "invoice_date") in indexes
    assert ("invoice_number",) in unique


def test_an_invoice_page_and_its_pdf_run_few_queries(app, demo_invoices, registration, client):
    sign_up(registration, "anna.andersson")
    with count_queries(app) as page:
        client.get("/account/invoices/2026001002")
    with count_queries(app) as pdf:
        client.get("/account/invoices/2026001002/pdf")
    # The session layer's three (read, re-read and write), the account, then one query for
    # the invoice with its customer, or for the PDF.
    assert len(page) <= 5, [s.split()[:4] for s in page]
    assert len(pdf) <= 5, [s.split()[:4] for s in pdf]


def test_a_dry_run_counts_and_writes_nothing(app, demo_register, tmp_path):
    path, pdf_dir = write_invoices(tmp_path, [invoice_row()])
    result = app.test_cli_runner().invoke(
        args=["invoices", "import", str(path), "--pdf-dir", str(pdf_dir), "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "Dry run: nothing was changed." in result.output and "1 added" in result.output
    assert stored_invoices(app) == []


# -- snapshot, delta, guard, history (the shared import runner) -------------------------
def numbers(app) -> list[str]:
    return [number for number, *_ in stored_invoices(app)]


def rows(count: int) -> list[dict]:
    return [invoice_row(invoice_number=f"92{i:05d}", pdf_file="") for i in range(count)]


def test_a_snapshot_removes_the_invoices_and_pdfs_the_file_lacks(app, demo_register, tmp_path):
    first, pdf_dir = write_invoices(tmp_path / "a", [invoice_row(), *rows(20)])
    second, _ = write_invoices(tmp_path / "b", rows(20), {})
    with app.app_context():
        import_invoices(first, pdf_dir)
        summary = import_invoices(second, pdf_dir)
        documents = db.session.scalars(db.select(InvoiceDocument)).all()
    assert summary["invoices"].removed == 1
    assert "9000001" not in numbers(app) and len(numbers(app)) == 20
    assert documents == []


def test_a_delta_removes_nothing(app, demo_register, tmp_path):
    first, pdf_dir = write_invoices(tmp_path / "a", rows(3))
    second, _ = write_invoices(tmp_path / "b", [invoice_row(pdf_file="")], {})
    with app.app_context():
        import_invoices(first, pdf_dir)
        import_invoices(second, pdf_dir, mode=ImportMode.DELTA)
    assert len(numbers(app)) == 4


def test_a_snapshot_that_would_remove_many_invoices_needs_allow_shrink(
    app, demo_register, tmp_path
):
    first, pdf_dir = write_invoices(tmp_path / "a", rows(10))
    second, _ = write_invoices(tmp_path / "b", rows(5), {})
    args = ["invoices", "import", str(second), "--pdf-dir", str(pdf_dir)]
    with app.app_context():
        import_invoices(first, pdf_dir)
    refused = app.test_cli_runner().invoke(args=args)
    assert refused.exit_code == 1
    assert "would remove 5 of 10 invoices" in refused.output and len(numbers(app)) == 10
    allowed = app.test_cli_runner().invoke(args=[*args, "--allow-shrink"])
    assert allowed.exit_code == 0, allowed.output
    assert len(numbers(app)) == 5


def test_imports_and_refusals_are_in_the_history(app, demo_register, tmp_path):
    good, pdf_dir = write_invoices(tmp_path / "a", [invoice_row()])
    bad, _ = write_invoices(tmp_path / "b", [invoice_row(iban="FI00")], {})
    with app.app_context():
        import_invoices(good, pdf_dir)
        with pytest.raises(ImportRefused):
            import_invoices(bad, pdf_dir)
        runs = db.session.scalars(
            db.select(ImportRun).filter_by(kind="invoices").order_by(ImportRun.id)
        ).all()
        history = [(r.kind, r.outcome.split(":")[0], r.files[0]["name"]) for r in runs]
        counts = runs[0].counts["invoices"]
    assert history == [("invoices", "ok", "invoices.csv"), ("invoices", "refused", "invoices.csv")]
    assert counts["added"] == 1
    listed = app.test_cli_runner().invoke(args=["customers", "imports"])
    assert listed.output.count("invoices snapshot") == 2


def test_a_removed_customers_number_is_unknown_to_the_invoice_import(app, demo_register, tmp_path):
    from app.models import Customer, utcnow

    with app.app_context():
        customer = db.session.scalar(db.select(Customer).filter_by(customer_number="100001"))
        customer.removed_at = utcnow()
        db.session.commit()
    path, pdf_dir = write_invoices(tmp_path, [invoice_row()])
    with app.app_context(), pytest.raises(ImportRefused, match="unknown customer_number 100001"):
        import_invoices(path, pdf_dir)
