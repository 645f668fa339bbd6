"""``relais numbers block|unblock|blocked``: the blocklist of phone numbers.

A blocked number's messages are still stored (nothing is lost) but never
processed and never answered. Numbers are shown masked.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from gateway import audit, blocklist, runtime
from gateway.models import Contact
from gateway.phones import InvalidNumber, mask, normalize


@click.group("numbers")
def numbers_group() -> None:
    """Blocked phone numbers."""


def _number(raw: str) -> str:
    try:
        return normalize(raw)
    except InvalidNumber:
        raise click.BadParameter(f"not a valid phone number: {raw!r}") from None


@numbers_group.command("block")
@click.argument("number")
@with_appcontext
def block(number: str) -> None:
    """Stop processing and answering messages from NUMBER."""
    e164 = _number(number)
    with runtime.current().db.session() as session:
        try:
            contact = blocklist.block(session, e164)
        except blocklist.FocalPointNumber as exc:
            raise click.ClickException(
                f"{mask(e164)} is focal point {exc}'s: mark them inactive in the directory instead"
            ) from None
        # The contact's id only, as the console does: never the number.
        audit.record(session, audit.CLI, "numbers.block", "contact", str(contact.id))
    click.echo(f"blocked {mask(e164)}")


@numbers_group.command("unblock")
@click.argument("number")
@with_appcontext
def unblock(number: str) -> None:
    """Process messages from NUMBER again."""
    e164 = _number(number)
    with runtime.current().db.session() as session:
        contact = Contact.find(session, e164)
        if contact is None or not blocklist.unblock(session, contact):
            raise click.ClickException(f"{mask(e164)} is not blocked")
        audit.record(session, audit.CLI, "numbers.unblock", "contact", str(contact.id))
    click.echo(f"unblocked {mask(e164)}")


@numbers_group.command("blocked")
@with_appcontext
def blocked() -> None:
    """List blocked numbers (masked)."""
    with runtime.current().db.session() as session:
        rows = blocklist.blocked_contacts(session)
        for contact in rows:
            click.echo(mask(contact.phone or ""))
        click.echo(f"{len(rows)} blocked number(s)")
