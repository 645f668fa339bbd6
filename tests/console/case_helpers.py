"""Helpers for the Cases and Messages page tests: the demo directory and routed alerts.

``make_case(...)`` stores an alert the way a finished conversation does
(:func:`gateway.alerts.create_alert`, with the reporter's first message
before it) and routes it with the real routing job, so the referral, its
events and the referral SMS (a ``queued`` outbox row) exist like in
production. ``separated`` in Commune V goes to IOM (``iom-bko-bm`` first),
``abuse`` to DNPEF.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import runtime
from gateway.alerts import create_alert
from gateway.config import PROJECT_ROOT
from gateway.models import Alert, AuditEvent, Contact, Message, Referral
from gateway.referrals import store

REPORTER = "+22376123445"
DIRECTORY = PROJECT_ROOT / "examples" / "bamako-directory.yaml"
_ids = itertools.count(1)
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def load_directory() -> None:
    """Load the demo directory into the test database."""
    store.load_file(runtime.current().db, DIRECTORY)


def make_case(
    *,
    concern: str = "separated",
    place: str = "ML-BKO-C5",
    risk: str = "high",
    landmark: str = "Marché Badalabougou",
    details: str | None = "Pleure seule",
    callback: bool = True,
    updates: bool = True,
    phone: str = REPORTER,
    training: bool = False,
    route: bool = True,
) -> str:
    """Store (and route, as the app does on commit) an alert; return its reference."""
    hooks = runtime.current().alert_hooks
    saved = list(hooks)
    if not route:
        hooks.clear()  # an alert the app could not route (yet)
    try:
        return _store_case(
            concern, place, risk, landmark, details, callback, updates, phone, training
        )
    finally:
        hooks[:] = saved


def _store_case(
    concern: str,
    place: str,
    risk: str,
    landmark: str,
    details: str | None,
    callback: bool,
    updates: bool,
    phone: str,
    training: bool,
) -> str:
    with runtime.current().db.session() as session:
        contact = Contact.get_or_create(session, phone, training=training)
        session.add(
            Message(
                direction="in",
                channel="twilio",
                provider="twilio",
                provider_id=f"SMtest{next(_ids)}",
                contact=contact,
                body="Bonjour",
                status="handled",
                kind="sms",
                is_training=training,
            )
        )
        session.flush()
        answers = {
            "concern": concern,
            "place": place,
            "landmark": landmark,
            "children_count": 2,
            "sex": "girl",
            "age_band": "5-11",
            "immediate_danger": "yes" if risk == "high" else "no",
            "risk": risk,
            "details": details,
            "consent_callback": "yes" if callback else "no",
            "consent_messages": "yes" if updates else "no",
        }
        alert = create_alert(
            session,
            contact=contact,
            answers=answers,
            language="fr",
            channel="twilio",
            via="sms",
            training=training,
        )
        reference = alert.reference
    return reference


def add_bare_alerts(count: int, start: dt.datetime) -> None:
    """``count`` real alerts not routed, one a minute from ``start`` (references
    ``PGAAAA``, ``PGAAAB``…): enough to fill pages of the list."""
    with runtime.current().db.session() as session:
        for n in range(count):
            session.add(
                Alert(
                    reference=f"PG{n:04d}".replace("0", "A").replace("1", "B"),
                    channel="twilio",
                    via="sms",
                    language="fr",
                    concern="other",
                    place="ML-BKO",
                    sex="unknown",
                    age_band="unknown",
                    immediate_danger="no",
                    risk="low",
                    created_at=start + dt.timedelta(minutes=n),
                )
            )


def referrals_of(reference: str) -> list[Referral]:
    """The referrals of the alert ``reference`` (events and alert loaded), oldest first."""
    with runtime.current().db.session() as session:
        rows = list(
            session.scalars(
                select(Referral)
                .join(Alert)
                .where(Alert.reference == reference)
                .order_by(Referral.id)
            )
        )
        for row in rows:
            _ = row.events, row.alert, row.alert.contact
        return rows


def audit_rows(action: str) -> list[AuditEvent]:
    """Audit events of ``action``, oldest first."""
    with runtime.current().db.session() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


def as_if_unknown(page: str, reference: str) -> str:
    """``page`` with ``reference`` written ``REF`` and its CSRF tokens blanked, to
    compare with the page of a reference that does not exist word for word
    (a token carries the second it was made: two requests may differ there)."""
    return _TOKEN.sub('name="csrf_token" value=""', page).replace(reference, "REF")


def token(client: FlaskClient, path: str) -> str:
    """A CSRF token from the page at ``path``."""
    found = _TOKEN.search(client.get(path).get_data(as_text=True))
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def post(client: FlaskClient, path: str, form: dict[str, str], *, page: str = "/console/"):
    """POST ``form`` with a valid CSRF token (taken from ``page``)."""
    return client.post(path, data={"csrf_token": token(client, page), **form})


def refuse_until_nobody_is_left(reference: str) -> list[str]:
    """Every person the case reaches refuses it (the code NON runs); returns
    ``agency/person`` of each refusal, in order (the last left nobody)."""
    from gateway.referrals import actions

    refused: list[str] = []
    for _ in range(20):
        with runtime.current().db.session() as session:
            alert = session.scalars(select(Alert).where(Alert.reference == reference)).one()
            referral = actions.current_referral(session, alert)
            assert referral is not None
            person = referral.focal_point_id or ""
            refused.append(f"{referral.agency_id}/{person}")
            if not actions.reject(session, referral, person, actions.SMS, "pas dispo"):
                return refused
    raise AssertionError(f"never stopped: {refused}")


@contextmanager
def current_referral(reference: str) -> Iterator[tuple[Session, Referral]]:
    """A session and the case's current referral (committed at the end)."""
    from gateway.referrals import actions

    with runtime.current().db.session() as session:
        alert = session.scalars(select(Alert).where(Alert.reference == reference)).one()
        referral = actions.current_referral(session, alert)
        assert referral is not None
        yield session, referral
