"""Asking staff to confirm a close or a transfer before it is done.

A close or a transfer cannot be undone from the console, and one mis-click
would close a child's case or send it to another agency. The console's CSP
forbids inline script, so the confirmation is server-side: the first POST of
the form (without ``confirm``) checks the choice with
:mod:`gateway.referrals.checks` and shows the case page with a confirmation
section — what will happen, in words, and a [Confirm] form repeating the
choice with ``confirm=1`` (and a CSRF token) beside a Cancel link. Only that
second POST acts (and is audited, in :mod:`gateway.console.case_actions`).

The confirmation names the referral it was asked about and its version: when
the case changed in between (a focal point's SMS, another user, a transfer),
the second POST is refused (:func:`changed_since_asked`) rather than acting
on something the user was never shown.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from gateway.console import case_labels
from gateway.models import Alert, Referral
from gateway.referrals import checks

CONFIRMED = ("close", "transfer")  # the actions asked twice
NOTE_MAX = 1000


def needs_confirmation(action: str, form: MultiDict[str, str]) -> bool:
    """True when ``action`` must be confirmed and ``form`` is not the confirmation."""
    return action in CONFIRMED and form.get("confirm") != "1"


def seen(referral: Referral) -> dict[str, str]:
    """The referral a confirmation was asked about, as hidden form fields."""
    return {"referral": str(referral.id), "version": str(referral.version)}


def changed_since_asked(referral: Referral, form: MultiDict[str, str]) -> bool:
    """True when ``form`` confirms a question about another referral or version."""
    return any(form.get(name) != value for name, value in seen(referral).items())


def question(
    session: Session, alert: Alert, referral: Referral, action: str, form: MultiDict[str, str]
) -> dict[str, Any]:
    """What the confirmation section shows for ``action`` (raises as the action would)."""
    if action == "close":
        return _close(alert, referral, form)
    return _transfer(session, alert, referral, form)


def _close(alert: Alert, referral: Referral, form: MultiDict[str, str]) -> dict[str, Any]:
    outcome = form.get("outcome", "")[:32]
    checks.check_close(referral, outcome)
    note = form.get("note", "")[:NOTE_MAX].strip()
    return {
        "action": "close",
        "fields": {"outcome": outcome, "note": note, **seen(referral)},
        "title": _("Close case %(reference)s?", reference=alert.reference),
        "question": _(
            "Close case %(reference)s with the outcome “%(outcome)s”?",
            reference=alert.reference,
            outcome=case_labels.label(case_labels.OUTCOMES, outcome),
        ),
        "note": note,
        "consequence": _(
            "A closed case cannot be reopened. The reporter is told it is closed"
            " if they asked for SMS news."
        ),
        "button": _("Confirm: close the case"),
    }


def _transfer(
    session: Session, alert: Alert, referral: Referral, form: MultiDict[str, str]
) -> dict[str, Any]:
    directory, target, people = checks.transfer_plan(session, referral, form.get("agency", "")[:64])
    current = directory.agency(referral.agency_id)
    return {
        "action": "transfer",
        "fields": {"agency": target.id, **seen(referral)},
        "title": _("Transfer case %(reference)s?", reference=alert.reference),
        "question": _(
            "Transfer case %(reference)s from %(current)s to %(target)s?",
            reference=alert.reference,
            current=current.name if current else referral.agency_id,
            target=target.name,
        ),
        "note": "",
        "consequence": _(
            "%(person)s of %(target)s receives the referral SMS; %(current)s no longer holds"
            " the case.",
            person=checks.first_reachable(session, people),
            target=target.name,
            current=current.name if current else referral.agency_id,
        ),
        "button": _("Confirm: transfer the case"),
    }
