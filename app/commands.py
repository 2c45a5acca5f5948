"""Command-line tools, registered in one place: ``flask --app wsgi <group> <command>``."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

customers_cli = AppGroup("customers", help="The customer register.")
terms_cli = AppGroup("terms", help="Terms of use versions.")
keys_cli = AppGroup("keys", help="The portal's keys for the FTN identification profile.")
audit_cli = AppGroup("audit", help="The audit trail of security events.")


#: Exit status when another import holds the lock (EX_TEMPFAIL): a timer retries later.
EXIT_BUSY = 75


@customers_cli.command("import")
@click.argument("customers_csv", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("services_csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--delta", is_flag=True, help="Add and update only; remove nothing.")
@click.option("--dry-run", is_flag=True, help="Print the summary; change nothing.")
@click.option("--allow-shrink", is_flag=True, help="Allow a snapshot to remove many rows.")
@click.option("--delimiter", type=click.Choice(["auto", ",", ";", "tab"]), default="auto")
@click.option("--encoding", type=click.Choice(["auto", "utf-8", "windows-1252"]), default="auto")
def import_customers(customers_csv: Path, services_csv: Path, **flags) -> None:
    """Import CUSTOMERS_CSV and SERVICES_CSV, by default as the whole register (snapshot).

    Exit status: 0 imported (or dry run), 1 refused (nothing changed; see
    `customers imports`), 75 another import is running (nothing changed).
    """
    from app.models import ImportMode
    from app.services.customers.importer import ImportBusy, ImportRefused, import_register
    from app.services.imports.runner import Options

    config = current_app.config
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
            shrink_limit=float(config["IMPORT_SHRINK_LIMIT_PERCENT"]),
            on_summary=_print_summary,
            on_total=start,
            progress=lambda done: bar.update(done),
        )
        try:
            import_register(
                customers_csv,
                services_csv,
                identity_key=config["IDENTITY_KEY"],
                allow_temporary=config["IDENTITY_ALLOW_TEMPORARY"],
                mode=ImportMode.DELTA if flags["delta"] else ImportMode.SNAPSHOT,
                options=options,
                encoding=flags["encoding"],
                delimiter=flags["delimiter"],
            )
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


@customers_cli.command("imports")
@click.option("--limit", type=int, default=50, show_default=True)
def list_imports(limit: int) -> None:
    """The import history, newest first: time, mode, files, counts, outcome."""
    from app.services.imports import history

    for run in history.runs(limit):
        occurred = run.occurred_at.isoformat(timespec="seconds")
        click.echo(f"{occurred}  {run.kind} {run.mode.value:8}  {history.describe(run)}")


@customers_cli.command("demo")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def demo_register(directory: Path) -> None:
    """Write a demo register (customers.csv, services.csv, persons.json) to DIRECTORY."""
    from app.services.customers.demo import write_demo_register

    for path in write_demo_register(directory):
        click.echo(path)


@customers_cli.command("lookup")
@click.argument("customer_number")
def lookup(customer_number: str) -> None:
    """For customer service: does CUSTOMER_NUMBER link to a username? (codes stay masked)"""
    from app.services.customers.support import describe_customer

    click.echo(describe_customer(customer_number))


@terms_cli.command("publish")
@click.argument("version")
@click.option("--sv", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
@click.option("--fi", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
@click.option("--en", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
def publish_terms(version: str, sv: Path, fi: Path, en: Path) -> None:
    """Publish terms VERSION with one text file per language."""
    from app.services.terms import TermsError, publish

    try:
        terms = publish(version, {"sv": sv, "fi": fi, "en": en})
    except TermsError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Published terms version {terms.version} at {terms.published_at.isoformat()}.")


@keys_cli.command("generate")
@click.option(
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write the key files (default: instance/keys).",
)
def generate_keys(directory: Path | None) -> None:
    """Create the signing and encryption key pair files (never overwrites)."""
    from app.services.identification.keys import generate_key_files

    directory = directory or Path(current_app.instance_path) / "keys"
    try:
        signing, encryption = generate_key_files(directory)
    except FileExistsError as error:
        raise click.ClickException(f"{error} exists already; remove it to rotate keys.") from None
    click.echo(f"SELFIE_OIDC_SIGNING_KEY_FILE={signing}")
    click.echo(f"SELFIE_OIDC_ENCRYPTION_KEY_FILE={encryption}")


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    from datetime import UTC

    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@audit_cli.command("list")
@click.option("--since", help="ISO date or time, e.g. 2026-11-01.")
@click.option("--limit", type=int, default=100, show_default=True)
def audit_list(since: str | None, limit: int) -> None:
    """Show security events, oldest first."""
    from app.services.accounts import audit

    for item in audit.events(_since(since), limit):
        click.echo(
            f"{item.occurred_at.isoformat()}  {item.event:22} {item.username or '-':30} "
            f"{item.client_ip or '-':15} {item.detail}"
        )


@audit_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv")
@click.option("--since", help="ISO date or time.")
def audit_export(fmt: str, since: str | None) -> None:
    """Write security events to standard output as CSV or JSON lines."""
    from app.services.accounts import audit

    for chunk in audit.export(audit.events(_since(since)), fmt):
        click.echo(chunk, nl=False)


@audit_cli.command("prune")
def audit_prune() -> None:
    """Delete events older than SELFIE_AUDIT_RETENTION_DAYS (and expired login locks)."""
    from app.services.accounts import audit
    from app.services.accounts.service import prune_throttles

    days = int(current_app.config["AUDIT_RETENTION_DAYS"])
    click.echo(f"Deleted {audit.prune(days)} event(s) older than {days} days.")
    click.echo(f"Forgot {prune_throttles()} expired login lock(s).")


def register(app: Flask) -> None:
    for group in (customers_cli, terms_cli, keys_cli, audit_cli):
        app.cli.add_command(group)
