"""``flask --app wsgi requests …``: hand requests to billing and take statuses back."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.services.accounts import audit

requests_cli = AppGroup("requests", help="Customers' requests to customer service.")


@requests_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv")
@click.option("--since", help="ISO date or time: requests created or changed since then.")
def export_requests(fmt: str, since: str | None) -> None:
    """Write requests (all, or changed since --since) to standard output, oldest first."""
    from app.commands import parse_since
    from app.services.requests.export import export

    for chunk in export(parse_since(since), fmt):
        click.echo(chunk, nl=False)


@requests_cli.command("set-status")
@click.argument("reference")
@click.argument("status", type=click.Choice(["received", "in_progress", "done", "rejected"]))
@click.option("--note", default="", help="What the customer sees, e.g. the reason for a rejection.")
def set_status(reference: str, status: str, note: str) -> None:
    """Set the status of request REFERENCE (and the note the customer sees); audited."""
    from app.services import requests

    try:
        item, changed = requests.set_status(
            reference, requests.RequestStatus(status), note=note, actor="cli", commit=False
        )
    except requests.RequestNotFound:
        raise click.ClickException(f"no request {reference}") from None
    except requests.StatusNotAllowed:
        raise click.ClickException(f"request {reference} was cancelled by the customer") from None
    if not changed:
        click.echo(f"Request {reference} is already {status}; nothing changed.")
        return
    audit.record(
        audit.Event.REQUEST_STATUS_CHANGED,
        audit.Client(user_agent="cli"),
        username="cli",
        detail=f"request {item.reference} {status}",
    )
    click.echo(f"Request {item.reference}: {status}.")
