"""The import history: every import and every refusal (not dry runs), newest first.

Each row names the files (with their SHA-256, so the operator can match a
row to a file billing sent), the rows read, what changed per table and the
outcome, ``ok`` or ``refused: reason``. An audit event is written with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, AuditEventName, ImportMode, ImportRun
from app.services.identity_codes import mask

if TYPE_CHECKING:
    from app.services.imports.runner import FileInfo, Summary


def record(
    kind: str, mode: ImportMode, files: Sequence[FileInfo], summary: Summary, outcome: str
) -> ImportRun:
    """Add the history row and its audit event to the session (the caller commits)."""
    run = ImportRun(
        kind=kind,
        mode=mode,
        files=[{"name": f.path.name, "sha256": f.sha256, "rows": f.rows} for f in files],
        counts={table: vars(counts) for table, counts in summary.items()},
        outcome=mask(outcome)[:500],
    )
    db.session.add(run)
    # Written here rather than through the accounts' audit helper: an import has no
    # request, client or account, only what it did.
    ok = outcome == "ok"
    db.session.add(
        AuditEvent(
            event=(AuditEventName.IMPORT_OK if ok else AuditEventName.IMPORT_REFUSED).value,
            detail=mask(f"{kind} {mode.value}: {describe(run)}")[:2000],
        )
    )
    db.session.flush()
    return run


def runs(limit: int = 50) -> list[ImportRun]:
    return list(
        db.session.scalars(
            select(ImportRun)
            .order_by(ImportRun.occurred_at.desc(), ImportRun.id.desc())
            .limit(limit)
        )
    )


def describe(run: ImportRun) -> str:
    """One line: file names, counts per table, outcome."""
    names = ", ".join(f["name"] for f in run.files) or "-"
    counts = "; ".join(
        f"{table} +{c['added']} ~{c['changed']} -{c['removed']} ={c['unchanged']}"
        for table, c in run.counts.items()
    )
    return f"{names}  {counts or 'no counts'}  {run.outcome}"
