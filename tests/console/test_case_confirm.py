"""A close or a transfer from the console is asked first: without confirmation nothing changes."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from tests.console.case_helpers import audit_rows, load_directory, make_case, referrals_of
from tests.console.test_case_actions import act, confirm_act, follow, outbound

Client = Callable[[str], FlaskClient]


@pytest.fixture
def accepted(app: object, client_as: Client) -> str:
    """An IOM case accepted from the console (the reporter wants updates)."""
    load_directory()
    reference = make_case()
    coordinator = client_as("coordinator")
    follow(coordinator, act(coordinator, reference, "accept"))
    return reference


def test_close_is_asked_first_and_done_only_when_confirmed(
    accepted: str, client_as: Client
) -> None:
    client = client_as("coordinator")
    asked = act(client, accepted, "close", outcome="reunified", note="retour <famille>")
    page = asked.get_data(as_text=True).replace("&#39;", "'")  # French by default
    assert asked.status_code == 200
    assert f"Clôturer le cas {accepted} avec l'issue « Réunifié avec la famille » ?" in page
    assert 'name="confirm" value="1"' in page and 'name="csrf_token"' in page
    assert 'name="outcome" value="reunified"' in page
    assert "retour &lt;famille&gt;" in page and "<famille>" not in page
    (referral,) = referrals_of(accepted)
    assert referral.status == "accepted" and referral.alert.status == "in_progress"
    assert audit_rows("case.close") == []
    assert len(outbound("notification")) == 1  # "handled" only, no "closed"

    done = follow(
        client, confirm_act(client, accepted, "close", outcome="reunified", note="retour famille")
    )
    assert "flash-success" in done
    (referral,) = referrals_of(accepted)
    assert (referral.status, referral.outcome) == ("closed", "reunified")
    assert [a.detail for a in audit_rows("case.close")] == ["outcome reunified"]


def test_transfer_is_asked_first_with_the_agencies_names(accepted: str, client_as: Client) -> None:
    client = client_as("agency")
    asked = act(client, accepted, "transfer", agency="dnpef")
    page = asked.get_data(as_text=True).replace("&#39;", "'")
    assert asked.status_code == 200 and 'name="agency" value="dnpef"' in page
    assert f"Transférer le cas {accepted} de OIM / IOM -- Organisation" in page
    assert "à DNPEF -- Direction nationale de la promotion de l'enfant" in page
    assert len(referrals_of(accepted)) == 1 and audit_rows("case.transfer") == []
    response = confirm_act(client, accepted, "transfer", agency="dnpef")
    assert response.headers["Location"] == "/console/cases"
    assert [r.agency_id for r in referrals_of(accepted)] == ["iom", "dnpef"]


def test_a_confirmation_about_an_older_state_of_the_case_is_refused(
    accepted: str, client_as: Client
) -> None:
    """Asked "from IOM to DNPEF?", the case went to DNDS meanwhile: Confirm must not
    take it from DNDS, which the user was never shown."""
    client = client_as("coordinator")
    # A confirmation without the fields (a page from before, a hand-made form): refused.
    refused = follow(client, act(client, accepted, "close", outcome="reunified", confirm="1"))
    assert "Le cas a changé" in refused and referrals_of(accepted)[0].status == "accepted"
    page = act(client, accepted, "transfer", agency="dnpef").get_data(as_text=True)
    fields = dict(re.findall(r'name="(referral|version)" value="([^"]*)"', page))
    assert set(fields) == {"referral", "version"}
    follow(client, confirm_act(client, accepted, "transfer", agency="dnds"))  # someone else
    late = follow(client, act(client, accepted, "transfer", agency="dnpef", confirm="1", **fields))
    assert "flash-error" in late and "Le cas a changé" in late
    assert [(r.agency_id, r.status) for r in referrals_of(accepted)] == [
        ("iom", "transferred"),
        ("dnds", "notified"),
    ]
    assert [a.detail for a in audit_rows("case.transfer")] == ["from iom to dnds"]
    assert audit_rows("case.close") == []


@pytest.mark.parametrize(
    ("action", "form"),
    [
        ("close", {"outcome": "vanished"}),
        ("transfer", {"agency": "nowhere"}),
        ("transfer", {"agency": "iom"}),
    ],
)
def test_a_wrong_choice_is_a_422_page_and_changes_nothing(
    accepted: str, client_as: Client, action: str, form: dict[str, str]
) -> None:
    client = client_as("coordinator")
    response = act(client, accepted, action, **form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'role="alert"' in page and 'name="confirm"' not in page
    (referral,) = referrals_of(accepted)
    assert referral.status == "accepted" and audit_rows(f"case.{action}") == []


def test_a_close_the_status_refuses_is_not_asked(app: object, client_as: Client) -> None:
    load_directory()
    reference = make_case()  # notified, not accepted: it cannot be closed
    client = client_as("coordinator")
    page = follow(client, act(client, reference, "close", outcome="reunified"))
    assert "flash-error" in page and 'name="confirm"' not in page
    assert referrals_of(reference)[0].status == "notified"


def test_the_confirmation_needs_csrf(accepted: str, client_as: Client) -> None:
    client = client_as("coordinator")
    path = f"/console/cases/{accepted}/act/close"
    response = client.post(path, data={"outcome": "reunified", "confirm": "1"})
    assert response.status_code == 400
    assert referrals_of(accepted)[0].status == "accepted"
