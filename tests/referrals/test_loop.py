"""The full referral loop through the real webhooks, worker and fake Twilio."""

from __future__ import annotations

import datetime as dt
import itertools

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gateway import runtime
from gateway.console import case_query
from gateway.encoding import prepare
from gateway.models import Alert, FocalPointRecord, Message, Referral
from gateway.referrals.service import escalate_referral
from gateway.sweeper import sweep
from tests.console.case_helpers import make_case
from tests.fakes.providers import FakeTwilio
from tests.referrals.conftest import ANSWERS
from tests.support import post_twilio, twilio_sms, work

REPORTER = "+22376123445"
IOM_BM, IOM_FR, IOM_SUP = "+22366000102", "+22370000101", "+22379000104"
_sids = itertools.count(1)


def sms(client: FlaskClient, sender: str, body: str) -> None:
    response = post_twilio(
        client, "/webhooks/twilio/sms", twilio_sms(f"SM{next(_sids):032d}", sender, body)
    )
    assert response.status_code == 200


def texts_to(fake: FakeTwilio, number: str) -> list[str]:
    return [r.form["Body"] for r in fake.requests if r.form.get("To") == number]


def report(app: Flask, fake: FakeTwilio) -> str:
    client = app.test_client()
    sms(client, REPORTER, "Bonjour")
    for answer in ANSWERS:
        sms(client, REPORTER, answer)
    work(app)  # replies, routing, the referral SMS
    return runtime_alert().reference


def runtime_alert() -> Alert:
    with runtime.current().db.session() as session:
        return session.scalars(select(Alert)).one()


def referrals() -> list[Referral]:
    with runtime.current().db.session() as session:
        rows = list(session.scalars(select(Referral).order_by(Referral.id)))
        for row in rows:
            _ = row.events, row.alert
        return rows


def escalate_to_backup() -> None:
    """Nobody answered the first focal point in time: the escalation job runs."""
    with runtime.current().db.session() as session:
        (referral,) = session.scalars(select(Referral)).all()
        referral.due_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
        referral_id = referral.id
    assert escalate_referral(referral_id, 0) == "escalated to backup"


def test_alert_to_close_through_sms(loop_app: Flask, fake_twilio: FakeTwilio) -> None:
    ref = report(loop_app, fake_twilio)
    assert ref in texts_to(fake_twilio, REPORTER)[-1]
    (referral_text,) = texts_to(fake_twilio, IOM_BM)
    assert ref in referral_text and "OK " + ref in referral_text
    assert "76123445" not in referral_text and "Badalabougou" in referral_text
    assert prepare(referral_text, fold=False).segments <= 2
    assert prepare(referral_text, fold=False).encoding == "GSM-7"
    (referral,) = referrals()
    assert (referral.agency_id, referral.status, referral.focal_point_id) == (
        "iom",
        "notified",
        "iom-bko-bm",
    )

    client = loop_app.test_client()
    sms(client, IOM_BM, f"ok {ref.lower()}")
    work(loop_app)
    assert referrals()[0].status == "accepted" and runtime_alert().status == "in_progress"
    assert ref in texts_to(fake_twilio, IOM_BM)[-1]
    assert "travailleur social" in texts_to(fake_twilio, REPORTER)[-1]  # the reporter is told

    sms(client, IOM_BM, f"INFO {ref}")
    work(loop_app)
    assert "+22376123445" in texts_to(fake_twilio, IOM_BM)[-1]  # accepted and consented

    sms(client, IOM_BM, f"FIN {ref} réunifié")
    work(loop_app)
    referral = referrals()[0]
    assert referral.status == "closed" and referral.outcome == "reunified"
    assert runtime_alert().status == "closed"
    assert ref in texts_to(fake_twilio, REPORTER)[-1]
    assert [e.event for e in referral.events] == ["notify", "accept", "close"]
    assert all(e.channel in {"sms", "system"} for e in referral.events)

    sms(client, REPORTER, f"STATUT {ref}")
    work(loop_app)
    assert f"{ref}: clotur" in texts_to(fake_twilio, REPORTER)[-1]


def test_info_without_acceptance_never_shows_the_number(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    ref = report(loop_app, fake_twilio)
    sms(loop_app.test_client(), IOM_BM, f"INFO {ref}")
    work(loop_app)
    info = texts_to(fake_twilio, IOM_BM)[-1]
    assert ref in info and "76123445" not in info


def test_rejection_goes_to_the_backup(loop_app: Flask, fake_twilio: FakeTwilio) -> None:
    ref = report(loop_app, fake_twilio)
    sms(loop_app.test_client(), IOM_BM, f"NON {ref} pas notre zone")
    work(loop_app)
    (referral,) = referrals()
    assert (referral.status, referral.focal_point_id) == ("notified", "iom-bko-fr")
    assert ref in texts_to(fake_twilio, IOM_FR)[-1]
    assert [e.event for e in referral.events] == ["notify", "reject", "reroute"]


def test_a_focal_point_sending_stop_is_told_whom_to_ask(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    report(loop_app, fake_twilio)
    sms(loop_app.test_client(), IOM_BM, "STOP")
    work(loop_app)
    answer = texts_to(fake_twilio, IOM_BM)[-1]
    assert "coordinateur" in answer and "inactif" in answer
    with runtime.current().db.session() as session:
        record = session.get_one(FocalPointRecord, "iom-bko-bm")
        assert record.active and not record.contact.opted_out  # nothing changed by SMS


def test_only_the_holder_may_transfer(loop_app: Flask, fake_twilio: FakeTwilio) -> None:
    ref = report(loop_app, fake_twilio)
    escalate_to_backup()
    client = loop_app.test_client()
    sms(client, IOM_FR, f"OK {ref}")  # the backup takes it
    sms(client, IOM_BM, f"TRANSFERT {ref} dnpef")  # the first person may not hand it on
    work(loop_app)
    assert "par un autre intervenant" in texts_to(fake_twilio, IOM_BM)[-1]
    (referral,) = referrals()
    assert (referral.agency_id, referral.status, referral.accepted_by) == (
        "iom",
        "accepted",
        "iom-bko-fr",
    )


def test_a_late_refusal_from_someone_the_case_left_changes_nothing(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    ref = report(loop_app, fake_twilio)
    escalate_to_backup()
    sms(loop_app.test_client(), IOM_BM, f"NON {ref} trop tard")  # the first person, late
    work(loop_app)
    (referral,) = referrals()
    assert (referral.status, referral.focal_point_id) == ("escalated", "iom-bko-fr")
    assert [e.event for e in referral.events] == ["notify", "escalate", "note"]


def test_liste_shows_real_cases_only(loop_app: Flask, fake_twilio: FakeTwilio) -> None:
    ref = report(loop_app, fake_twilio)
    training = make_case(training=True, phone="+22370000650")  # a simulator demo, same person
    sms(loop_app.test_client(), IOM_BM, "LISTE")
    work(loop_app)
    listed = texts_to(fake_twilio, IOM_BM)[-1]
    assert ref in listed and training not in listed


def test_the_last_refusal_is_told_the_truth(loop_app: Flask, fake_twilio: FakeTwilio) -> None:
    """Refused by every person of IOM's chain and of the fallback agency: the last
    one is not told the case goes to someone else."""
    ref = report(loop_app, fake_twilio)
    client = loop_app.test_client()
    for _ in range(20):
        with runtime.current().db.session() as session:
            current = session.scalars(select(Referral).order_by(Referral.id.desc())).first()
            assert current is not None
            if current.status == "rejected":
                break
            record = session.get_one(FocalPointRecord, current.focal_point_id)
            number = record.contact.phone
        sms(client, number, f"NON {ref} pas dispo")
        work(loop_app)
        last = texts_to(fake_twilio, number)[-1]
    assert (current.agency_id, current.status) == ("dnds", "rejected")
    assert "Aucun autre point focal" in last and "transmis" not in last
    assert prepare(last).segments <= 2


def test_a_transfer_to_an_unknown_or_the_same_agency_says_so(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    ref = report(loop_app, fake_twilio)
    client = loop_app.test_client()
    sms(client, IOM_BM, f"OK {ref}")
    sms(client, IOM_BM, f"TRANSFERT {ref} nowhere")
    sms(client, IOM_BM, f"TRANSFERT {ref} iom")
    sms(client, IOM_BM, f"TRANSFERT {ref}")
    work(loop_app)
    unknown, same, bare = texts_to(fake_twilio, IOM_BM)[-3:]
    assert "agence NOWHERE inconnue" in unknown and ref in unknown
    assert f"{ref} est déjà à IOM" in same
    assert f"Format: TRANSFERT {ref} agence" in bare
    (referral,) = referrals()
    assert referral.status == "accepted"


def test_transfer_opens_a_referral_at_the_other_agency(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    ref = report(loop_app, fake_twilio)
    client = loop_app.test_client()
    sms(client, IOM_BM, f"OK {ref}")
    sms(client, IOM_BM, f"TRANSFERT {ref} dnpef")
    work(loop_app)
    first, second = referrals()
    assert first.status == "transferred" and second.agency_id == "dnpef"
    assert second.status == "notified"
    assert "DNPEF" in texts_to(fake_twilio, IOM_BM)[-1]


def test_a_command_on_a_case_transferred_away_says_where_it_went(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    """Staff transferred it as the focal point typed FIN: "not assigned to you"
    read like a mistake; they are told it went to another agency."""
    ref = report(loop_app, fake_twilio)
    client = loop_app.test_client()
    sms(client, IOM_BM, f"OK {ref}")
    sms(client, IOM_BM, f"TRANSFERT {ref} dnpef")
    sms(client, IOM_BM, f"FIN {ref} réunifié")
    sms(client, IOM_FR, f"NOTE {ref} vu hier")  # the backup, never sent this case
    work(loop_app)
    assert texts_to(fake_twilio, IOM_BM)[-1] == (
        f"Le cas {ref} a été transféré à DNPEF: vous ne le suivez plus. Envoyez LISTE pour"
        " voir vos cas."
    )
    assert texts_to(fake_twilio, IOM_FR)[-1].startswith(f"Le cas {ref} ne vous est pas")
    first, second = referrals()
    assert (first.status, second.status) == ("transferred", "notified")


def test_unanswered_high_risk_referral_escalates_to_backup_then_supervisor(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    ref = report(loop_app, fake_twilio)
    rt = runtime.current()
    for expected, number in (("iom-bko-fr", IOM_FR), ("iom-sup", IOM_SUP)):
        with rt.db.session() as session:  # the clock moves past the deadline
            referral = session.scalars(select(Referral)).one()
            assert referral.due_at is not None
            delay = referral.due_at - referral.notified_at  # type: ignore[operator]
            assert delay == dt.timedelta(minutes=15)  # high risk, from the directory
            referral.due_at = referral.notified_at = referral.due_at - dt.timedelta(hours=1)
        rt.redis.flushdb()  # and Redis lost the scheduled job: the sweeper finds it
        sweep(rt.db, rt.redis, grace=dt.timedelta(0))
        work(loop_app)
        referral = referrals()[0]
        assert (referral.status, referral.focal_point_id) == ("escalated", expected)
        assert ref in texts_to(fake_twilio, number)[-1]
    waiting = referrals()[0]
    assert waiting.due_at is None  # nobody after the supervisor...
    assert waiting.answer_by == waiting.notified_at + dt.timedelta(minutes=15)  # type: ignore[operator]
    assert not case_query.overdue(waiting)
    # ...but a supervisor who does not answer either leaves the case overdue.
    assert case_query.overdue(waiting, waiting.answer_by + dt.timedelta(seconds=1))  # type: ignore[operator]
    sms(loop_app.test_client(), IOM_SUP, f"OK {ref}")
    work(loop_app)
    assert referrals()[0].status == "accepted" and referrals()[0].accepted_by == "iom-sup"


def test_sweeper_dates_a_referral_left_without_an_answer_deadline(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    # A referral already waiting on its supervisor when migration 0007 added
    # answer_by has none; the sweeper gives it one, so the case shows overdue.
    report(loop_app, fake_twilio)
    rt = runtime.current()
    texted = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
    with rt.db.session() as session:
        referral = session.scalars(select(Referral)).one()
        referral.status, referral.level, referral.focal_point_id = "escalated", 2, "iom-sup"
        referral.notified_at, referral.due_at, referral.answer_by = texted, None, None
    counts = sweep(rt.db, rt.redis, grace=dt.timedelta(0)).referrals
    assert counts["deadlines"] == 1
    waiting = referrals()[0]
    assert waiting.answer_by == texted + dt.timedelta(minutes=15)  # high risk, IOM's delay
    assert case_query.overdue(waiting) and waiting.due_at is None
    assert sweep(rt.db, rt.redis, grace=dt.timedelta(0)).referrals["deadlines"] == 0


def test_commands_from_strangers_and_wrong_people_reveal_nothing(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    ref = report(loop_app, fake_twilio)
    client = loop_app.test_client()
    sms(client, "+22365000201", f"OK {ref}")  # a DNDS focal point: not theirs
    sms(client, IOM_BM, "OK ZZZZZZ")  # unknown reference
    sms(client, IOM_BM, f"FIN {ref} réunifié")  # closing before accepting
    work(loop_app)
    assert referrals()[0].status == "notified"
    assert "LISTE" in texts_to(fake_twilio, "+22365000201")[-1]
    assert "ZZZZZZ" in texts_to(fake_twilio, IOM_BM)[-2]
    assert ref in texts_to(fake_twilio, IOM_BM)[-1]


def test_a_duplicate_inbound_never_makes_a_second_referral(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    client = loop_app.test_client()
    sms(client, REPORTER, "Bonjour")
    for answer in ANSWERS[:-1]:
        sms(client, REPORTER, answer)
    last = twilio_sms("SM" + "f" * 32, REPORTER, ANSWERS[-1])
    for _ in range(3):
        assert post_twilio(client, "/webhooks/twilio/sms", last).status_code == 200
    work(loop_app)
    assert len(referrals()) == 1
    with runtime.current().db.session() as session:
        count = session.query(Message).filter(Message.kind == "referral").count()
    assert count == 1


def test_list_shows_open_referrals(loop_app: Flask, fake_twilio: FakeTwilio) -> None:
    ref = report(loop_app, fake_twilio)
    sms(loop_app.test_client(), IOM_BM, "LISTE")
    work(loop_app)
    assert ref in texts_to(fake_twilio, IOM_BM)[-1]


def test_training_messages_never_touch_a_real_referral(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    from gateway.simulate import Phone

    ref = report(loop_app, fake_twilio)
    simulated_focal_point = Phone(runtime.current(), IOM_BM)
    (answer,) = simulated_focal_point.sms(f"OK {ref}")
    assert ref in answer and referrals()[0].status == "notified"


def test_info_to_the_acceptor_hides_the_number_without_call_back_consent(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    client = loop_app.test_client()
    sms(client, REPORTER, "Bonjour")
    for answer in [*ANSWERS[:9], "non", "oui"]:  # no call back, SMS updates yes
        sms(client, REPORTER, answer)
    work(loop_app)
    alert = runtime_alert()
    assert alert.consent_callback is False
    sms(client, IOM_BM, f"OK {alert.reference}")
    sms(client, IOM_BM, f"INFO {alert.reference}")
    work(loop_app)
    info = texts_to(fake_twilio, IOM_BM)[-1]
    assert alert.reference in info and "76123445" not in info


def test_only_who_accepted_may_close(loop_app: Flask, fake_twilio: FakeTwilio) -> None:
    ref = report(loop_app, fake_twilio)
    escalate_to_backup()
    client = loop_app.test_client()
    sms(client, IOM_FR, f"OK {ref}")  # the backup takes it
    sms(client, IOM_BM, f"FIN {ref} réunifié")  # the first person may not close it
    work(loop_app)
    assert "par un autre intervenant" in texts_to(fake_twilio, IOM_BM)[-1]
    (referral,) = referrals()
    assert (referral.status, referral.accepted_by) == ("accepted", "iom-bko-fr")


def test_a_focal_phone_guessing_references_learns_nothing_but_keeps_its_cases(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    """Past LOOKUP_FAILURE_LIMIT (5) failed look-ups, another agency's case is
    answered like an unknown reference; the guesser's own cases still work."""
    ref = report(loop_app, fake_twilio)
    client = loop_app.test_client()
    dnds = "+22365000201"
    sms(client, dnds, f"OK {ref}")
    work(loop_app)
    assert "pas attribu" in texts_to(fake_twilio, dnds)[-1]  # before: "not yours"
    for _ in range(6):
        sms(client, dnds, "OK BBBBBB")
        sms(client, IOM_BM, "OK BBBBBB")
    sms(client, dnds, f"OK {ref}")
    work(loop_app)
    answer = texts_to(fake_twilio, dnds)[-1]
    assert "inconnue" in answer and "pas attribu" not in answer
    sms(client, IOM_BM, f"OK {ref}")  # six typos do not lock IOM out of its own case
    work(loop_app)
    assert referrals()[0].status == "accepted"


def test_a_reporter_who_sent_stop_is_not_notified(loop_app: Flask, fake_twilio: FakeTwilio) -> None:
    ref = report(loop_app, fake_twilio)
    client = loop_app.test_client()
    sms(client, REPORTER, "STOP")
    work(loop_app)
    sms(client, IOM_BM, f"OK {ref}")
    work(loop_app)
    assert referrals()[0].status == "accepted"
    with runtime.current().db.session() as session:
        notices = session.scalars(
            select(Message.id).where(Message.direction == "out", Message.kind == "notification")
        ).all()
    assert notices == []
