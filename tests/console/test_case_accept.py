"""Accepting from the console: for the agency, said on the case, told to its focal point."""

from __future__ import annotations

import html
from collections.abc import Callable

from flask.testing import FlaskClient

from gateway.models import FocalPointRecord
from gateway.referrals.lifecycle import transition
from tests.console.case_helpers import (
    REPORTER,
    current_referral,
    load_directory,
    make_case,
    referrals_of,
)
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


def test_the_page_names_who_holds_the_case_and_nobody_once_refused(
    app: object, client_as: Client
) -> None:
    load_directory()
    reference = make_case()
    client = client_as("coordinator")
    follow(client, act(client, reference, "accept"))
    page = follow(client, act(client, reference, "assign", focal_point="iom-mopti"))
    # Reassigned: no longer "accepted for them" (they did not accept either).
    assert "accepté pour lui dans la console" not in page
    other = make_case(phone="+22376000222")
    with current_referral(other) as (_session, referral):
        transition(referral, "reject", actor="iom-bko-bm", channel="sms", note="pas dispo")
    refused = client.get(f"/console/cases/{other}").get_data(as_text=True)
    # The person who refused holds nothing: not named as awaited, above or below.
    assert "<dt>En attente de</dt><dd>iom-bko-bm" not in refused
    assert "<dt>En attente de</dt><dd>-</dd>" in refused


def test_the_user_is_told_when_the_focal_point_cannot_be_texted(
    app: object, client_as: Client
) -> None:
    load_directory()
    reference = make_case()
    with current_referral(reference) as (session, referral):
        holder = referral.focal_point_id
        session.get_one(FocalPointRecord, holder).contact.opted_out = True
    client = client_as("coordinator")
    page = html.unescape(follow(client, act(client, reference, "accept")))
    assert f"{holder} n'a pas pu être prévenu par SMS" in page
    assert len(outbound("referral")) == 1  # the referral SMS only, nothing after
