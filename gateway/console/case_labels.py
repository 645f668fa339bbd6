"""Words for the codes stored on cases and messages, in the console's language.

Each mapping gives a lazy text (translated when rendered); :func:`label`
falls back to the code itself for anything unknown, so a new code shows up
rather than breaking the page. Selects show these words (and agencies' names
from the directory, :func:`agency_choices`) and send the codes. Referral statuses use
:func:`gateway.referrals.lifecycle.display_status`, like every other screen.
The notes Relais itself writes on referral events (stored in English, like
``assigned to …``) are shown in the console's language by :func:`note_words`
(:data:`NOTES`); a note a person wrote is shown as written.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from gateway.console import i18n
from gateway.console.phrases import Phrase, translate
from gateway.referrals import store
from gateway.referrals.lifecycle import STATUSES, display_status

CONCERNS = {
    "separated": _l("Separated or unaccompanied"),
    "displaced": _l("Displaced"),
    "abuse": _l("Abuse or violence"),
    "exploitation": _l("Exploitation, labour or trafficking"),
    "street": _l("Living or working in the street"),
    "other": _l("Other"),
}
RISKS = {"high": _l("High"), "medium": _l("Medium"), "low": _l("Low")}
SEXES = {
    "girl": _l("Girl"),
    "boy": _l("Boy"),
    "both": _l("Girls and boys"),
    "unknown": _l("Unknown"),
}
AGE_BANDS = {"unknown": _l("Unknown")}
ANSWERS = {"yes": _l("Yes"), "no": _l("No"), "unsure": _l("Not sure"), "unknown": _l("Unknown")}
VIA = {
    "sms": _l("SMS conversation"),
    "ussd": _l("USSD menu"),
    "oneshot": _l("One-shot relay SMS"),
    "console": _l("Console"),
}
EVENTS = {
    "notify": _l("Referral sent"),
    "accept": _l("Accepted"),
    "reject": _l("Refused"),
    "escalate": _l("Escalated"),
    "transfer": _l("Transferred"),
    "reroute": _l("Sent to the next person"),
    "close": _l("Closed"),
    "note": _l("Note"),
}
OUTCOMES = {
    "reunified": _l("Reunified with the family"),
    "placed_in_care": _l("Placed in care"),
    "referred_to_services": _l("Referred to services"),
    "not_found": _l("Child not found"),
    "false_alarm": _l("False alarm"),
    "other": _l("Other outcome"),
}
CASE_STATUSES = {
    "received": _l("Received"),
    "in_progress": _l("In progress"),
    "closed": _l("Closed"),
}
DIRECTIONS = {"in": _l("In"), "out": _l("Out")}
MESSAGE_KINDS = {
    "sms": _l("SMS"),
    "ussd": _l("USSD"),
    "reply": _l("reply"),
    "referral": _l("referral"),
    "notification": _l("news to the reporter"),
    "console": _l("from the console"),
}
MESSAGE_STATUSES = {
    "received": _l("received"),
    "handling": _l("being handled"),
    "handled": _l("handled"),
    "queued": _l("queued"),
    "sending": _l("sending"),
    "retrying": _l("retrying"),
    "sent": _l("sent"),
    "delivered": _l("delivered"),
    "undelivered": _l("undelivered"),
    "failed": _l("failed"),
    "suppressed": _l("suppressed"),
}

# The notes of gateway.referrals (actions, focal, followup, notify, service), word for word.
NOTES = (
    Phrase("assigned to {id}", _l("assigned to %(id)s"), frozenset({"id"})),
    Phrase("SMS to the reporter", _l("SMS to the reporter")),
    Phrase("SMS from the reporter", _l("SMS from the reporter")),
    Phrase("refused: {reason}", _l("refused: %(reason)s"), frozenset({"reason"})),
    Phrase(
        "accepted in the console for {agency}, held by {holder}",
        _l("accepted in the console for %(agency)s, held by %(holder)s"),
        frozenset({"agency", "holder"}),
    ),
    Phrase("OK by SMS", _l("accepted by SMS (OK)")),
    Phrase("refused:", _l("refused")),
    Phrase("INFO", _l("asked for the case details (INFO)")),
    Phrase("nobody to notify in this agency", _l("nobody to notify in this agency")),
    Phrase("to focal point", _l("to the focal point")),
    Phrase("to backup", _l("to the backup")),
    Phrase("to supervisor", _l("to the supervisor")),
)


# Events whose note is always a person's words: a refusal's reason, a closing note.
PERSON_NOTES = frozenset({"reject", "close"})


def note_words(note: str, event: str = "note") -> str:
    """A referral event's note in the console's language when Relais wrote it, else as written.

    Notes people write through ``note`` events that read like Relais's own are
    stored quoted (:data:`gateway.referrals.notes.RELAIS_NOTES`), so they
    never match a phrase here.
    """
    return note if event in PERSON_NOTES else translate(note, NOTES)


def label(mapping: dict[str, Any], code: str | None, empty: str = "-") -> str:
    """The words for ``code`` in ``mapping`` (the code itself when unknown, so nothing is
    lost; ``empty`` when there is none: ``-`` on a page, ``""`` in a CSV cell)."""
    if not code:
        return empty
    value = mapping.get(code)
    return str(value) if value is not None else code


def status_label(status: str | None) -> str:
    """A referral status in the console's language ("not routed yet" without a referral)."""
    if status not in STATUSES or status is None:
        return str(_l("Not routed yet"))
    return display_status(status, i18n.select_locale())


def referral_status_choices() -> list[tuple[str, str]]:
    """Referral statuses for the status filter, in lifecycle order."""
    lang = i18n.select_locale()
    return [(status, display_status(status, lang)) for status in STATUSES]


def agency_choices(session: Session) -> list[tuple[str, str]]:
    """``(id, name)`` of the directory's agencies, in its order: a select shows the
    name and sends the id (none without a directory)."""
    directory = store.current(session)
    return [(a.id, a.name) for a in directory.agencies] if directory is not None else []


def template_labels() -> dict[str, Any]:
    """Everything the case and message templates use to show codes as words."""
    return {
        "concerns": CONCERNS,
        "risks": RISKS,
        "sexes": SEXES,
        "age_bands": AGE_BANDS,
        "answers": ANSWERS,
        "via_labels": VIA,
        "events": EVENTS,
        "outcomes": OUTCOMES,
        "case_statuses": CASE_STATUSES,
        "directions": DIRECTIONS,
        "message_kinds": MESSAGE_KINDS,
        "message_statuses": MESSAGE_STATUSES,
        "label": label,
        "status_label": status_label,
        "note_words": note_words,
    }
