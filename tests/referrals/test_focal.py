"""Focal points' SMS commands as people type them on basic phones (gateway.referrals.focal)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from gateway import runtime
from gateway.encoding import prepare
from gateway.models import Alert, Contact, FocalPointRecord
from tests.console.case_helpers import make_case
from tests.fakes.providers import FakeTwilio
from tests.referrals.conftest import ANSWERS
from tests.referrals.test_loop import (
    IOM_BM,
    IOM_FR,
    escalate_to_backup,
    referrals,
    report,
    sms,
    texts_to,
)
from tests.support import work


def say(app: Flask, number: str, *bodies: str) -> None:
    """``number`` sends ``bodies`` one after the other, then the worker runs."""
    client = app.test_client()
    for body in bodies:
        sms(client, number, body)
    work(app)


def test_a_focal_point_is_not_locked_out_of_their_own_case_by_typos(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    """Past the look-up limit every command was answered "unknown reference",
    even the right one for a case sent to them: a high-risk case waited."""
    ref = report(loop_app, fake_twilio)
    client = loop_app.test_client()
    for typo in ("K7QX2B", "K7QX2C", "K7QX2D", "K7QX2E", "K7QX2F", "K7QX2G"):
        sms(client, IOM_BM, f"OK {typo}")
    sms(client, IOM_BM, f"OK {ref}")
    work(loop_app)
    answers = texts_to(fake_twilio, IOM_BM)
    assert referrals()[0].status == "accepted", answers[-1]
    assert "inconnue" in answers[-2]  # the typos were still answered "unknown"


def test_a_referral_never_waits_on_a_number_that_cannot_receive(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    """The number once said STOP as a reporter (or a delivery report said 21610,
    UserInBlacklist): the referral SMS was suppressed and the high-risk case
    waited 15 minutes on someone who never got it."""
    with runtime.current().db.session() as session:
        contact = Contact.find(session, IOM_BM)
        assert contact is not None
        contact.opted_out = True
    ref = report(loop_app, fake_twilio)
    (referral,) = referrals()
    assert referral.focal_point_id != "iom-bko-bm"
    with runtime.current().db.session() as session:
        waiting_on = session.get_one(FocalPointRecord, referral.focal_point_id).contact.phone
    assert waiting_on and any(ref in t for t in texts_to(fake_twilio, waiting_on))


def test_ok_sent_twice_by_the_same_person_confirms_instead_of_refusing(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    """Resent on a basic phone because the confirmation was slow: the holder
    was told "OK impossible: the case is accepted"."""
    ref = report(loop_app, fake_twilio)
    say(loop_app, IOM_BM, f"OK {ref}", f"ok {ref}")
    first, second = texts_to(fake_twilio, IOM_BM)[-2:]
    assert first == second and ref in second and "impossible" not in second
    assert [e.event for e in referrals()[0].events].count("accept") == 1


@pytest.mark.parametrize(
    ("typed", "agency"),
    [("à dnpef", "dnpef"), ("vers DNPEF svp", "dnpef"), ("Samu Social", "samusocial")],
)
def test_transfer_as_people_write_the_agency(
    loop_app: Flask, fake_twilio: FakeTwilio, typed: str, agency: str
) -> None:
    """ "à dnpef" was read as agency "A", "Samu Social" as "SAMU": unknown."""
    ref = report(loop_app, fake_twilio)
    client = loop_app.test_client()
    sms(client, IOM_BM, f"OK {ref}")
    sms(client, IOM_BM, f"TRANSFERT {ref} {typed}")
    work(loop_app)
    answer = texts_to(fake_twilio, IOM_BM)[-1]
    assert "inconnue" not in answer, answer
    assert [r.agency_id for r in referrals()] == ["iom", agency]


def test_a_focal_point_can_report_an_alert_like_anyone(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    """Every SMS from a focal point's number was a command: ALERTE got the
    command help and no alert was made."""
    client = loop_app.test_client()
    sms(client, IOM_BM, "ALERTE ENA F 12 C5 Marche Medine")  # one message
    sms(client, IOM_BM, "ALERTE")  # the questionnaire, answered step by step
    for answer in ANSWERS:
        sms(client, IOM_BM, answer)
    sms(client, IOM_BM, "blabla")  # no command, no conversation any more: the help
    work(loop_app)
    with runtime.current().db.session() as session:
        made = session.scalars(select(Alert).order_by(Alert.id)).all()
        assert [a.via for a in made] == ["oneshot", "sms"]
        assert {a.contact.phone for a in made} == {IOM_BM}
    assert "OK" in texts_to(fake_twilio, IOM_BM)[-1]  # the command help again


def test_a_bare_ok_names_the_open_cases(loop_app: Flask, fake_twilio: FakeTwilio) -> None:
    """It answered "Format: OK REF", naming neither case nor LISTE. It still
    accepts none of them: guessing could accept the wrong one."""
    one = report(loop_app, fake_twilio)
    client = loop_app.test_client()
    sms(client, IOM_BM, "ok")
    work(loop_app)
    assert texts_to(fake_twilio, IOM_BM)[-1].endswith(f"OK {one}")
    other = make_case(phone="+22376000002")
    work(loop_app)
    sms(client, IOM_BM, "OK")
    work(loop_app)
    answer = texts_to(fake_twilio, IOM_BM)[-1]
    assert one in answer and other in answer and len(answer) <= 160
    assert {r.status for r in referrals()} == {"notified"}


def test_start_from_a_focal_point_makes_their_number_reachable_again(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    """START from a focal number was a command error: an old STOP kept them
    skipped by every referral for good."""
    with runtime.current().db.session() as session:
        contact = Contact.find(session, IOM_BM)
        assert contact is not None
        contact.opted_out = True
    sms(loop_app.test_client(), IOM_BM, "START")
    ref = report(loop_app, fake_twilio)
    assert referrals()[0].focal_point_id == "iom-bko-bm"
    assert any(ref in t for t in texts_to(fake_twilio, IOM_BM))


def test_ok_promises_news_to_the_reporter_only_when_they_asked_for_it(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    """The focal point was told "le signalant sera informé" when the reporter
    had refused SMS updates: nobody told them, and nobody would."""
    ref = report(loop_app, fake_twilio)
    with runtime.current().db.session() as session:
        session.scalars(select(Alert)).one().consent_messages = False
    client = loop_app.test_client()
    sms(client, IOM_BM, f"OK {ref}")
    work(loop_app)
    answer = texts_to(fake_twilio, IOM_BM)[-1]
    assert "pas demandé de nouvelles" in answer and "sera informé" not in answer
    assert len(answer) <= 160


def test_ok_tells_the_focal_point_the_reporter_will_hear(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    ref = report(loop_app, fake_twilio)  # the reporter answered yes to SMS updates
    sms(loop_app.test_client(), IOM_BM, f"OK {ref}")
    work(loop_app)
    assert "Le signalant sera informé" in texts_to(fake_twilio, IOM_BM)[-1]


def test_fermer_closes_like_fin(loop_app: Flask, fake_twilio: FakeTwilio) -> None:
    """ "fermé REF réunifié", the everyday word, got the command help and the
    case stayed open."""
    ref = report(loop_app, fake_twilio)
    say(loop_app, IOM_BM, f"OK {ref}", f"fermé {ref} réunifié")
    (referral,) = referrals()
    assert (referral.status, referral.outcome) == ("closed", "reunified")
    assert texts_to(fake_twilio, IOM_BM)[-1].startswith(f"{ref} clotur")


def test_transfer_to_an_agency_by_the_acronym_in_its_name(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    """ "TRANSFERT REF OIM" (IOM's French acronym, first in its directory name)
    was answered "agence OIM inconnue"."""
    ref = report(loop_app, fake_twilio)
    say(loop_app, IOM_BM, f"TRANSFERT {ref} dnpef")
    dnpef = referrals()[-1]
    with runtime.current().db.session() as session:
        phone = session.get_one(FocalPointRecord, dnpef.focal_point_id).contact.phone
    say(loop_app, phone, f"transfert {ref} à l'OIM")
    answer = texts_to(fake_twilio, phone)[-1]
    assert "inconnue" not in answer and "IOM" in answer, answer
    assert [r.agency_id for r in referrals()] == ["iom", "dnpef", "iom"]


def test_an_unknown_agency_is_repeated_as_typed_with_the_codes(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    """ "TRANSFERT REF vers dnps" was answered "agence VERS inconnue. Vérifiez
    son code auprès de votre coordinateur": the wrong word, and no way on."""
    ref = report(loop_app, fake_twilio)
    say(loop_app, IOM_BM, f"TRANSFERT {ref} vers dnps")
    answer = texts_to(fake_twilio, IOM_BM)[-1]
    assert "agence DNPS inconnue" in answer, answer
    assert "DNDS, DNPEF, SAMUSOCIAL, UNICEF" in answer and "IOM" not in answer  # not its own
    assert prepare(answer, fold=False).segments == 1
    assert referrals()[0].agency_id == "iom"


def test_words_instead_of_the_reference_get_the_format_with_the_case(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    """ "NON pas notre zone" and "FIN réunifié" without the reference were
    answered "Référence pas inconnue. Vérifiez les 6 caractères"."""
    ref = report(loop_app, fake_twilio)
    say(loop_app, IOM_BM, "NON pas notre zone")
    answer = texts_to(fake_twilio, IOM_BM)[-1]
    assert answer.endswith(f"NON {ref} raison"), answer
    say(loop_app, IOM_BM, f"OK {ref}", "FIN réunifié")
    answer = texts_to(fake_twilio, IOM_BM)[-1]
    assert f"FIN {ref} issue" in answer and "inconnue" not in answer, answer
    assert referrals()[0].status == "accepted"  # nothing guessed


def test_an_incomplete_command_is_answered_during_an_alert_they_report(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    """In the middle of an alert questionnaire (MENU or ALERTE sent by mistake),
    "NOTE REF" with the text left out went to the questionnaire: "Réponse non
    comprise. Envoyez un chiffre de 1 à 6", about a case they follow."""
    ref = report(loop_app, fake_twilio)
    say(loop_app, IOM_BM, f"OK {ref}", "ALERTE")
    before = len(texts_to(fake_twilio, IOM_BM))
    say(loop_app, IOM_BM, f"NOTE {ref}")
    (answer,) = texts_to(fake_twilio, IOM_BM)[before:]
    assert "Format: NOTE" in answer, answer
    say(loop_app, IOM_BM, "1")  # the questionnaire goes on
    assert "Commande" not in texts_to(fake_twilio, IOM_BM)[-1]


def test_an_incomplete_command_names_its_reference_in_the_format(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    """ "FIN REF" with the outcome left out was answered "Format: FIN REF
    issue": on a basic phone the person had to type the reference again."""
    ref = report(loop_app, fake_twilio)
    say(loop_app, IOM_BM, f"OK {ref}", f"FIN {ref}")
    answer = texts_to(fake_twilio, IOM_BM)[-1]
    assert f"Format: FIN {ref} issue" in answer, answer
    say(loop_app, IOM_BM, f"NOTE {ref}", f"TRANSFERT {ref}")
    note, transfer = texts_to(fake_twilio, IOM_BM)[-2:]
    assert f"NOTE {ref} texte" in note and f"TRANSFERT {ref} agence" in transfer
    assert all(prepare(a, fold=False).segments == 1 for a in (answer, note, transfer))
    assert referrals()[0].status == "accepted"


def test_a_focal_points_thanks_get_no_command_help(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    """ "Merci" after a reply was answered with the whole command help: one
    SMS that helps nobody. Other unknown words still get the help."""
    ref = report(loop_app, fake_twilio)
    say(loop_app, IOM_BM, f"OK {ref}")
    before = len(texts_to(fake_twilio, IOM_BM))
    say(loop_app, IOM_BM, "Merci beaucoup", "I ni ce")
    assert len(texts_to(fake_twilio, IOM_BM)) == before
    say(loop_app, IOM_BM, "bonjour")
    assert "OK" in texts_to(fake_twilio, IOM_BM)[-1]  # the help
    assert referrals()[0].status == "accepted"


def test_fin_before_ok_says_to_accept_first(loop_app: Flask, fake_twilio: FakeTwilio) -> None:
    """ "FIN REF réunifié" without an OK first was answered "FIN impossible: le
    cas REF est envoyé", which did not say what to do."""
    ref = report(loop_app, fake_twilio)
    say(loop_app, IOM_BM, f"FIN {ref} réunifié")
    answer = texts_to(fake_twilio, IOM_BM)[-1]
    assert f"Envoyez d'abord OK {ref}" in answer, answer
    assert referrals()[0].status == "notified"


def test_fin_on_a_case_someone_else_accepted_says_so(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    """The first focal point, after the backup accepted, was told "FIN
    impossible: le cas REF est accepté", as if they had accepted it."""
    ref = report(loop_app, fake_twilio)
    escalate_to_backup()
    say(loop_app, IOM_FR, f"OK {ref}")
    say(loop_app, IOM_BM, f"FIN {ref} réunifié")
    answer = texts_to(fake_twilio, IOM_BM)[-1]
    assert "autre intervenant" in answer and "impossible" not in answer, answer
    assert referrals()[0].status == "accepted"


def test_a_number_for_the_outcome_closes_nothing(loop_app: Flask, fake_twilio: FakeTwilio) -> None:
    """ "FIN REF 1" (the first outcome of the list?) closed the case for good as
    "autre" and the reporter was told it was closed."""
    ref = report(loop_app, fake_twilio)
    say(loop_app, IOM_BM, f"OK {ref}", f"FERMER {ref} 1")
    answer = texts_to(fake_twilio, IOM_BM)[-1]
    assert "réunifié, placé" in answer and "cloturé" not in answer, answer
    assert referrals()[0].status == "accepted"
