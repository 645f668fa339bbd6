"""The training simulator page: the reporter's phone, focal points' phones, training only."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gateway import phones, runtime
from gateway.alerts import create_alert
from gateway.config import PROJECT_ROOT
from gateway.console.simulator_data import reporter_number
from gateway.models import Alert, Contact, Message, Referral
from gateway.referrals import store
from gateway.throttle import lookups_blocked
from tests.console.case_helpers import make_case
from tests.console.conftest import audit_actions, csrf_token, get_user
from tests.support import work

PAGE = "/console/simulator"
# Language fr, separated, Commune V, landmark, 2 children, girl, 5-11, danger yes,
# nothing to add, call back yes, SMS updates yes.
ANSWERS = ["1", "1", "5", "Marché Badalabougou", "2", "fille", "2", "oui", "0", "oui", "oui"]
IOM_BM = "+22366000102"


@pytest.fixture
def directory(app: Flask) -> None:
    """The demo directory in force."""
    store.load_file(runtime.current().db, PROJECT_ROOT / "examples" / "bamako-directory.yaml")


def text(client: FlaskClient, path: str = PAGE) -> str:
    """The page's HTML, in English."""
    response = client.get(path, headers={"Accept-Language": "en"})
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def post(client: FlaskClient, path: str, **form: str) -> None:
    """POST a simulator form with its CSRF token; it answers with a redirect to the page."""
    token = csrf_token(client, PAGE)
    response = client.post(
        path, data={"csrf_token": token, **form}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert response.headers["Location"].startswith(PAGE)


def one(model: type, *where: object) -> object:
    """The single row of ``model`` matching ``where``."""
    with runtime.current().db.session() as session:
        row = session.scalars(select(model).where(*where)).one()  # type: ignore[arg-type]
        session.expunge(row)
        return row


def report_through_the_page(client: FlaskClient) -> str:
    """A whole SMS alert from the reporter's phone; returns its reference."""
    for answer in ["Bonjour", *ANSWERS]:
        post(client, PAGE + "/sms", text=answer)
    alert = one(Alert)
    assert isinstance(alert, Alert)
    return alert.reference


@pytest.mark.parametrize(
    ("role", "status"), [("trainer", 200), ("coordinator", 200), ("admin", 200), ("agency", 403)]
)
def test_who_may_use_the_simulator(
    client_as: Callable[[str], FlaskClient], role: str, status: int
) -> None:
    client = client_as(role)
    assert client.get(PAGE).status_code == status
    assert client.get(PAGE + "/state.json").status_code == status


def test_signed_out_users_go_to_the_login_page(client: FlaskClient) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]
    assert client.post(PAGE + "/sms", data={"text": "x"}).status_code in (302, 400)


def test_a_trainer_uses_the_simulator_and_sees_nothing_real(
    client_as: Callable[[str], FlaskClient],
) -> None:
    trainer = client_as("trainer")
    home = text(trainer, "/console/")
    assert PAGE in home and "/console/reports" not in home and "/console/messages" not in home
    for path in (
        "/console/reports",
        "/console/reports/export.csv",
        "/console/directory",
        "/console/messages",
        "/console/cases/export.csv",
    ):
        assert trainer.get(path).status_code == 403, path


def test_the_whole_loop_from_first_sms_to_ok(
    client_as: Callable[[str], FlaskClient], directory: None, app: Flask
) -> None:
    trainer = client_as("trainer")
    reference = report_through_the_page(trainer)
    page = text(trainer)
    assert "Langue / Kan / Language" in page  # the whole thread, oldest first
    assert page.index("Langue / Kan") < page.index(f"référence {reference}")
    # The alert was routed as it was stored: the focal point who got the
    # referral is shown by default, the SMS queued like the replies.
    assert 'value="iom-bko-bm" selected' in page
    assert f"RELAIS {reference}: RISQUE ELEVE" in page and "Badalabougou" in page
    assert page.count("waiting for the worker") == len(ANSWERS) + 2  # replies + referral

    work(app)  # the replies and the referral SMS (sandbox)
    page = text(trainer)
    assert "waiting for the worker" not in page
    assert f"OK {reference}" in page and "Badalabougou" in page

    post(trainer, PAGE + "/focal/iom-bko-bm", text=f"ok {reference.lower()}")
    referral = one(Referral)
    assert isinstance(referral, Referral)
    assert referral.status == "accepted" and referral.accepted_by == "iom-bko-bm"
    work(app)
    page = text(trainer, PAGE + "?fp=iom-bko-bm")
    assert "travailleur social" in page  # the reporter was told, on the simulated phone
    with runtime.current().db.session() as session:
        assert session.scalars(select(Alert.is_training)).all() == [True]
        channels = set(session.scalars(select(Message.channel)))
        assert channels == {"sandbox"}
        assert not session.scalars(select(Message).where(Message.is_training.is_(False))).all()
    assert ("trainer1", "simulator.focal_command", "iom-bko-bm", "") in audit_actions()


def quick_answers(page: str) -> list[str]:
    """The quick-answer buttons offered on the focal point's phone."""
    return re.findall(r'name="text" value="([^"]+)" class="button sim-alt"', page)


def test_quick_answers_follow_the_referral(
    client_as: Callable[[str], FlaskClient], directory: None, app: Flask
) -> None:
    trainer = client_as("trainer")
    reference = report_through_the_page(trainer)
    focal = PAGE + "?fp=iom-bko-bm"
    assert quick_answers(text(trainer, focal)) == [f"OK {reference}", f"INFO {reference}"]
    post(trainer, PAGE + "/focal/iom-bko-bm", text=f"OK {reference}")
    close = f"FIN {reference} réunifié"
    assert quick_answers(text(trainer, focal)) == [f"INFO {reference}", close]
    post(trainer, PAGE + "/focal/iom-bko-bm", text=close)
    assert one(Referral).status == "closed"  # type: ignore[attr-defined]
    assert quick_answers(text(trainer, focal)) == []  # nothing left to answer


def test_the_focal_phone_never_touches_a_real_case(
    client_as: Callable[[str], FlaskClient], directory: None, app: Flask
) -> None:
    rt = runtime.current()
    with rt.db.session() as session:
        contact = Contact.get_or_create(session, "+22376123445")
        answers = {"concern": "separated", "place": "ML-BKO-C5", "risk": "high"}
        real = create_alert(
            session, contact=contact, answers=answers, language="fr", channel="twilio", via="sms"
        ).reference
        session.get_one(Alert, 1).landmark = "Marché Medine"
    work(app)  # a real referral to iom-bko-bm (sent through the configured provider)
    trainer = client_as("trainer")
    page = text(trainer, PAGE + "?fp=iom-bko-bm")
    assert real not in page  # the real referral SMS is not shown

    for command in (f"OK {real}", f"INFO {real}", "LISTE"):
        post(trainer, PAGE + "/focal/iom-bko-bm", text=command)
    referral = one(Referral)
    assert isinstance(referral, Referral) and referral.status == "notified"
    with rt.db.session() as session:
        fp = Contact.find(session, IOM_BM)
        assert fp is not None
        replies = session.scalars(
            select(Message.body)
            .where(
                Message.contact_id == fp.id,
                Message.is_training.is_(True),
                Message.direction == "out",
            )
            .order_by(Message.id)
        ).all()
    assert len(replies) == 3 and not any("Medine" in (b or "") for b in replies)
    assert real not in (replies[-1] or "")  # LISTE: training referrals only
    assert real in (replies[0] or "")  # "unknown reference", as for any stranger's reference


def test_a_trainer_cannot_lock_a_real_focal_point_out(
    client_as: Callable[[str], FlaskClient], directory: None, app: Flask
) -> None:
    """The simulator speaks as real focal points, with their real contact: its
    wrong references counted against the real phone, whose answers about
    other cases then stopped for an hour."""
    rt = runtime.current()
    elsewhere = make_case(concern="abuse", training=True, phone="+22370000650")  # to DNPEF
    work(app)
    trainer = client_as("trainer")
    for _ in range(rt.settings.LOOKUP_FAILURE_LIMIT + 2):  # "what if I answer theirs?"
        post(trainer, PAGE + "/focal/iom-bko-bm", text=f"OK {elsewhere}")
    with rt.db.session() as session:
        contact = Contact.find(session, IOM_BM)
        assert contact is not None
    assert not lookups_blocked(rt.redis, contact.id, 0)  # the real phone: not one failure
    assert lookups_blocked(rt.redis, contact.id, 1, training=True)


def test_ussd_dial_answer_and_hang_up(client_as: Callable[[str], FlaskClient]) -> None:
    trainer = client_as("coordinator")
    post(trainer, PAGE + "/ussd", action="dial")
    page = text(trainer)
    assert 'id="ussd-text"' in page and "Hang up" in page
    assert "Langue / Kan / Language" in page
    for answer in ["3", "1", "5", "Market", "2", "1", "2", "1", "0", "1", "1"]:
        post(trainer, PAGE + "/ussd", action="answer", text=answer)
    alert = one(Alert)
    assert isinstance(alert, Alert) and alert.is_training and alert.via == "ussd"
    page = text(trainer)
    assert alert.reference in page and 'id="ussd-text"' not in page  # the session ended
    post(trainer, PAGE + "/ussd", action="dial")
    post(trainer, PAGE + "/ussd", action="hangup")
    assert 'id="ussd-text"' not in text(trainer)


def test_answer_without_a_session_or_text_is_refused_politely(
    client_as: Callable[[str], FlaskClient],
) -> None:
    trainer = client_as("trainer")
    post(trainer, PAGE + "/ussd", action="answer", text="1")
    assert "dial first" in text(trainer)
    post(trainer, PAGE + "/sms", text="   ")
    assert "Type a message first" in text(trainer)
    with runtime.current().db.session() as session:
        assert session.scalars(select(Message)).all() == []  # nothing was sent
    response = trainer.post(PAGE + "/sms", data={"text": "hello"})  # no CSRF token
    assert response.status_code == 400


def test_reset_starts_the_phone_afresh_but_keeps_the_data(
    client_as: Callable[[str], FlaskClient],
) -> None:
    trainer = client_as("trainer")
    post(trainer, PAGE + "/sms", text="Bonjour")
    post(trainer, PAGE + "/sms", text="1")  # French
    post(trainer, PAGE + "/sms", text="1")  # separated
    before = text(trainer)
    assert "Bonjour" in before
    post(trainer, PAGE + "/reset")
    after = text(trainer)
    assert "Bonjour" not in after  # the thread starts again
    post(trainer, PAGE + "/sms", text="Salut")
    page = text(trainer)
    assert "Salut" in page and "Langue / Kan / Language" in page  # asked again
    with runtime.current().db.session() as session:
        statuses = sorted(session.scalars(select(Message.direction)).all())
    assert statuses.count("in") == 4  # nothing was deleted
    assert ("trainer1", "simulator.reset", "trainer1", "") in audit_actions()


def test_each_user_has_a_valid_number_never_a_real_one(
    app: Flask, make_user: Callable[..., object]
) -> None:
    rt = runtime.current()
    with rt.db.session() as session:
        first, second = reporter_number(session, 1), reporter_number(session, 2)
    assert first != second and phones.normalize(first) == first
    assert re.fullmatch(r"\+2237000[06-9]\d{3}", first)
    with rt.db.session() as session:  # a real person now has that number
        Contact.get_or_create(session, first)
    with rt.db.session() as session:
        moved = reporter_number(session, 1)
    assert moved != first and phones.normalize(moved) == moved


def test_state_json_gives_both_threads(client_as: Callable[[str], FlaskClient]) -> None:
    trainer = client_as("trainer")
    post(trainer, PAGE + "/sms", text="Bonjour")
    data = trainer.get(PAGE + "/state.json", headers={"Accept-Language": "en"}).get_json()
    assert [m["direction"] for m in data["reporter"]] == ["in", "out"]
    assert data["reporter"][0]["text"] == "Bonjour" and data["focal"] == []
    assert len(data["version"]) == 16
    assert f'data-version="{data["version"]}"' in text(trainer)
    post(trainer, PAGE + "/sms", text="1")
    assert trainer.get(PAGE + "/state.json").get_json()["version"] != data["version"]
    assert get_user("trainer1").role == "trainer"


def test_pages_speak_french(client_as: Callable[[str], FlaskClient]) -> None:
    client = client_as("coordinator")
    simulator = client.get(PAGE, headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Simulateur de formation" in simulator and "Téléphone du signalant" in simulator
    reports = client.get("/console/reports", headers={"Accept-Language": "fr"})
    assert "Chiffres clés" in reports.get_data(as_text=True)
