"""Case pages in French: the notes Relais writes on referral events (stored in English)."""

from __future__ import annotations

import html
from collections.abc import Callable

from flask.testing import FlaskClient

from gateway.referrals import actions
from gateway.referrals.actions import CONSOLE
from gateway.referrals.lifecycle import transition
from tests.console.case_helpers import current_referral, load_directory, make_case

Client = Callable[[str], FlaskClient]
FR = {"Accept-Language": "fr"}


def test_timeline_notes_written_by_relais_in_french(client_as: Client) -> None:
    load_directory()
    reference = make_case()
    with current_referral(reference) as (_session, referral):
        for note in ("to backup", "SMS to the reporter", "refused: pas dispo", "Appelé la mère"):
            transition(referral, "note", actor="system", channel="system", note=note)
    client = client_as("coordinator")
    page = html.unescape(
        client.get(f"/console/cases/{reference}", headers=FR).get_data(as_text=True)
    )
    assert "au suppléant" in page and "SMS au signalant" in page
    assert "refusée : pas dispo" in page and "Appelé la mère" in page  # a person's words as written
    assert "to backup" not in page and "SMS to the reporter" not in page


def test_a_persons_notes_are_never_translated(client_as: Client) -> None:
    """Notes typed by people that read like Relais's own, a duration, a reason."""
    load_directory()
    reference = make_case()
    with current_referral(reference) as (session, referral):
        for typed in ("INFO", "10m", "to supervisor", "refused: 2h"):
            actions.note(session, referral, typed, "coordinator1", CONSOLE)
        transition(referral, "reject", actor="iom-bko-bm", channel="sms", note="to supervisor")
    client = client_as("coordinator")
    page = html.unescape(
        client.get(f"/console/cases/{reference}", headers=FR).get_data(as_text=True)
    )
    for typed in ('"INFO"', "10m", '"to supervisor"', '"refused: 2h"'):
        assert f">{typed}<" in page, typed
    assert ">to supervisor<" in page  # the reason of the refusal, as written
    for relais in ("détails du cas", "10 min", "au superviseur", "refusée : 2 h"):
        assert relais not in page, relais
