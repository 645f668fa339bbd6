"""The training simulator: a reporter's phone and the focal points' phones, on screen.

``/console/simulator`` (permission ``simulator.use``) talks to the real flows
through :class:`gateway.simulate.Phone`: sandbox channel, training data, kept
out of reports. Each console user has their own simulated reporter number
(``+223 70 00 0x xx``, from the user id) and their own USSD session (kept in
Redis, encrypted). Focal-point phones show what Relais sent to that focal
point for training alerts and send their commands (training referrals only).

Nothing runs inline after a POST but the conversation step, exactly as a
webhook does: routing and sends are RQ jobs the worker runs. The page works
without JavaScript (a refresh link); ``simulator.js`` polls
``/console/simulator/state.json`` for a few minutes after each page load.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from gateway import audit, runtime
from gateway.console.auth import current
from gateway.console.permissions import (
    CASES_VIEW_ALL,
    CASES_VIEW_TRAINING,
    SIMULATOR_USE,
    can_any,
    requires,
)
from gateway.console.simulator_data import (
    contact_id_of,
    focal_choices,
    latest_referral,
    my_alerts,
    quick_answers,
    reporter_number,
    selected_focal_point,
    thread,
    version_of,
)
from gateway.models import Message
from gateway.simulate import Phone, PhoneState

bp = Blueprint("simulator", __name__, url_prefix="/console/simulator")
STATE_TTL = 12 * 3600
MAX_TEXT = 480


def _state(user_id: int) -> PhoneState:
    return PhoneState.load(runtime.current(), f"relais:sim:{user_id}")


def _keep(state: PhoneState) -> None:
    state.save(runtime.current(), f"relais:sim:{current().id}", STATE_TTL)


def _view(fp_wanted: str | None) -> dict[str, Any]:
    """What the page (and its JSON) shows to the signed-in user."""
    user = current()
    state = _state(user.id)
    with runtime.current().db.session() as session:
        number = reporter_number(session, user.id)
        contact_id = contact_id_of(session, number)
        choices = focal_choices(session)
        selected = selected_focal_point(choices, fp_wanted, session, contact_id)
        focal_id = contact_id_of(session, selected.phone) if selected else None
        reporter, focal = (
            thread(session, contact_id, since=state.since),
            thread(session, focal_id),
        )
        return {
            "version": version_of(reporter, focal),
            "number": number,
            "state": state,
            "reporter_thread": reporter,
            "choices": choices,
            "selected": selected,
            # Only a focal point the user chose stays in links; else the page follows
            # whoever gets the next training referral.
            "fp": fp_wanted if selected and selected.id == fp_wanted else None,
            "focal_thread": focal,
            "quick": _quick(session, selected, contact_id),
            "my_alerts": my_alerts(session, contact_id),
        }


def _quick(session: Any, selected: Any, contact_id: int | None) -> list[str]:
    """Quick answers for the selected focal point's newest training referral."""
    found = latest_referral(session, selected.id, contact_id) if selected else None
    return quick_answers(*found, selected.language) if found else []


@bp.get("")
@requires(SIMULATOR_USE)
def page() -> ResponseReturnValue:
    """The simulator page."""
    statuses = {
        "received": _("received"),
        "in_progress": _("being handled (accepted)"),
        "closed": _("closed"),
    }
    return render_template(
        "console/simulator/index.html",
        alert_statuses=statuses,
        # The training alerts link to their case page for those who may open
        # every training case (coordinators, admins, trainers), whatever its agency.
        can_open_cases=can_any(current(), CASES_VIEW_ALL, CASES_VIEW_TRAINING),
        **_view(request.args.get("fp")),
    )


@bp.get("/state.json")
@requires(SIMULATOR_USE)
def state_json() -> ResponseReturnValue:
    """Both threads as JSON, for ``simulator.js`` (progressive enhancement)."""
    view = _view(request.args.get("fp"))
    reporter = [asdict(line) for line in view["reporter_thread"]]
    focal = [asdict(line) for line in view["focal_thread"]]
    focal_id = view["selected"].id if view["selected"] else ""
    return jsonify(version=view["version"], focal_id=focal_id, reporter=reporter, focal=focal)


def _text() -> str | None:
    text = " ".join((request.form.get("text") or "").split())
    if not text:
        flash(_("Type a message first."), "error")
        return None
    if len(text) > MAX_TEXT:
        flash(_("The message is too long (at most %(n)d characters).", n=MAX_TEXT), "error")
        return None
    return text


def _back(anchor: str) -> ResponseReturnValue:
    fp = request.form.get("fp") or request.args.get("fp") or None
    return redirect(url_for("simulator.page", fp=fp, _anchor=anchor))


def _reporter() -> tuple[Phone, PhoneState]:
    user = current()
    with runtime.current().db.session() as session:
        number = reporter_number(session, user.id)
    phone = Phone(runtime.current(), number)
    state = _state(user.id)
    phone.resume_ussd(state.ussd_session, state.ussd_inputs)
    return phone, state


@bp.post("/sms")
@requires(SIMULATOR_USE)
def send_sms() -> ResponseReturnValue:
    """The reporter's phone sends an SMS to Relais."""
    text = _text()
    if text is not None:
        phone, _state = _reporter()
        phone.sms(text)
    return _back("sms")


@bp.post("/ussd")
@requires(SIMULATOR_USE)
def ussd() -> ResponseReturnValue:
    """The reporter's phone dials the USSD code, answers the screen, or hangs up."""
    action = request.form.get("action", "answer")
    phone, state = _reporter()
    if action in ("dial", "hangup"):
        phone.hang_up()
        screen = phone.dial() if action == "dial" else ""
    elif phone.ussd_session is None:
        flash(_("No USSD session is open: dial first."), "error")
        return _back("ussd")
    else:
        text = _text()
        if text is None:
            return _back("ussd")
        screen = phone.ussd(text)
    state.ussd_session, state.ussd_inputs, state.screen = (
        phone.ussd_session,
        phone.ussd_inputs,
        screen,
    )
    _keep(state)
    return _back("ussd")


@bp.post("/reset")
@requires(SIMULATOR_USE)
def reset() -> ResponseReturnValue:
    """Start the reporter's phone afresh (alerts and messages stay)."""
    phone, _state = _reporter()
    phone.reset()
    with runtime.current().db.session() as session:
        state = PhoneState(
            since=session.scalar(select(Message.id).order_by(Message.id.desc())) or 0
        )
        audit.record(session, current().username, "simulator.reset", "user", current().username)
    _keep(state)
    flash(_("The simulated phone starts afresh."), "success")
    return _back("reporter")


@bp.post("/focal/<fp_id>")
@requires(SIMULATOR_USE)
def focal_send(fp_id: str) -> ResponseReturnValue:
    """A simulated focal point answers Relais (training referrals only)."""
    with runtime.current().db.session() as session:
        choice = next((c for c in focal_choices(session) if c.id == fp_id), None)
    if choice is None:
        abort(404)
    text = _text()
    if text is not None:
        Phone(runtime.current(), choice.phone).focal_sms(text)
        with runtime.current().db.session() as session:
            actor = current().username
            audit.record(session, actor, "simulator.focal_command", "focal_point", fp_id)
    return redirect(url_for("simulator.page", fp=fp_id, _anchor="focal"))
