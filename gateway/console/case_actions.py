"""Acting on a case from the console: ``POST /console/cases/<reference>/act/<action>``.

Actions (``cases.act`` and the case visible to the user: a trainer acts on
training cases only, whose SMS all stay in the sandbox): ``accept`` (the
person the referral waits on takes it), ``assign`` (the referral SMS again,
to another focal point of the agency), ``transfer`` (to another agency of
the directory), ``note``, ``close`` (with an outcome) and ``reply`` (one SMS
to the reporter; ``preview`` shows it as it will be sent, GSM-7 folded,
without sending). They go through :mod:`gateway.referrals.actions`, the code
the focal points' SMS commands use, so the lifecycle decides what is
allowed; a refused action is a message on the case page and changes nothing.
A close or a transfer is done only when confirmed: the first POST shows what
will happen and asks (:mod:`gateway.console.case_confirm`), a wrong choice in
its form is a 422 page saying so.
Each action is recorded on the referral (actor: the username, channel
``console``) and audited as ``case.<action>`` (never with the text typed).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict

from gateway import audit, runtime
from gateway.console import auth, case_confirm, case_query, form_once, i18n
from gateway.console import permissions as perms
from gateway.console.cases import render_case
from gateway.encoding import UCS2, TextInfo, is_gsm7, prepare
from gateway.models import Referral
from gateway.referrals import actions
from gateway.referrals.actions import CONSOLE, ActionError
from gateway.referrals.lifecycle import LifecycleError, display_status

bp = Blueprint("console_case_actions", __name__, url_prefix="/console")
ACTIONS = ("accept", "assign", "transfer", "note", "close", "reply")
TEXT_MAX = 1000
ERRORS = {
    "no_referral": _l("This alert has not been referred to an agency yet."),
    "no_directory": _l("No directory is loaded."),
    "unknown_agency": _l("Choose an agency of the directory."),
    "same_agency": _l("The case is already with this agency."),
    "nobody_at_agency": _l("Nobody of this agency is active to receive the case: choose another."),
    "unknown_focal_point": _l("Choose an active focal point of the case's agency."),
    "bad_outcome": _l("Choose an outcome from the list."),
    "empty": _l("Write a text first."),
    "too_long": _l("The text is too long for one SMS: shorten it."),
    "no_reporter": _l(
        "The reporter cannot be texted: no consent to SMS updates, opted out or blocked."
    ),
    "already_accepted": _l("Someone else has already accepted this referral."),
}
DONE = {
    "accept": _l("The referral is accepted."),
    "assign": _l("The referral was sent again to the chosen focal point."),
    "transfer": _l("The case was transferred."),
    "note": _l("The note is saved."),
    "close": _l("The case is closed."),
    "reply": _l("The SMS to the reporter is queued."),
}


def _text(form: MultiDict[str, str], name: str) -> str:
    return form.get(name, "")[:TEXT_MAX]


def _perform(session: Session, user: str, action: str, referral: Referral) -> tuple[str, str]:
    """Do ``action`` on ``referral``; return the audit detail (no personal data) and the
    focal point staff accepted for who could not be told by SMS ("" when none)."""
    form = request.form
    if action == "accept":
        holder = referral.focal_point_id or user
        told = actions.accept(session, referral, user, CONSOLE, holder=holder)
        return f"holder {holder}", "" if told else holder
    if action == "assign":
        person = form.get("focal_point", "")[:64]
        actions.assign(session, referral, person, user, CONSOLE)
        return f"to {person}", ""
    if action == "transfer":
        new = actions.transfer(session, referral, form.get("agency", "")[:64], user, CONSOLE)
        return f"from {referral.agency_id} to {new.agency_id}", ""
    if action == "note":
        actions.note(session, referral, _text(form, "note"), user, CONSOLE)
        return "", ""
    if action == "close":
        outcome = form.get("outcome", "")[:32]
        note = _text(form, "note").strip() or None
        actions.close(session, referral, outcome, user, CONSOLE, note_text=note)
        return f"outcome {outcome}", ""
    message = actions.reply_to_reporter(session, referral, _text(form, "text"), user, CONSOLE)
    return f"message {message.id}", ""


def _too_long(info: TextInfo) -> str:
    """Why the reply needs more than one SMS, naming the characters to blame if any."""
    outside = [char for char in dict.fromkeys(info.text) if not is_gsm7(char)]
    if info.encoding != UCS2 or not outside:
        return str(ERRORS["too_long"])
    return str(
        _(
            "%(chars)s is not in the SMS alphabet: with it one SMS holds 70 characters instead"
            " of 160. Remove it or shorten the text.",
            chars=" ".join(outside[:5]),
        )
    )


def _preview(reference: str, error: str = "", *, refused: bool = False) -> ResponseReturnValue:
    """The case page with the reply as it will be sent (nothing is sent)."""
    text = _text(request.form, "text")
    with runtime.current().db.session() as session:
        found = case_query.visible_case(session, auth.current(), reference)
        if found is None:
            abort(404)
        sms = actions.reply_text(found[0], text)
    info = prepare(sms)
    reply: dict[str, Any] = {
        "text": text,
        "sms": info.text,
        "length": info.length,
        "segments": info.segments,
        "error": error or (_too_long(info) if info.segments > 1 else ""),
    }
    return render_case(reference, reply=reply, status=400 if error or refused else 200)


@bp.post("/cases/<reference>/act/<action>")
@perms.requires(perms.CASES_ACT)
def act(reference: str, action: str) -> ResponseReturnValue:
    """Do one action on the case ``reference`` (see the module docstring)."""
    if action not in ACTIONS:
        abort(404)
    if action == "reply" and "preview" in request.form:
        return _preview(reference)
    user = auth.current()
    page = url_for("console_cases.detail", reference=reference.upper())
    # A close or a transfer is only checked (nothing changes) until confirmed.
    confirming = case_confirm.needs_confirmation(action, request.form)
    once = "" if confirming else request.form.get(form_once.FIELD, "")
    if not form_once.claim(user.id, once):  # a double click: the first POST acts
        flash(_("This form was already sent: it is acted on once. The case is below."), "info")
        return redirect(page)
    acted = False
    try:
        response, acted = _act(reference, action, user, page, confirming)
        return response
    finally:
        if not acted:  # refused or failed: the same form may be sent again
            form_once.release(user.id, once)


def _act(
    reference: str, action: str, user: Any, page: str, confirming: bool
) -> tuple[ResponseReturnValue, bool]:
    """The response to ``action`` on the case, and whether the action was done."""
    untold = ""
    try:
        with runtime.current().db.session() as session:
            found = case_query.visible_case(session, user, reference)
            if found is None:
                abort(404)
            alert, referral = found
            if referral is None:
                raise ActionError("no_referral")
            if confirming:
                asked = case_confirm.question(session, alert, referral, action, request.form)
            elif action in case_confirm.CONFIRMED and case_confirm.changed_since_asked(
                referral, request.form
            ):
                raise StaleDataError("confirmed a question about an older state of the case")
            else:
                # Staff accepted for a focal point whose number cannot receive:
                # the SMS telling them was not sent; the user must tell them.
                detail, untold = _perform(session, user.username, action, referral)
                audit.record(
                    session, user.username, f"case.{action}", "alert", alert.reference, detail
                )
            # After a transfer, agency staff no longer see the case; others may.
            still_visible = case_query.visible_case(session, user, reference) is not None
    except LifecycleError as error:
        status = display_status(error.status, i18n.select_locale())
        flash(_("Not possible while the referral is “%(status)s”.", status=status), "error")
        return redirect(page), False
    except StaleDataError:  # someone (a focal point, the escalation) changed it meanwhile
        flash(_("The case changed while you were acting on it: check it and try again."), "error")
        return redirect(page), False
    except ActionError as error:
        message = str(ERRORS.get(error.code, ERRORS["empty"]))
        if confirming:  # a wrong choice in the form: the page says so, as other forms do
            return render_case(reference, confirm={"error": message}, status=422), False
        if action == "reply" and error.code == "too_long":  # the preview says why
            return _preview(reference, refused=True), False
        if action == "reply":
            return _preview(reference, message), False
        flash(message, "error")
        return redirect(page), False
    if confirming:  # the page (in its own session) asks; nothing was changed
        return render_case(reference, confirm=asked), False
    flash(str(DONE[action]), "success")
    if untold:
        flash(
            _(
                "%(person)s could not be told by SMS (their number cannot receive):"
                " tell them another way.",
                person=untold,
            ),
            "error",
        )
    if not still_visible:
        return redirect(url_for("console_cases.index")), True
    return redirect(page), True
