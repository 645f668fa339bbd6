"""The console's Cases pages (blueprint ``console_cases``).

* ``GET /console/cases``: alerts with their current referral, filtered by a
  GET form (status, agency, concern, place, risk, overdue, period, training
  data), 50 a page, scoped by role (:mod:`gateway.console.case_query`).
* ``GET /console/cases/<reference>``: the alert's answers, its referrals and
  a timeline of events and messages with their delivery history. Every view
  is audited (``case.view``). An agency user asking for another agency's
  case, or a trainer for a real one, gets 404, exactly as for a reference
  that does not exist.
* ``POST /console/cases/<reference>/reveal``: the same page with the
  reporter's number, only when the reporter agreed to be called back and the
  user may act on the case (for a trainer, only a simulated phone's number);
  audited (``case.reveal``).

Actions on a case are in :mod:`gateway.console.case_actions`, the CSV export
in :mod:`gateway.console.export`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import audit, runtime
from gateway.console import auth, case_labels, case_query, i18n
from gateway.console import permissions as perms
from gateway.console.case_timeline import timeline
from gateway.console.directory_forms import places_in_force
from gateway.models import Alert, FocalPointRecord, Referral
from gateway.phones import mask_numbers_in
from gateway.referrals import actions, lookups, notes
from gateway.referrals.lifecycle import allowed_events
from gateway.referrals.outcomes import OUTCOMES

bp = Blueprint("console_cases", __name__, url_prefix="/console")
VIEW = perms.CASES_VIEW_ANY
TEMPLATES = "console/cases/"


def when(value: dt.datetime | None) -> str:
    """A stored time as ``2025-01-14 14:05`` (UTC, which is Bamako time)."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") if value else "-"


def place_name(code: str) -> str:
    """The name of a place code in the console's language."""
    return "?" if code in ("", "unknown") else places_in_force().name(code, i18n.select_locale())


@bp.get("/cases")
@perms.requires(*VIEW)
def index() -> ResponseReturnValue:
    """The list of cases the user may see."""
    user = auth.current()
    filters = case_query.parse_filters(request.args)
    with runtime.current().db.session() as session:
        rows, has_next = case_query.page_of_cases(session, user, filters)
        # Trainers' training cases are any agency's: they may filter by agency too.
        training_only = perms.training_only(user)
        everywhere = perms.visible_agency_ids(user) is None or training_only
        agencies = case_labels.agency_choices(session) if everywhere else []
        return render_template(
            TEMPLATES + "index.html",
            rows=rows,
            has_next=has_next,
            filters=filters,
            agencies=agencies,
            training_only=training_only,
            statuses=case_labels.referral_status_choices(),
            places=case_query.place_choices(i18n.select_locale()),
            overdue=case_query.overdue,
            when=when,
            place_name=place_name,
            can_export=perms.can_any(user, perms.EXPORT_PERSONAL, perms.EXPORT_PSEUDONYMISED),
            **case_labels.template_labels(),
        )


def may_act(user: Any, referral: Referral | None) -> bool:
    """True when ``user`` may act on a case whose current referral is ``referral``."""
    return (
        referral is not None
        and perms.can(user, perms.CASES_ACT)
        and perms.can_see_case(user, referral.agency_id, referral.is_training)
    )


def may_reveal(session: Session, user: Any, alert: Alert, referral: Referral | None) -> bool:
    """True when ``user`` may see the reporter's number (consent and the right to act).

    A user who sees training data only (a trainer) sees a simulated phone's
    number only: a training alert sent from a real contact's number (``relais
    simulate --number``), or from a number the directory now gives a focal
    point, keeps it hidden from them.
    """
    if not (alert.consent_callback and alert.contact and may_act(user, referral)):
        return False
    return not perms.training_only(user) or lookups.is_simulated_phone(session, alert.contact)


def _action_context(session: Session, referral: Referral | None) -> dict[str, Any]:
    """What the action forms offer for the current referral."""
    if referral is None:
        return {"allowed": [], "focal_points": [], "transfer_to": []}
    focal_points = list(
        session.scalars(
            select(FocalPointRecord)
            .where(
                FocalPointRecord.agency_id == referral.agency_id,
                FocalPointRecord.removed.is_(False),
                FocalPointRecord.active.is_(True),
            )
            .order_by(FocalPointRecord.id)
        )
    )
    return {
        "allowed": allowed_events(referral.status),
        "focal_points": [(fp.id, fp.name) for fp in focal_points],
        "transfer_to": [
            (id_, name)
            for id_, name in case_labels.agency_choices(session)
            if id_ != referral.agency_id
        ],
    }


def accepted_for_by(referral: Referral) -> str | None:
    """The console user who accepted ``referral`` for the person who holds it now.

    None when its holder accepted it themselves, or it was assigned to someone
    else since (the newest acceptance no longer names its holder).
    """
    accepts = [event for event in referral.events if event.event == "accept"]
    if not accepts or accepts[-1].channel != actions.CONSOLE:
        return None
    holder = notes.console_accept_holder(accepts[-1].note)
    return accepts[-1].actor if holder is not None and holder == referral.accepted_by else None


def render_case(
    reference: str,
    *,
    reveal: bool = False,
    reply: dict[str, Any] | None = None,
    confirm: dict[str, Any] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    """The case page (audited as ``case.view``; ``reveal`` adds the reporter's number).

    ``reply`` is the preview of an SMS to the reporter, ``confirm`` the question
    asked before a close or a transfer (or its ``error``).
    """
    user = auth.current()
    with runtime.current().db.session() as session:
        found = case_query.visible_case(session, user, reference)
        if found is None:
            abort(404)
        alert, current = found
        if reveal and not may_reveal(session, user, alert, current):
            abort(403)
        referrals = list(
            session.scalars(
                select(Referral).where(Referral.alert_id == alert.id).order_by(Referral.id)
            )
        )
        audit.record(session, user.username, "case.view", "alert", alert.reference)
        number = None
        if reveal and alert.contact is not None:
            number = alert.contact.phone
            audit.record(session, user.username, "case.reveal", "alert", alert.reference)
        body = render_template(
            TEMPLATES + "detail.html",
            alert=alert,
            current=current,
            referrals=referrals,
            entries=timeline(session, alert, referrals),
            number=number,
            # The bodies hold numbers too (the INFO SMS gives the reporter's
            # to the focal point): shown only with the audited reveal.
            shown=str if number else mask_numbers_in,
            can_act=may_act(user, current),
            can_reveal=may_reveal(session, user, alert, current),
            can_reply=actions.can_reply(alert),
            accepted_for_by=accepted_for_by,
            reply=reply or {},
            confirm=confirm or {},
            outcome_codes=OUTCOMES,
            overdue=case_query.overdue(current),
            when=when,
            place_name=place_name,
            **_action_context(session, current),
            **case_labels.template_labels(),
        )
    return body, status


@bp.get("/cases/<reference>")
@perms.requires(*VIEW)
def detail(reference: str) -> ResponseReturnValue:
    """One case: answers, referrals, timeline (audited)."""
    return render_case(reference)


@bp.post("/cases/<reference>/reveal")
@perms.requires(perms.CASES_ACT)
def reveal(reference: str) -> ResponseReturnValue:
    """The case page with the reporter's number (consent required; audited)."""
    return render_case(reference, reveal=True)
