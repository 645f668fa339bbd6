"""Case pages in French: the notes Relais writes on referral events (stored in English)."""

from __future__ import annotations

import html
from collections.abc import Callable

from flask.testing import FlaskClient

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
