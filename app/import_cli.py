"""What the import commands share: their options, and speaking for the shared runner."""

from __future__ import annotations

import sys
from contextlib import ExitStack

import click
from flask import current_app

#: Exit status when another import holds the lock (EX_TEMPFAIL): a timer retries later.
EXIT_BUSY = 75


def import_options(command):
    """The options every import shares (the register's and the invoices')."""
    for option in reversed(
        [
            click.option("--delta", is_flag=True, help="Add and update only; remove nothing."),
            click.option("--dry-run", is_flag=True, help="Print the summary; change nothing."),
            click.option(
                "--allow-shrink", is_flag=True, help="Allow a snapshot to remove many rows."
            ),
            click.option(
                "--delimiter", type=click.Choice(["auto", ",", ";", "tab"]), default="auto"
            ),
            click.option(
                "--encoding",
                type=click.Choice(["auto", "utf-8", "windows-1252"]),
                default="auto",
            ),
        ]
    ):
        command = option(command)
    return command


def run_import(flags: dict, start_import) -> None:
    """Run ``start_import(mode, options)`` through the shared runner, speaking for it.

    Prints the summary, a progress bar while writing, every ``FILE:LINE: reason``
    of a refusal and what was detected; exits 1 when refused, 75 when busy.
    """
    from app.models import ImportMode
    from app.services.imports.locking import ImportBusy
    from app.services.imports.runner import ImportRefused, Options

    with ExitStack() as stack:
        bar = None

        def start(total: int) -> None:  # the files are valid and allowed: show the writing
            nonlocal bar
            bar = stack.enter_context(
                click.progressbar(length=total, label="Importing", file=sys.stderr)
            )

        options = Options(
            dry_run=flags["dry_run"],
            allow_shrink=flags["allow_shrink"],
            shrink_limit=float(current_app.config["IMPORT_SHRINK_LIMIT_PERCENT"]),
            on_summary=_print_summary,
            on_total=start,
            progress=lambda done: bar.update(done),
        )
        try:
            start_import(ImportMode.DELTA if flags["delta"] else ImportMode.SNAPSHOT, options)
        except ImportBusy as busy:
            click.echo(f"Error: {busy}", err=True)
            sys.exit(EXIT_BUSY)
        except ImportRefused as refused:
            for problem in refused.problems:
                click.echo(str(problem), err=True)
            reason = (
                f"{len(refused.problems)} problem(s) found" if refused.problems else str(refused)
            )
            raise click.ClickException(f"{reason}; nothing was imported.") from None
        finally:
            for note in options.notes:
                click.echo(f"Note: {note}", err=True)
    click.echo("Dry run: nothing was changed." if flags["dry_run"] else "Imported.")


def _print_summary(summary) -> None:
    for table, counts in summary.items():
        click.echo(f"{table.capitalize()}: {counts}.")
