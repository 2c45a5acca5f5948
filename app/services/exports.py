"""CSV and JSON-lines exports the operator opens in a spreadsheet or feeds to billing."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence


def inert(value: object) -> object:
    """Text typed by customers comes from outside: keep spreadsheets from running
    it as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def serialise(rows: Iterable[dict[str, object]], fields: Sequence[str], fmt: str) -> Iterator[str]:
    """Rows as CSV (a header, every cell made inert) or as JSON lines (values as they are)."""
    if fmt == "jsonl":
        for row in rows:
            yield json.dumps(row, ensure_ascii=False) + "\n"
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields)
    writer.writeheader()
    for row in rows:
        writer.writerow({name: inert(value) for name, value in row.items()})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
