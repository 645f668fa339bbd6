"""Messages → Blocked numbers: the blocklist in the console (``messages.view``).

* ``GET /console/messages/blocked``: blocked numbers, masked, with when each
  was last heard from; a form to block a number.
* ``POST /console/messages/blocked``: block ``number`` (any way people write
  a Malian number); audited ``numbers.block`` with the contact's id only.
* ``POST /console/messages/blocked/<id>/unblock``: audited ``numbers.unblock``.

A blocked number's messages are still stored (nothing is lost) but never
processed or answered — the same as ``relais numbers block|unblock|blocked``,
which shares :mod:`gateway.blocklist`.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from gateway import audit, blocklist, runtime
from gateway.console import auth
from gateway.console import permissions as perms
from gateway.console.cases import when
from gateway.console.messages import bp
from gateway.models import Contact
from gateway.phones import InvalidNumber, mask, normalize


@bp.get("/messages/blocked")
@perms.requires(perms.MESSAGES_VIEW)
def blocked() -> ResponseReturnValue:
    """The blocked numbers (masked) and the form to block one."""
    with runtime.current().db.session() as session:
        rows = [
            (c.id, mask(c.phone or ""), c.last_seen_at) for c in blocklist.blocked_contacts(session)
        ]
    return render_template("console/messages/blocked.html", rows=rows, when=when)


@bp.post("/messages/blocked")
@perms.requires(perms.MESSAGES_VIEW)
def block() -> ResponseReturnValue:
    """Block the number in the form."""
    back = redirect(url_for("console_messages.blocked"))
    try:
        e164 = normalize(request.form.get("number", "")[:32])
    except InvalidNumber:
        flash(
            _("This is not a valid phone number. Write it like +223 70 00 01 01 or 70 00 01 01."),
            "error",
        )
        return back
    try:
        with runtime.current().db.session() as session:
            contact = blocklist.block(session, e164)
            session.flush()
            _audit(session, "numbers.block", contact.id)
    except blocklist.FocalPointNumber:
        message = _(
            "%(number)s belongs to a focal point: blocking it would drop their answers to "
            "referrals. Mark them inactive in the directory instead.",
            number=mask(e164),
        )
        flash(message, "error")
        return back
    flash(_("%(number)s is blocked.", number=mask(e164)), "success")
    return back


@bp.post("/messages/blocked/<int:contact_id>/unblock")
@perms.requires(perms.MESSAGES_VIEW)
def unblock(contact_id: int) -> ResponseReturnValue:
    """Process and answer this number's messages again."""
    with runtime.current().db.session() as session:
        contact = session.get(Contact, contact_id)
        if not blocklist.unblock(session, contact):
            abort(404)
        _audit(session, "numbers.unblock", contact_id)
        number = mask(contact.phone or "") if contact is not None else ""
    flash(_("%(number)s is no longer blocked.", number=number), "success")
    return redirect(url_for("console_messages.blocked"))


def _audit(session: Session, action: str, contact_id: int) -> None:
    # The contact's id only: the number itself never goes into the audit log.
    audit.record(session, auth.current().username, action, "contact", str(contact_id))
