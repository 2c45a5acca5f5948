"""Command-line tools, registered in one place: ``flask --app wsgi <group> <command>``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.import_cli import import_options, run_import

customers_cli = AppGroup("customers", help="The customer register.")
terms_cli = AppGroup("terms", help="Terms of use versions.")
keys_cli = AppGroup("keys", help="The portal's keys for the FTN identification profile.")
audit_cli = AppGroup("audit", help="The audit trail of security events.")
invoices_cli = AppGroup("invoices", help="Invoices from billing.")


@customers_cli.command("import")
@click.argument("customers_csv", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("services_csv", type=click.Path(dir_okay=False, path_type=Path))
@import_options
def import_customers(customers_csv: Path, services_csv: Path, **flags) -> None:
    """Import CUSTOMERS_CSV and SERVICES_CSV, by default as the whole register (snapshot).

    Exit status: 0 imported (or dry run), 1 refused (nothing changed; see
    `customers imports`), 75 another import is running (nothing changed).
    """
    from app.services.customers.importer import import_register

    config = current_app.config
    run_import(
        flags,
        lambda mode, options: import_register(
            customers_csv,
            services_csv,
            identity_key=config["IDENTITY_KEY"],
            allow_temporary=config["IDENTITY_ALLOW_TEMPORARY"],
            mode=mode,
            options=options,
            encoding=flags["encoding"],
            delimiter=flags["delimiter"],
        ),
    )


@customers_cli.command("imports")
@click.option("--limit", type=int, default=50, show_default=True)
def list_imports(limit: int) -> None:
    """The import history, newest first: time, mode, files, counts, outcome."""
    from app.services.imports import history

    for run in history.runs(limit):
        occurred = run.occurred_at.isoformat(timespec="seconds")
        click.echo(f"{occurred}  {run.kind} {run.mode.value:8}  {history.describe(run)}")


@invoices_cli.command("import")
@click.argument("invoices_csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--pdf-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The folder of the PDFs named in the pdf_file column.",
)
@import_options
def import_invoices(invoices_csv: Path, pdf_dir: Path | None, **flags) -> None:
    """Import INVOICES_CSV and its PDFs, by default as all invoices (snapshot).

    Exit status as for `customers import`; the history is `customers imports`.
    """
    from app.services.invoices.importer import import_invoices as run

    run_import(
        flags,
        lambda mode, options: run(
            invoices_csv,
            pdf_dir,
            mode=mode,
            options=options,
            encoding=flags["encoding"],
            delimiter=flags["delimiter"],
        ),
    )


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


def parse_since(value: str | None) -> datetime | None:
    """``--since`` as an aware datetime: a date or time without a zone is UTC."""
    if not value:
        return None
    from datetime import UTC

    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        message = f"{value!r} is not a date like 2026-11-01"
        raise click.BadParameter(message, param_hint="--since") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@audit_cli.command("list")
@click.option("--since", help="ISO date or time, e.g. 2026-11-01.")
@click.option("--limit", type=int, default=100, show_default=True)
def audit_list(since: str | None, limit: int) -> None:
    """Show security events, oldest first."""
    from app.services.accounts import audit

    for item in audit.events(parse_since(since), limit):
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

    for chunk in audit.export(audit.events(parse_since(since)), fmt):
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
    from app.services.requests.cli import requests_cli
    from app.services.staff.cli import staff_cli

    groups = (customers_cli, invoices_cli, terms_cli, keys_cli, audit_cli, requests_cli, staff_cli)
    for group in groups:
        app.cli.add_command(group)
