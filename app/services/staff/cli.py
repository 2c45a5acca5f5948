"""``flask --app wsgi staff add|remove|list``: staff accounts of the customer-service desk."""

from __future__ import annotations

import click
from email_validator import EmailNotValidError
from flask.cli import AppGroup

from app.services.accounts import audit
from app.services.staff import accounts as staff_accounts

staff_cli = AppGroup("staff", help="Staff accounts of the customer-service desk (/staff).")
CLI_CLIENT = audit.Client(ip="", user_agent="cli")


@staff_cli.command("add")
@click.argument("email")
def add(email: str) -> None:
    """Create a staff account for EMAIL and print its one-time set-up link (24 hours).

    For an address not yet set up, a new link replaces the earlier one.
    """
    try:
        new = staff_accounts.add(email)
        url = staff_accounts.setup_url(new.token)
    except EmailNotValidError as error:
        raise click.ClickException(f"Not an e-mail address: {error}") from None
    except staff_accounts.StaffExists:
        raise click.ClickException(
            f"{email} is already set up; `staff remove` it first to issue a new link."
        ) from None
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None
    audit.record(audit.Event.STAFF_ADDED, CLI_CLIENT, account=new.staff)
    expires = new.expires_at.isoformat(timespec="minutes")
    click.echo(f"Set-up link for {new.staff.email} (valid once, until {expires}):")
    click.echo(url)


@staff_cli.command("remove")
@click.argument("email")
def remove(email: str) -> None:
    """Delete the staff account EMAIL; its sessions end at once."""
    try:
        staff = staff_accounts.remove(email)
    except staff_accounts.StaffNotFound:
        raise click.ClickException(f"No staff account {email}.") from None
    audit.record(audit.Event.STAFF_REMOVED, CLI_CLIENT, username=staff.email)
    click.echo(f"Removed staff account {staff.email}.")


@staff_cli.command("list")
def list_staff() -> None:
    """Every staff account, and whether it has been set up."""
    for staff in staff_accounts.all_staff():
        state = (
            f"set up {staff.enrolled_at.isoformat(timespec='minutes')}"
            if staff.enrolled_at
            else "waiting for set-up"
        )
        click.echo(f"{staff.email:40} {state}")
