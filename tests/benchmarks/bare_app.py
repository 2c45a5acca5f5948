"""The bench's baseline: a bare Flask app rendering a Jinja template of a given size.

Same gunicorn settings as Selfie, no database, no session, no extensions: what
the web stack alone costs for a page of ``SELFIE_BARE_BYTES`` bytes.
"""

from __future__ import annotations

import os

from flask import Flask, render_template_string

ROW = "<tr><td>{{ row.name }}</td><td>{{ row.details }}</td><td>{{ row.price }}</td></tr>\n"
PAGE = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{{ title }}</title>"
    "</head><body><main><h1>{{ title }}</h1><table>{% for row in rows %}" + ROW + "{% endfor %}"
    "</table></main></body></html>"
)

app = Flask(__name__)
_bytes = int(os.environ.get("SELFIE_BARE_BYTES", "10000"))
_ROWS = [
    {"name": f"Service {n}", "details": "Fibre 100/100 Mbit/s, Storgatan 1", "price": "39,90 €"}
    for n in range(max(1, _bytes // 90))
]


@app.get("/")
def page():
    return render_template_string(PAGE, title="Bare page", rows=_ROWS)
