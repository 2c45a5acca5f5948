"""One runner for every import: validate whole → summary → guard → one transaction →
history row.

An import (the customer register today, invoices later) is an
:class:`ImportJob`: it reads and validates its files completely, compares
them with what is stored (the summary) and writes. The runner holds the
import lock around all of it, so two imports never interleave, and decides
the rest the same way for every job: a snapshot that would remove more than
the allowed share of any table, or that has a file without data rows, is
refused; a dry run stops after the summary; a refusal of any kind rolls back
and is recorded in the history (with an audit event) like a success.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from app.extensions import db
from app.models import ImportMode
from app.services.imports import history
from app.services.imports.csvfiles import Problem
from app.services.imports.locking import import_lock


class ImportRefused(Exception):
    """Nothing was written. ``reason`` goes to the history; ``problems`` are the files'
    ``FILE:LINE: reason`` lines, when the files themselves were at fault."""

    def __init__(self, reason: str, problems: list[Problem] | None = None):
        self.reason = reason
        self.problems = problems or []
        super().__init__(reason)

    @classmethod
    def for_problems(cls, problems: list[Problem]) -> ImportRefused:
        """The files' problems, summed up for the history by the first one."""
        first = problems[0]
        return cls(
            f"{len(problems)} problem(s) in the files, first {Path(first.file).name}:"
            f"{first.line}: {first.reason}",
            problems,
        )


@dataclass
class Counts:
    """What an import does to one table, by key."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0

    @property
    def stored(self) -> int:
        """Rows shown to customers before the import."""
        return self.changed + self.removed + self.unchanged

    @property
    def in_files(self) -> int:
        return self.added + self.changed + self.unchanged

    def __str__(self) -> str:
        return (
            f"{self.added} added, {self.changed} changed, {self.removed} removed, "
            f"{self.unchanged} unchanged"
        )


#: Per table (e.g. "customers", "services"), in the order the operator reads them.
Summary = dict[str, Counts]


@dataclass(frozen=True)
class FileInfo:
    path: Path
    sha256: str
    rows: int


class ImportJob(Protocol):
    kind: str  # what is imported: "register" (later "invoices")
    mode: ImportMode

    def validate(self) -> None:
        """Read every file whole; raise :class:`ImportRefused` with every problem."""

    def files(self) -> list[FileInfo]:
        """The files as read (for the history), also after a refusal."""

    def plan(self) -> Summary:
        """Compare with what is stored; nothing written yet."""

    def write(self, run_id: int, progress: Callable[[int], None]) -> None:
        """Write what ``plan`` found, in the runner's transaction."""


@dataclass
class Options:
    dry_run: bool = False
    allow_shrink: bool = False
    #: The largest share (per cent) of any table a snapshot may remove without allow_shrink.
    shrink_limit: float = 10.0
    on_summary: Callable[[Summary], None] = lambda summary: None
    on_total: Callable[[int], None] = lambda total: None
    progress: Callable[[int], None] = lambda done: None
    notes: list[str] = field(default_factory=list)


def guard(mode: ImportMode, summary: Summary, options: Options) -> None:
    """Refuse a snapshot that looks like the wrong file (see the module's docstring)."""
    if mode is not ImportMode.SNAPSHOT:
        return
    for table, counts in summary.items():
        if counts.in_files == 0:
            raise ImportRefused(f"no {table} in the files (a snapshot is the whole register)")
    if options.allow_shrink:
        return
    for table, counts in summary.items():
        if counts.stored and counts.removed * 100 > options.shrink_limit * counts.stored:
            share = counts.removed * 100 / counts.stored
            raise ImportRefused(
                f"would remove {counts.removed} of {counts.stored} {table} ({share:.1f} %, "
                f"more than {options.shrink_limit:g} %); check the files, or give --allow-shrink"
            )


def run(job: ImportJob, options: Options) -> Summary:
    """Run ``job`` under the import lock; returns its summary (also for a dry run).

    Raises :class:`ImportRefused` (recorded in the history) or
    :class:`~app.services.imports.locking.ImportBusy` (another import holds the
    lock; nothing recorded, the other import is).
    """
    summary: Summary = {}
    with import_lock():
        try:
            job.validate()
            summary = job.plan()
            options.on_summary(summary)
            guard(job.mode, summary, options)
            if options.dry_run:
                db.session.rollback()
                return summary
            run_row = history.record(job.kind, job.mode, job.files(), summary, "ok")
            options.on_total(sum(c.added + c.changed + c.removed for c in summary.values()))
            job.write(run_row.id, options.progress)
            db.session.commit()
        except ImportRefused as refused:
            db.session.rollback()
            if not options.dry_run:
                history.record(job.kind, job.mode, job.files(), summary, f"refused: {refused}")
                db.session.commit()
            raise
        except BaseException:
            db.session.rollback()
            raise
    return summary
