"""Acting on cases from the console: the same lifecycle as the SMS commands, audited."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from gateway import runtime
from gateway.models import Contact, Message
from tests.console.case_helpers import (
    REPORTER,
    audit_rows,
    load_directory,
    make_case,
    post,
    referrals_of,
    refuse_until_nobody_is_left,
)

Client = Callable[[str], FlaskClient]


@pytest.fixture
def ref(app: object) -> str:
    """An IOM case waiting on iom-bko-bm (the reporter wants updates)."""
    load_directory()
    return make_case()


def act(client: FlaskClient, reference: str, action: str, **form: str):  # type: ignore[no-untyped-def]
    page = f"/console/cases/{reference}"
    return post(client, f"{page}/act/{action}", form, page=page)


def confirm_act(client: FlaskClient, reference: str, action: str, **form: str):  # type: ignore[no-untyped-def]
    """Ask for a close or a transfer, then confirm it with the fields the question gave."""
    asked = act(client, reference, action, **form)
    assert asked.status_code == 200, asked.status_code
    page = asked.get_data(as_text=True)
    for name in ("referral", "version"):
        found = re.search(rf'name="{name}" value="([^"]*)"', page)
        assert found, name
        form[name] = found.group(1)
    return act(client, reference, action, confirm="1", **form)


def follow(client: FlaskClient, response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 302, response.status_code
    return client.get(response.headers["Location"]).get_data(as_text=True)


def outbound(kind: str) -> list[Message]:
    with runtime.current().db.session() as session:
        rows = session.scalars(select(Message).where(Message.kind == kind).order_by(Message.id))
        result = list(rows)
        for row in result:
            _ = row.contact
        return result


def test_accept_goes_through_the_lifecycle(ref: str, client_as: Client) -> None:
    client = client_as("coordinator")
    page = follow(client, act(client, ref, "accept"))
    assert "flash-success" in page and "flash-error" not in page
    (referral,) = referrals_of(ref)
    assert (referral.status, referral.accepted_by) == ("accepted", "iom-bko-bm")
    assert referral.reminder_due_at is not None and referral.due_at is None
    accept = referral.events[-1]
    assert (accept.event, accept.actor, accept.channel) == ("accept", "coordinator1", "console")
    assert referral.alert.status == "in_progress"
    (told,) = outbound("notification")  # the reporter asked for updates
    assert ref in (told.body or "") and told.channel == "twilio"
    assert [(a.actor, a.target_id) for a in audit_rows("case.accept")] == [("coordinator1", ref)]


def test_not_allowed_action_shows_an_error_and_changes_nothing(ref: str, client_as: Client) -> None:
    client = client_as("coordinator")
    response = act(client, ref, "close", outcome="reunified")  # not accepted yet
    page = follow(client, response)
    assert "flash-error" in page
    (referral,) = referrals_of(ref)
    assert referral.status == "notified" and [e.event for e in referral.events] == ["notify"]
    assert audit_rows("case.close") == []
    assert outbound("notification") == []


def test_close_with_an_outcome(ref: str, client_as: Client) -> None:
    client = client_as("agency")  # an IOM user acts on an IOM case
    act(client, ref, "accept")
    bad = follow(client, act(client, ref, "close", outcome="vanished", confirm="1"))
    assert "flash-error" in bad and referrals_of(ref)[0].status == "accepted"
    follow(client, confirm_act(client, ref, "close", outcome="reunified", note="retour famille"))
    (referral,) = referrals_of(ref)
    assert (referral.status, referral.outcome) == ("closed", "reunified")
    close = referral.events[-1]
    assert (close.event, close.actor, close.channel, close.note) == (
        "close",
        "agency1",
        "console",
        "retour famille",
    )
    assert referral.alert.status == "closed"
    (detail,) = [a.detail for a in audit_rows("case.close")]
    assert detail == "outcome reunified" and "famille" not in detail


def test_note_is_recorded_and_shown_escaped(ref: str, client_as: Client) -> None:
    client = client_as("coordinator")
    page = follow(client, act(client, ref, "note", note="<i>vu</i> au marché"))
    assert "&lt;i&gt;vu&lt;/i&gt; au marché" in page and "<i>vu</i>" not in page
    note = referrals_of(ref)[0].events[-1]
    assert (note.event, note.channel, note.note) == ("note", "console", "<i>vu</i> au marché")
    assert [a.detail for a in audit_rows("case.note")] == [""]
    empty = follow(client, act(client, ref, "note", note="   "))
    assert "flash-error" in empty and len(referrals_of(ref)[0].events) == 2


def test_assign_sends_the_referral_sms_to_the_chosen_person(ref: str, client_as: Client) -> None:
    client = client_as("coordinator")
    follow(client, act(client, ref, "assign", focal_point="iom-mopti"))
    (referral,) = referrals_of(ref)
    assert referral.focal_point_id == "iom-mopti"
    assert referral.events[-1].note == "assigned to iom-mopti"
    assert referral.events[-1].channel == "console"
    sms = outbound("referral")
    assert len(sms) == 2 and ref in (sms[-1].body or "")
    with runtime.current().db.session() as session:
        mopti = Contact.find(session, "+22376000103")
        assert mopti is None or sms[-1].contact_id == mopti.id
    # someone of another agency is refused
    wrong = follow(client, act(client, ref, "assign", focal_point="dnpef-bko"))
    assert "flash-error" in wrong and referrals_of(ref)[0].focal_point_id == "iom-mopti"


def test_transfer_opens_a_referral_at_the_other_agency(ref: str, client_as: Client) -> None:
    client = client_as("agency")
    response = confirm_act(client, ref, "transfer", agency="dnpef")
    assert response.headers["Location"] == "/console/cases"  # no longer an IOM case
    first, second = referrals_of(ref)
    assert first.status == "transferred" and second.agency_id == "dnpef"
    assert (first.events[-1].actor, first.events[-1].channel) == ("agency1", "console")
    assert second.events[-1].channel == "console" and second.status == "notified"
    assert client.get(f"/console/cases/{ref}").status_code == 404
    assert [a.detail for a in audit_rows("case.transfer")] == ["from iom to dnpef"]
    coordinator = client_as("coordinator")
    same = follow(coordinator, act(coordinator, ref, "transfer", agency="dnpef", confirm="1"))
    unknown = follow(coordinator, act(coordinator, ref, "transfer", agency="nowhere", confirm="1"))
    assert "flash-error" in same and "flash-error" in unknown
    assert len(referrals_of(ref)) == 2


def test_reply_to_the_reporter(ref: str, client_as: Client) -> None:
    client = client_as("coordinator")
    typed = "Merci, une équipe arrive bientôt"
    preview = act(client, ref, "reply", text=typed, preview="1")
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and f"Relais {ref}: Merci, une équipe arrive bientot" in body
    assert outbound("console") == []  # a preview sends nothing
    follow(client, act(client, ref, "reply", text=typed))
    (sms,) = outbound("console")
    assert sms.body == f"Relais {ref}: Merci, une équipe arrive bientot" and sms.segments == 1
    assert sms.channel == "twilio" and sms.contact.phone == REPORTER
    event = referrals_of(ref)[0].events[-1]
    assert (event.event, event.actor, event.channel) == ("note", "coordinator1", "console")
    assert [a.target_id for a in audit_rows("case.reply")] == [ref]
    long = act(client, ref, "reply", text="x" * 200)
    assert long.status_code == 400 and "x" * 200 in long.get_data(as_text=True)
    assert len(outbound("console")) == 1


def test_a_reply_too_long_because_of_an_emoji_says_so(ref: str, client_as: Client) -> None:
    """107 characters were refused as "too long for one SMS" under a hint of 160:
    the emoji, which cuts one SMS to 70 characters, was never named."""
    client = client_as("coordinator")
    text = "Merci pour votre appel, une équipe passe demain matin au marché 🙏 bon courage"
    for preview in ("1", None):
        form = {"text": text} | ({"preview": preview} if preview else {})
        response = act(client, ref, "reply", **form)
        body = response.get_data(as_text=True).replace("&#39;", "'")  # French by default
        assert "🙏 n'est pas dans l'alphabet des SMS" in body and "70 caractères" in body
    assert response.status_code == 400 and outbound("console") == []


def test_no_reply_to_a_reporter_who_opted_out(ref: str, client_as: Client) -> None:
    with runtime.current().db.session() as session:
        contact = Contact.find(session, REPORTER)
        assert contact is not None
        contact.opted_out = True
    client = client_as("coordinator")
    assert f"/console/cases/{ref}/act/reply" not in client.get(f"/console/cases/{ref}").text
    response = act(client, ref, "reply", text="Bonjour")
    assert response.status_code == 400 and outbound("console") == []
    assert audit_rows("case.reply") == []


def test_actions_need_csrf_permission_and_visibility(app: object, client_as: Client) -> None:
    load_directory()
    iom = make_case()
    dnpef = make_case(concern="abuse", phone="+22376000555")
    coordinator = client_as("coordinator")
    assert coordinator.post(f"/console/cases/{iom}/act/accept").status_code == 400
    agency = client_as("agency")
    assert act(agency, dnpef, "accept").status_code == 404
    trainer = client_as("trainer")
    # A trainer acts on training cases only: a real one does not exist for them.
    assert post(trainer, f"/console/cases/{iom}/act/accept", {}).status_code == 404
    assert act(coordinator, iom, "explode").status_code == 404
    assert [r.status for r in referrals_of(iom) + referrals_of(dnpef)] == ["notified"] * 2
    assert audit_rows("case.accept") == []


def test_focal_point_sms_and_console_share_the_lifecycle(ref: str, client_as: Client) -> None:
    from gateway.referrals import actions

    with runtime.current().db.session() as session:
        referral = referrals_of(ref)[0]
        referral = session.merge(referral)
        actions.accept(session, referral, "iom-bko-bm", actions.SMS)
    client = client_as("coordinator")
    page = follow(client, act(client, ref, "accept"))
    assert "flash-error" in page
    assert [e.channel for e in referrals_of(ref)[0].events] == ["system", "sms"]


def test_a_case_refused_by_everyone_is_assigned_from_the_console(
    ref: str, client_as: Client
) -> None:
    refuse_until_nobody_is_left(ref)
    client = client_as("coordinator")
    page = client.get(f"/console/cases/{ref}").get_data(as_text=True)
    assert f"/console/cases/{ref}/act/assign" in page
    assert f"/console/cases/{ref}/act/transfer" in page
    done = follow(client, act(client, ref, "assign", focal_point="dnds-c4-c6"))
    assert "flash-success" in done
    referral = referrals_of(ref)[-1]
    assert (referral.agency_id, referral.status, referral.focal_point_id) == (
        "dnds",
        "notified",
        "dnds-c4-c6",
    )


def test_a_case_nobody_could_be_texted_for_is_assigned_from_the_console(
    app: object, client_as: Client
) -> None:
    """Routing chose IOM, but nobody there could be texted any more: the referral
    stays `new` and the console offers to assign it once someone is back."""
    from sqlalchemy import update

    from gateway.models import FocalPointRecord

    load_directory()
    with runtime.current().db.session() as session:
        session.execute(update(FocalPointRecord).values(active=False))
    reference = make_case()
    assert referrals_of(reference)[-1].status == "new"
    with runtime.current().db.session() as session:
        session.execute(
            update(FocalPointRecord).where(FocalPointRecord.id == "iom-bko-fr").values(active=True)
        )
    client = client_as("coordinator")
    page = client.get(f"/console/cases/{reference}").get_data(as_text=True)
    assert f"/console/cases/{reference}/act/assign" in page
    assert "flash-success" in follow(
        client, act(client, reference, "assign", focal_point="iom-bko-fr")
    )
    assert referrals_of(reference)[-1].status == "notified"


@pytest.mark.parametrize("flag", ["blocked", "invalid_number"])
def test_no_reply_to_a_blocked_or_unreachable_reporter(
    ref: str, client_as: Client, flag: str
) -> None:
    with runtime.current().db.session() as session:
        contact = Contact.find(session, REPORTER)
        assert contact is not None
        setattr(contact, flag, True)
    client = client_as("coordinator")
    assert f"/console/cases/{ref}/act/reply" not in client.get(f"/console/cases/{ref}").text
    response = act(client, ref, "reply", text="Bonjour")
    assert response.status_code == 400 and outbound("console") == []
    assert audit_rows("case.reply") == []
