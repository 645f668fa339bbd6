"""The notes Relais writes itself on referral events, and how a person's note is kept apart.

Referral events carry a free-text note: a person's (``NOTE REF …`` by SMS, a
refusal's reason, a console note) or one Relais writes (an escalation's
"to backup", a focal point's own "OK by SMS" after staff accepted for them).
Relais's notes mean something: the console translates them, and ``OK by
SMS`` unlocks the reporter's number for that focal point. So a person's note
that reads like one of Relais's is stored quoted (:func:`person_note`), and
the console-accept note is written and read back here, in one place.
"""

from __future__ import annotations

# The note of a focal point's own OK on a referral they hold without having
# accepted it themselves (staff accepted for them, or assigned it to them).
OWN_OK = "OK by SMS"
# Notes Relais writes itself (the console shows them translated). A person's
# note that reads like one of them is stored quoted: it must neither pass for
# Relais's mark (OWN_OK unlocks the reporter's number) nor be "translated".
RELAIS_NOTES = frozenset(
    {
        OWN_OK,
        "INFO",
        "SMS to the reporter",
        "SMS from the reporter",
        "nobody to notify in this agency",
        "to focal point",
        "to backup",
        "to supervisor",
        "refused:",
    }
)
# The note of an acceptance staff make in the console for a focal point: one
# template, written by console_accept_note and read back by console_accept_holder.
CONSOLE_ACCEPT_NOTE = "accepted in the console for {agency}, held by {holder}"
_CONSOLE_ACCEPT, _, _HELD_BY = CONSOLE_ACCEPT_NOTE.removesuffix("{holder}").partition("{agency}")
RELAIS_NOTE_STARTS = ("refused: ", "assigned to ", _CONSOLE_ACCEPT)


def console_accept_note(agency_id: str, holder: str) -> str:
    """The note of an acceptance staff make in the console for ``holder`` (of ``agency_id``)."""
    return CONSOLE_ACCEPT_NOTE.format(agency=agency_id, holder=holder)


def console_accept_holder(note: str | None) -> str | None:
    """The holder a :func:`console_accept_note` names; None for any other note.

    Directory ids are slugs (no comma, no space): the first ``, held by `` ends the agency.
    """
    if note is None or not note.startswith(_CONSOLE_ACCEPT):
        return None
    _agency, held_by, holder = note.removeprefix(_CONSOLE_ACCEPT).partition(_HELD_BY)
    return holder if held_by and holder else None


def person_note(text: str) -> str:
    """``text`` as stored for a person's note: quoted when it reads like one of Relais's."""
    return f'"{text}"' if text in RELAIS_NOTES or text.startswith(RELAIS_NOTE_STARTS) else text
