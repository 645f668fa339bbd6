"""The Cases pages: list, filters, pagination, scoping by role, the case page, audit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from cryptography.fernet import Fernet
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy import text as text_sql

from gateway import runtime
from gateway.db import utcnow
from gateway.models import Alert, Message, Referral
from tests.console.case_helpers import (
    REPORTER,
    add_bare_alerts,
    as_if_unknown,
    audit_rows,
    load_directory,
    make_case,
    post,
    referrals_of,
)

Client = Callable[[str], FlaskClient]


@pytest.fixture
def cases(app: object) -> dict[str, str]:
    """An IOM case (separated, Commune V) and a DNPEF case (abuse, Mopti, low risk)."""
    load_directory()
    return {
        "iom": make_case(),
        "dnpef": make_case(concern="abuse", place="ML-5", risk="low", phone="+22376000111"),
    }


def text(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def listed(client: FlaskClient, query: str = "") -> str:
    return text(client, "/console/cases" + query)


def test_coordinator_sees_every_case(cases: dict[str, str], client_as: Client) -> None:
    page = listed(client_as("coordinator"))
    assert cases["iom"] in page and cases["dnpef"] in page
    assert 'class="case-ref"' in page
    assert "envoyé" in page  # display_status, French by default
    assert 'name="training"' in page  # the "show training data" box (trainers have none)


def test_agency_user_sees_only_their_agency(cases: dict[str, str], client_as: Client) -> None:
    agency = client_as("agency")  # iom
    page = listed(agency)
    assert cases["iom"] in page and cases["dnpef"] not in page
    assert agency.get(f"/console/cases/{cases['iom']}").status_code == 200
    other = agency.get(f"/console/cases/{cases['dnpef']}")
    unknown = agency.get("/console/cases/ZZZZZZ")
    assert other.status_code == unknown.status_code == 404
    # word for word the page of a reference that does not exist
    masked = as_if_unknown(other.get_data(as_text=True), cases["dnpef"])
    assert masked == as_if_unknown(unknown.get_data(as_text=True), "ZZZZZZ")
    # Even filtering on another agency reveals nothing.
    assert cases["dnpef"] not in listed(agency, "?agency=dnpef")


def test_anonymous_users_are_sent_to_login(cases: dict[str, str], client: FlaskClient) -> None:
    response = client.get(f"/console/cases/{cases['iom']}")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("query", "iom", "dnpef"),
    [
        ("?concern=abuse", False, True),
        ("?risk=high", True, False),
        ("?agency=iom", True, False),
        ("?status=notified", True, True),
        ("?status=accepted", False, False),
        ("?place=ML-BKO", True, False),  # Commune V is inside Bamako
        ("?place=ML-5", False, True),
        ("?place=ML-BKO-C1", False, False),
        ("?concern=nonsense", True, True),  # unknown values are ignored
    ],
)
def test_filters(
    cases: dict[str, str], client_as: Client, query: str, iom: bool, dnpef: bool
) -> None:
    page = listed(client_as("coordinator"), query)
    assert (cases["iom"] in page, cases["dnpef"] in page) == (iom, dnpef)


def test_overdue_period_and_unrouted_filters(cases: dict[str, str], client_as: Client) -> None:
    unrouted = make_case(route=False, phone="+22376000222")
    with runtime.current().db.session() as session:
        referral = session.scalars(
            select(Referral).join(Alert).where(Alert.reference == cases["iom"])
        ).one()
        # Waiting on the end of its chain: no escalation timer, a deadline passed.
        referral.due_at, referral.answer_by = None, utcnow() - dt.timedelta(minutes=1)
        old = session.scalars(select(Alert).where(Alert.reference == cases["dnpef"])).one()
        old.created_at = dt.datetime(2024, 3, 10, 12, tzinfo=dt.UTC)
    client = client_as("coordinator")
    overdue = listed(client, "?overdue=1")
    assert cases["iom"] in overdue and cases["dnpef"] not in overdue
    assert "en retard" in overdue or "overdue" in overdue
    march = listed(client, "?date_from=2024-03-10&date_to=2024-03-10")
    assert cases["dnpef"] in march and cases["iom"] not in march
    waiting = listed(client, "?status=unrouted")
    assert unrouted in waiting and cases["iom"] not in waiting
    assert unrouted not in listed(client_as("agency"))


def test_training_cases_are_hidden_unless_asked(cases: dict[str, str], client_as: Client) -> None:
    training = make_case(training=True, phone="+22376000333")
    client = client_as("coordinator")
    assert training not in listed(client)
    assert training in listed(client, "?training=1")


def test_pagination(app: object, client_as: Client) -> None:
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    add_bare_alerts(55, start)
    client = client_as("coordinator")
    first = listed(client)
    assert first.count('class="case-ref"') == 50
    assert "PGAA54" in first and "PGAAA4" not in first  # newest first
    assert 'href="/console/cases?page=2"' in first and 'rel="prev"' not in first
    second = listed(client, "?page=2")
    assert second.count('class="case-ref"') == 5 and "PGAAAA" in second
    assert 'rel="next"' not in second and 'rel="prev"' in second
    assert listed(client, "?page=abc").count('class="case-ref"') == 50


def test_case_page_shows_answers_referral_and_timeline(
    cases: dict[str, str], client_as: Client
) -> None:
    client = client_as("coordinator")
    page = text(client, f"/console/cases/{cases['iom']}")
    assert f'case-ref-big">{cases["iom"]}<' in page
    for expected in ("Marché Badalabougou", "Pleure seule", "Commune V", "iom-bko-bm"):
        assert expected in page
    # the referral SMS to the focal point, its delivery history, the reporter's first SMS
    assert f"RELAIS {cases['iom']}: RISQUE ELEVE" in page
    assert "Bonjour" in page
    assert page.count('class="case-event case-event-message"') == 2
    assert "case-event-alert" in page and "case-event-event" in page
    # the other case's messages are not in this one
    dnpef = text(client, f"/console/cases/{cases['dnpef']}")
    assert f"RELAIS {cases['iom']}" not in dnpef and f"RELAIS {cases['dnpef']}" in dnpef


def test_timeline_shows_delivery_statuses(cases: dict[str, str], client_as: Client) -> None:
    with runtime.current().db.session() as session:
        message = session.scalars(select(Message).where(Message.kind == "referral")).first()
        assert message is not None
        message.record("sent")
        message.record("undelivered", error_code="30003")
    page = text(client_as("coordinator"), f"/console/cases/{cases['iom']}")
    start = page.index('class="hint case-delivery"')
    delivery = page[start : page.index("</p>", start)]
    assert delivery.index("en file") < delivery.index("envoy") < delivery.index("(30003)")


def test_every_view_of_a_case_is_audited(cases: dict[str, str], client_as: Client) -> None:
    client = client_as("coordinator")
    client.get(f"/console/cases/{cases['iom']}")
    client.get(f"/console/cases/{cases['iom'].lower()}")
    client_as("agency").get(f"/console/cases/{cases['dnpef']}")  # 404: not a view
    views = audit_rows("case.view")
    assert [(v.actor, v.target_id) for v in views] == [("coordinator1", cases["iom"])] * 2
    assert all("Badalabougou" not in v.detail for v in views)


def test_reporter_number_hidden_until_revealed_and_audited(
    cases: dict[str, str], client_as: Client
) -> None:
    client = client_as("coordinator")
    path = f"/console/cases/{cases['iom']}"
    page = text(client, path)
    assert "76123445" not in page and REPORTER not in page
    assert f"{path}/reveal" in page
    shown = post(client, f"{path}/reveal", {}, page=path)
    assert shown.status_code == 200 and REPORTER in shown.get_data(as_text=True)
    assert [(r.actor, r.target_id) for r in audit_rows("case.reveal")] == [
        ("coordinator1", cases["iom"])
    ]
    assert REPORTER not in text(client, path)  # not kept shown
    # without the CSRF token: refused, nothing shown
    bare = client.post(f"{path}/reveal")
    assert bare.status_code == 400 and REPORTER not in bare.get_data(as_text=True)


def reporter_message(reference: str, body: str, *, training: bool = False) -> None:
    """A message on the reporter's number of the case ``reference`` (a sandbox one
    for ``training``)."""
    channel = "sandbox" if training else "twilio"
    with runtime.current().db.session() as session:
        alert = session.scalars(select(Alert).where(Alert.reference == reference)).one()
        session.add(
            Message(
                direction="out",
                channel=channel,
                provider=channel,
                contact_id=alert.contact_id,
                body=body,
                status="sent",
                kind="sms",
                is_training=training,
            )
        )


def test_numbers_in_the_timeline_are_masked_until_revealed(
    cases: dict[str, str], client_as: Client
) -> None:
    """The INFO SMS to the accepting focal point holds the reporter's number:
    the timeline must not show it without the audited reveal."""
    reference = cases["iom"]
    reporter_message(reference, f"{reference}: rappelez le 76 12 34 45 ou (66) 12 34 45")
    client = client_as("coordinator")
    path = f"/console/cases/{reference}"
    page = text(client, path)
    assert f"{reference}: rappelez le +7 6" in page  # the message is on the timeline
    assert "12 34 45" not in page and "76123445" not in page
    assert audit_rows("case.reveal") == []
    shown = post(client, f"{path}/reveal", {}, page=path).get_data(as_text=True)
    assert "rappelez le 76 12 34 45 ou (66) 12 34 45" in shown
    assert len(audit_rows("case.reveal")) == 1


def test_simulator_messages_never_appear_on_a_real_case(
    cases: dict[str, str], client_as: Client
) -> None:
    """A trainer playing a real focal point may even type a real reference."""
    reference = cases["iom"]
    reporter_message(reference, f"ok {reference.lower()} demo-typed", training=True)
    page = text(client_as("coordinator"), f"/console/cases/{reference}")
    assert "demo-typed" not in page


def test_no_reveal_without_consent_or_for_other_agencies(app: object, client_as: Client) -> None:
    load_directory()
    silent = make_case(callback=False)
    other = make_case(concern="abuse", phone="+22376000444")
    coordinator = client_as("coordinator")
    path = f"/console/cases/{silent}"
    assert f"{path}/reveal" not in text(coordinator, path)
    assert post(coordinator, f"{path}/reveal", {}, page=path).status_code == 403
    agency = client_as("agency")
    response = post(agency, f"/console/cases/{other}/reveal", {}, page="/console/cases")
    assert response.status_code == 404 and "76000444" not in response.get_data(as_text=True)
    assert audit_rows("case.reveal") == []


def test_user_text_is_escaped(app: object, client_as: Client) -> None:
    load_directory()
    reference = make_case(landmark="<script>alert(1)</script>", details="<b>x</b>")
    page = text(client_as("coordinator"), f"/console/cases/{reference}")
    assert "<script>alert(1)</script>" not in page and "<b>x</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page.lower()


def test_erased_free_text_and_unrouted_alerts_render(app: object, client_as: Client) -> None:
    load_directory()
    reference = make_case(route=False)
    with runtime.current().db.session() as session:
        alert = session.scalars(select(Alert).where(Alert.reference == reference)).one()
        alert.landmark = alert.details = None
        alert.erased_at = utcnow()
    page = text(client_as("coordinator"), f"/console/cases/{reference}")
    assert reference in page and "Badalabougou" not in page
    assert referrals_of(reference) == []


def test_undecryptable_data_gets_a_page_that_says_what_to_fix(
    app: object, client_as: Client
) -> None:
    load_directory()
    reference = make_case()
    foreign = Fernet(Fernet.generate_key()).encrypt(b"x").decode()  # a key no longer configured
    with runtime.current().db.session() as session:
        session.execute(
            text_sql("UPDATE alerts SET landmark = :v WHERE reference = :r"),
            {"v": foreign, "r": reference},
        )
    response = client_as("coordinator").get(f"/console/cases/{reference}")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "DATA_KEYS" in page and "relais keys rotate" in page and foreign not in page


def test_case_page_shows_the_agency_webhook_delivery(
    cases: dict[str, str], client_as: Client
) -> None:
    client = client_as("coordinator")
    # The console speaks French unless the browser asks otherwise.
    # iom has a webhook, at an example address in the demo directory.
    example = "non envoyé : l'annuaire donne une adresse d'exemple (example.org)"
    assert f'<dd class="case-webhook">{example}</dd>' in text(
        client, f"/console/cases/{cases['iom']}"
    )
    assert "case-webhook" not in text(client, f"/console/cases/{cases['dnpef']}")
    for status, words in (
        ("pending", "en attente de livraison"),
        ("failed", "échec : à relancer depuis Messages › Tâches en échec"),
    ):
        with runtime.current().db.session() as session:
            for referral in session.scalars(select(Referral)):
                referral.webhook_status = status
        page = text(client, f"/console/cases/{cases['iom']}")
        assert f'<dd class="case-webhook">{words}</dd>' in page


def test_numbers_typed_in_the_landmark_are_masked_until_revealed(
    app: object, client_as: Client
) -> None:
    load_directory()
    reference = make_case(landmark="chez Awa tel76123445", details="appeler 66/12/34/45")
    client = client_as("coordinator")
    path = f"/console/cases/{reference}"
    page = text(client, path)
    assert "chez Awa" in page and "76123445" not in page and "66/12/34/45" not in page
    with runtime.current().db.session() as session:
        sent = session.scalars(select(Message.body).where(Message.direction == "out")).all()
    assert sent and not any("76123445" in (body or "") for body in sent)  # the referral SMS
    shown = post(client, f"{path}/reveal", {}, page=path).get_data(as_text=True)
    assert "chez Awa tel76123445" in shown and "appeler 66/12/34/45" in shown


def test_numbers_in_referral_notes_are_masked_until_revealed(
    cases: dict[str, str], client_as: Client
) -> None:
    """A focal point's NOTE may carry a number: the timeline masks it like a message."""
    from gateway.referrals import actions

    reference = cases["iom"]
    with runtime.current().db.session() as session:
        referral = session.scalars(
            select(Referral).join(Alert).where(Alert.reference == reference)
        ).one()
        actions.note(session, referral, "Mere joignable au 76 55 44 33", "iom-bko-bm", "sms")
    client = client_as("coordinator")
    path = f"/console/cases/{reference}"
    page = text(client, path)
    assert "Mere joignable au" in page and "55 44 33" not in page
    shown = post(client, f"{path}/reveal", {}, page=path).get_data(as_text=True)
    assert "Mere joignable au 76 55 44 33" in shown


def test_the_cases_nobody_holds(cases: dict[str, str], client_as: Client) -> None:
    """Refused by everyone planned, or opened with nobody to notify: the status page's
    "cases nobody holds" links here."""
    with runtime.current().db.session() as session:
        referral = session.scalars(
            select(Referral).join(Alert).where(Alert.reference == cases["iom"])
        ).one()
        referral.status = "rejected"
    unheld = listed(client_as("coordinator"), "?status=unheld")
    assert cases["iom"] in unheld and cases["dnpef"] not in unheld
    assert '<option value="unheld" selected>' in unheld
