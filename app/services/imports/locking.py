"""One import at a time: a PostgreSQL advisory lock, or a lock file beside SQLite's file.

Two imports started together (the nightly timer and a person) must never
interleave: the second compares with rows the first is still changing. The
second is refused at once with a clear message (and exit status 75 from the
command line), so a timer retries later instead of queueing behind a stuck run.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select

from app.extensions import db

#: The advisory lock's number: any constant, the same in every Selfie process.
ADVISORY_KEY = 0x5E1F1E_1A


class ImportBusy(Exception):
    """Another import holds the lock; nothing was read or written."""

    def __init__(self) -> None:
        super().__init__("another import is running; nothing was imported (try again later)")


@contextmanager
def import_lock() -> Iterator[None]:
    """Hold the import lock for the body; the body's transaction must end inside it."""
    bind = db.session.get_bind()
    if bind.dialect.name == "postgresql":
        # Bound to the session's transaction: released by its commit or rollback.
        if not db.session.scalar(select(func.pg_try_advisory_xact_lock(ADVISORY_KEY))):
            db.session.rollback()
            raise ImportBusy
        yield
        return
    database = bind.url.database
    path = Path(f"{database}.import-lock") if database and database != ":memory:" else None
    if path is None:  # an in-memory database has one connection: nothing can race
        yield
        return
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ImportBusy from None
        yield
    finally:
        os.close(descriptor)  # closing releases the lock
