"""A focal point's FIN by SMS and staff's transfer in the console, at the same instant (PostgreSQL).

The coordinator confirmed the transfer of a case the focal point is closing
by SMS: both read the accepted referral before either commits (the test
holds its row lock until both are queued, :mod:`tests.faults.locks`).
Exactly one happens, in either order, and each person is told the truth at
once: the coordinator that the case changed, or the focal point that it is
no longer theirs.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.console.case_helpers import audit_rows, load_directory, make_case, referrals_of
from tests.console.test_case_actions import act
from tests.faults.locks import Racer, held, require_postgresql
from tests.support import outbound_texts, post_twilio, twilio_sms

Client = Callable[[str], FlaskClient]
IOM_BM = "+22366000102"  # the demo directory's iom-bko-bm, whom the case waits on
CHANGED = "Le cas a changé pendant votre action"


def fin_by_sms(app: Flask, sid: str, body: str) -> None:
    response = post_twilio(app.test_client(), "/webhooks/twilio/sms", twilio_sms(sid, IOM_BM, body))
    assert response.status_code == 200


def confirmation(client: FlaskClient, reference: str, **form: str) -> dict[str, str]:
    """The fields of the transfer's [Confirm] form (the question is asked, nothing done)."""
    page = act(client, reference, "transfer", **form).get_data(as_text=True)
    for name in ("referral", "version"):
        found = re.search(rf'name="{name}" value="([^"]*)"', page)
        assert found, name
        form[name] = found.group(1)
    return {**form, "confirm": "1"}


@pytest.mark.parametrize("first", ["sms", "console"])
def test_fin_by_sms_and_a_console_transfer_at_once(
    app: Flask, client_as: Client, first: str
) -> None:
    require_postgresql()
    load_directory()
    reference = make_case()
    fin_by_sms(app, "SM" + "1" * 32, f"OK {reference}")
    coordinator = client_as("coordinator")
    fields = confirmation(coordinator, reference, agency="dnpef")
    told = len(outbound_texts(IOM_BM))
    racers = {
        "sms": lambda: Racer(
            app, lambda: fin_by_sms(app, "SM" + "2" * 32, f"FIN {reference} réunifié")
        ),
        "console": lambda: Racer(app, lambda: act(coordinator, reference, "transfer", **fields)),
    }
    with held("SELECT 1 FROM referrals WHERE status = 'accepted' FOR UPDATE") as queued:
        started = {first: racers[first]()}
        queued(1)
        second = "console" if first == "sms" else "sms"
        started[second] = racers[second]()
        queued(2)
    started["sms"].result()
    page = started["console"].result()
    assert page.status_code == 302  # never a 500
    (answer,) = outbound_texts(IOM_BM)[told:]  # answered at once, by the webhook
    shown = coordinator.get(page.headers["Location"]).get_data(as_text=True)
    if first == "sms":
        (referral,) = referrals_of(reference)
        assert (referral.status, referral.outcome) == ("closed", "reunified")
        assert answer.startswith(f"{reference} cloturé (réunifié)")
        assert CHANGED in shown and audit_rows("case.transfer") == []
    else:
        old, new = referrals_of(reference)
        assert (old.status, new.agency_id, new.status) == ("transferred", "dnpef", "notified")
        assert answer.startswith(f"Le cas {reference} a été transféré à DNPEF: vous ne le suivez")
        assert [a.detail for a in audit_rows("case.transfer")] == ["from iom to dnpef"]
