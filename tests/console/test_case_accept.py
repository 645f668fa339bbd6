"""Accepting from the console: for the agency, said on the case, told to its focal point."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from tests.console.case_helpers import REPORTER, load_directory, make_case, referrals_of
from tests.console.test_case_actions import act, follow, outbound

Client = Callable[[str], FlaskClient]


def test_console_accept_is_said_and_told_to_the_focal_point(app: object, client_as: Client) -> None:
    load_directory()
    reference = make_case()
    client = client_as("coordinator")
    page = follow(client, act(client, reference, "accept"))
    assert "accepté pour lui dans la console par coordinator1" in page
    (referral,) = referrals_of(reference)
    assert referral.events[-1].note == "accepted in the console for iom, held by iom-bko-bm"
    first, told = outbound("referral")  # the referral SMS, then the news
    assert told.contact_id == first.contact_id and told.contact.phone != REPORTER
    assert (told.body or "").startswith(f"RELAIS: {reference} a été accepté pour vous")
    assert REPORTER[4:] not in (told.body or "") and told.segments == 1
