"""Demo invoices for ``make demo``: an invoices.csv and a small PDF per invoice.

Dates are relative to the day the demo is written, so the demo always has an
open invoice, an overdue one, paid ones and a credit note to show.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

from app.services.invoices.importer import COLUMNS
from app.services.invoices.payment import national_reference, rf_reference

DEMO_IBAN = "FI21 1234 5600 0007 85"

# (invoice number, customer number, days from today to the due date, amount, status, RF?)
_INVOICES = [
    ("2026001001", "100001", -46, "78,70", "paid", False),
    ("2026001002", "100001", 14, "1 234,50", "open", False),
    ("2026001003", "100002", 9, "29,90", "open", True),
    ("2026001004", "100003", -30, "84,60", "paid", False),
    ("2026001005", "100003", -6, "84,60", "open", False),
    ("2026001006", "100004", 12, "64,80", "open", False),
    ("2026001007", "100004", -20, "-15,00", "credited", False),
    ("2026001008", "100005", -16, "29,90", "paid", False),
    ("2026001009", "100006", 20, "12,50", "open", True),
]


def demo_pdf(title: str, lines: list[str]) -> bytes:
    """A small valid one-page PDF (Helvetica text), with a correct cross-reference table."""
    text = [f"BT /F1 16 Tf 56 780 Td ({title}) Tj ET"]
    text += [f"BT /F1 11 Tf 56 {740 - 18 * i} Td ({line}) Tj ET" for i, line in enumerate(lines)]
    stream = "\n".join(text).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def write_demo_invoices(directory: Path, today: date | None = None) -> tuple[Path, Path]:
    """Write ``invoices.csv`` and ``invoice-pdfs/`` to ``directory``; returns both paths."""
    today = today or date.today()
    pdf_dir = directory / "invoice-pdfs"
    pdf_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for number, customer, due_in, amount, status, rf in _INVOICES:
        due = today + timedelta(days=due_in)
        national = national_reference(number)
        reference = rf_reference(national) if rf else national
        cents = int(amount.replace(" ", "").replace(",", ""))
        vat = f"{cents - round(cents / 1.255):d}".rjust(3, "0")
        pdf_name = f"{number}.pdf"
        lines = [f"Customer number {customer}", f"Due date {due:%d.%m.%Y}", f"Amount EUR {amount}"]
        (pdf_dir / pdf_name).write_bytes(demo_pdf(f"JNT invoice {number}", lines))
        rows.append(
            {
                "invoice_number": number,
                "customer_number": customer,
                "invoice_date": (due - timedelta(days=14)).isoformat(),
                "due_date": due.isoformat(),
                "amount": amount,
                "vat_amount": f"{vat[:-2]},{vat[-2:]}".replace("-,", "-0,"),
                "status": status,
                "reference": reference,
                "iban": DEMO_IBAN,
                "pdf_file": pdf_name,
            }
        )
    path = directory / "invoices.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    return path, pdf_dir
