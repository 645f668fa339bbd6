"""The referral lifecycle: statuses, events and which event is allowed where.

A referral starts ``new``; the gateway sends the referral SMS to a focal point
(``notify``). The recipient accepts (``accept``) or refuses (``reject``); a
refused referral is sent to another focal point or agency (``reroute``); one
refused by everyone stays ``rejected``, and one opened when nobody of the
agency was active stays ``new``, until staff transfer or assign it. When
nobody accepts in time the referral is ``escalated``: the backup or supervisor
may accept it directly, or it is forwarded again (``reroute``). A notified,
escalated or accepted referral may be handed to another agency (``transfer``,
then ``reroute``). Only an accepted referral is closed (``close``), so that
someone has taken responsibility for it, even for a false alarm: the focal
point answers ``OK`` first. ``note`` records a remark and changes nothing.
Nothing happens to a closed referral.

Allowed transitions (status -> event -> new status)::

    new          notify -> notified, transfer -> transferred, note -> new
    notified     accept -> accepted, reject -> rejected, escalate -> escalated,
                 transfer -> transferred, note -> notified
    accepted     transfer -> transferred, close -> closed, note -> accepted
    rejected     reroute -> notified, transfer -> transferred, note -> rejected
    escalated    accept -> accepted, reject -> rejected, escalate -> escalated,
                 transfer -> transferred, reroute -> notified, note -> escalated
    transferred  reroute -> notified
    closed       (nothing: final)

The machine can be bound to any object with a ``status`` attribute:
``ReferralLifecycle(model=row, state_field="status")``. :func:`apply` is the
pure form used by the command handlers; :func:`transition` applies it to a
referral row and records the step as a ``ReferralEvent`` (the jobs, the SMS
commands and the console all move referrals through it).
"""

from __future__ import annotations

from statemachine import State, StateMachine
from statemachine.exceptions import TransitionNotAllowed

from gateway.db import utcnow
from gateway.models import Referral, ReferralEvent

NEW, NOTIFIED, ACCEPTED, REJECTED = "new", "notified", "accepted", "rejected"
ESCALATED, TRANSFERRED, CLOSED = "escalated", "transferred", "closed"
STATUSES: tuple[str, ...] = (NEW, NOTIFIED, ACCEPTED, REJECTED, ESCALATED, TRANSFERRED, CLOSED)
EVENTS: tuple[str, ...] = (
    "notify",
    "accept",
    "reject",
    "escalate",
    "transfer",
    "reroute",
    "close",
    "note",
)
LANGUAGES: tuple[str, ...] = ("fr", "en", "bm")
# Bambara labels are drafts: they must be checked by a native speaker.
UNVALIDATED_LANGUAGES = frozenset({"bm"})

RECEIVED, IN_PROGRESS = "received", "in_progress"


class ReferralLifecycle(StateMachine):
    """State machine of one referral (python-statemachine); see the module table."""

    new = State(initial=True)
    notified = State()
    accepted = State()
    rejected = State()
    escalated = State()
    transferred = State()
    closed = State(final=True)

    notify = new.to(notified)
    accept = notified.to(accepted) | escalated.to(accepted)
    reject = notified.to(rejected) | escalated.to(rejected)
    # Escalated again when the backup does not answer either: on to the supervisor.
    escalate = notified.to(escalated) | escalated.to(escalated, internal=True)
    # A referral refused by everyone (nobody left in the chain, no other
    # fallback agency) stays ``rejected``: staff take it on by transfer or assign.
    transfer = (
        new.to(transferred)
        | notified.to(transferred)
        | accepted.to(transferred)
        | escalated.to(transferred)
        | rejected.to(transferred)
    )
    reroute = rejected.to(notified) | escalated.to(notified) | transferred.to(notified)
    close = accepted.to(closed)
    # A note on a case nobody holds (refused by everyone, nobody to text)
    # too: staff annotate it and may answer the reporter while they find someone.
    note = (
        new.to(new, internal=True)
        | rejected.to(rejected, internal=True)
        | notified.to(notified, internal=True)
        | accepted.to(accepted, internal=True)
        | escalated.to(escalated, internal=True)
    )


class LifecycleError(ValueError):
    """An event that the referral's current status does not allow.

    ``allowed`` lists the events that *are* allowed from ``status`` (in
    :data:`EVENTS` order), so the caller can say what can be done instead.
    """

    def __init__(self, status: str, event: str, allowed: list[str]) -> None:
        self.status = status
        self.event = event
        self.allowed = allowed
        choices = ", ".join(allowed) if allowed else "none (final status)"
        super().__init__(
            f"cannot {event!r} a referral that is {status!r}; allowed events: {choices}"
        )


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"unknown referral status {status!r}; expected one of {STATUSES}")


def allowed_events(status: str) -> list[str]:
    """Return the events allowed from ``status``, in :data:`EVENTS` order.

    Raises :class:`ValueError` for an unknown status.
    """
    _check_status(status)
    state = ReferralLifecycle.states_map[status]
    names = {str(event) for event in state.transitions.unique_events}
    return [event for event in EVENTS if event in names]


def apply(status: str, event: str) -> str:
    """Return the status a referral in ``status`` reaches through ``event``.

    Raises :class:`LifecycleError` when ``event`` (including an unknown event)
    is not allowed from ``status``, and :class:`ValueError` for an unknown
    status. Pure: runs a throw-away :class:`ReferralLifecycle`.
    """
    allowed = allowed_events(status)
    if event not in allowed:
        raise LifecycleError(status, event, allowed)
    machine = ReferralLifecycle(start_value=status)
    try:
        machine.send(event)
    except TransitionNotAllowed as error:  # pragma: no cover - guarded above
        raise LifecycleError(status, event, allowed) from error
    new_status: str = machine.current_state.id
    return new_status


_LABELS: dict[str, dict[str, str]] = {
    "fr": {
        NEW: "nouveau",
        NOTIFIED: "envoyé",
        ACCEPTED: "accepté",
        REJECTED: "refusé",
        ESCALATED: "relancé",
        TRANSFERRED: "transféré",
        CLOSED: "clôturé",
    },
    "en": {
        NEW: "new",
        NOTIFIED: "sent",
        ACCEPTED: "accepted",
        REJECTED: "refused",
        ESCALATED: "escalated",
        TRANSFERRED: "transferred",
        CLOSED: "closed",
    },
    "bm": {  # UNVALIDATED draft Bambara
        NEW: "kura",
        NOTIFIED: "cilen",
        ACCEPTED: "sɔnna",
        REJECTED: "banna a ma",
        ESCALATED: "lasegin kuntigi ma",
        TRANSFERRED: "yɛlɛmana",
        CLOSED: "datugura",
    },
}


def transition(
    referral: Referral, event: str, *, actor: str, channel: str, note: str | None = None
) -> None:
    """Move ``referral`` through ``event`` (raises ``LifecycleError``) and record it."""
    new = apply(referral.status, event)
    referral.events.append(
        ReferralEvent(
            event=event,
            from_status=referral.status,
            to_status=new,
            actor=actor[:64],
            channel=channel,
            note=note,
            at=utcnow(),
        )
    )
    referral.status = new


def display_status(status: str, lang: str, reference: str | None = None) -> str:
    """Return the label of ``status`` in ``lang`` (fr, en, bm; anything else -> fr).

    With ``reference`` the result is ``"K7QX2P (accepté)"``: the one way a
    referral and its status are shown in every message and screen. Labels
    are not GSM-7 folded; texts fold whole messages. Bambara is unvalidated.
    """
    _check_status(status)
    label = _LABELS.get(lang, _LABELS["fr"])[status]
    return f"{reference} ({label})" if reference else label


def reporter_view(status: str, *, was_accepted: bool = False) -> str:
    """Return what a reporter may learn about a referral: received, in_progress or closed.

    ``in_progress`` means a social worker has accepted it. Everything before
    that (sent, refused, escalated, transferred...) is just ``received``: the
    reporter never learns who refused or where it went. Pass ``was_accepted``
    (the referral was accepted at some point) so that a later transfer does not
    make the answer step back from in_progress to received.
    """
    _check_status(status)
    if status == CLOSED:
        return CLOSED
    if status == ACCEPTED or was_accepted:
        return IN_PROGRESS
    return RECEIVED
