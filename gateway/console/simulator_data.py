"""What the training simulator shows: phone threads, focal points, training alerts.

Read-only queries for :mod:`gateway.console.simulator`, always limited to
training data (``is_training``): a simulator page can never show a real
reporter's or a real referral's messages.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import Alert, Contact, Message, Referral
from gateway.models.message import Direction
from gateway.referrals import store
from gateway.simulate import training_number

THREAD_LIMIT = 40


@dataclass(frozen=True)
class Line:
    """One message of a phone's thread."""

    direction: str  # in: sent by the phone; out: sent by Relais
    text: str
    status: str
    label: str


@dataclass(frozen=True)
class FocalChoice:
    """A focal point of the directory in force."""

    id: str
    agency: str
    name: str
    phone: str
    active: bool
    language: str  # of the texts Relais sends this person (fr or en)


def reporter_number(session: Session, user_id: int) -> str:
    """The user's simulated reporter number (see :func:`gateway.simulate.training_number`)."""
    return training_number(session, user_id)


def focal_choices(session: Session) -> list[FocalChoice]:
    """The focal points of the directory in force, in directory order."""
    directory = store.current(session)
    if directory is None:
        return []
    return [
        FocalChoice(
            fp.id,
            agency.id,
            fp.name,
            fp.phone,
            fp.active,
            next((lang for lang in fp.languages if lang in ("fr", "en")), "fr"),
        )
        for agency in directory.agencies
        for fp in agency.focal_points
    ]


def status_label(status: str) -> str:
    return str(_("waiting for the worker")) if status in ("queued", "retrying") else ""


def thread(session: Session, contact_id: int | None, *, since: int = 0) -> list[Line]:
    """The latest SMS to and from a contact (training only), oldest first."""
    if contact_id is None:
        return []
    rows = session.execute(
        select(Message.direction, Message.body, Message.status)
        .where(
            Message.contact_id == contact_id,
            Message.is_training.is_(True),
            Message.kind != "ussd",
            Message.id > since,
        )
        .order_by(Message.id.desc())
        .limit(THREAD_LIMIT)
    ).all()
    return [
        Line(str(d), body or "", str(s), status_label(str(s)) if d == Direction.OUT else "")
        for d, body, s in reversed(rows)
    ]


def contact_id_of(session: Session, number: str) -> int | None:
    contact = Contact.find(session, number)
    return contact.id if contact else None


def selected_focal_point(
    choices: list[FocalChoice], wanted: str | None, session: Session, contact_id: int | None
) -> FocalChoice | None:
    """The focal point asked for, else who got this phone's latest referral, else the first."""
    by_id = {c.id: c for c in choices}
    if wanted in by_id:
        return by_id[wanted]
    latest = session.scalar(
        select(Referral.focal_point_id)
        .join(Alert, Alert.id == Referral.alert_id)
        .where(Alert.contact_id == (contact_id or -1), Alert.is_training.is_(True))
        .order_by(Referral.updated_at.desc(), Referral.id.desc())
        .limit(1)
    )
    return by_id.get(latest or "") or (choices[0] if choices else None)


def latest_referral(session: Session, fp_id: str, contact_id: int | None) -> tuple[str, str] | None:
    """This phone's newest training alert referred to (or accepted by) this focal
    point: (reference, the referral's status)."""
    row = session.execute(
        select(Alert.reference, Referral.status)
        .join(Referral, Referral.alert_id == Alert.id)
        .where(
            Alert.contact_id == (contact_id or -1),
            Alert.is_training.is_(True),
            (Referral.focal_point_id == fp_id) | (Referral.accepted_by == fp_id),
        )
        .order_by(Referral.id.desc())
        .limit(1)
    ).first()
    return (str(row[0]), str(row[1])) if row else None


def quick_answers(reference: str, status: str, language: str) -> list[str]:
    """The commands a focal point would send next on a referral in ``status``.

    Waiting: accept or ask for details; accepted: details or close; anything
    else (closed, transferred, refused): nothing to offer, the trainer types.
    """
    if status in ("notified", "escalated"):
        return [f"OK {reference}", f"INFO {reference}"]
    if status == "accepted":
        close = "CLOSE {} reunified" if language == "en" else "FIN {} réunifié"
        return [f"INFO {reference}", close.format(reference)]
    return []


def my_alerts(session: Session, contact_id: int | None) -> list[tuple[str, str]]:
    """The reporter's latest training alerts: (reference, status)."""
    rows = session.execute(
        select(Alert.reference, Alert.status)
        .where(Alert.contact_id == (contact_id or -1), Alert.is_training.is_(True))
        .order_by(Alert.id.desc())
        .limit(5)
    ).all()
    return [(str(ref), str(status)) for ref, status in rows]


def version_of(*threads: list[Line]) -> str:
    """A short fingerprint of the threads: the script redraws them when it changes."""
    blob = json.dumps([[asdict(line) for line in t] for t in threads], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
