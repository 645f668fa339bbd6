"""Trainers follow the training cases in the console (list, case page), never a real one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from gateway import runtime
from gateway.db import utcnow
from gateway.models import Alert, Referral
from tests.console import case_helpers
from tests.console.case_helpers import (
    REPORTER,
    as_if_unknown,
    audit_rows,
    load_directory,
    make_case,
    post,
)

Client = Callable[[str], FlaskClient]
REAL = ("iom", "dnpef", "unrouted")
TRAINING = ("training", "training_dnpef", "training_unrouted")
# Numbers of the simulator's range (+223 70 00 06 00 to +223 70 00 09 99).
SIMULATED = ("+22370000601", "+22370000602", "+22370000603")


@pytest.fixture
def cases(app: object) -> dict[str, str]:
    """Real and training cases alike: IOM, DNPEF and one not routed of each; every
    referral waits past its deadline (so that ``overdue`` matches both kinds)."""
    load_directory()
    made = {
        "iom": make_case(),
        "dnpef": make_case(concern="abuse", place="ML-5", risk="low", phone="+22376000111"),
        "unrouted": make_case(route=False, phone="+22376000222"),
        "training": make_case(training=True, phone=SIMULATED[0]),
        "training_dnpef": make_case(
            training=True, concern="abuse", place="ML-5", risk="low", phone=SIMULATED[1]
        ),
        "training_unrouted": make_case(training=True, route=False, phone=SIMULATED[2]),
    }
    with runtime.current().db.session() as session:
        late = utcnow() - dt.timedelta(minutes=1)
        session.execute(update(Referral).values(due_at=None, answer_by=late))
    return made


def listed(client: FlaskClient, query: str = "") -> str:
    response = client.get("/console/cases" + query)
    assert response.status_code == 200, (query, response.status_code)
    return response.get_data(as_text=True)


def test_a_trainer_lists_the_training_cases_of_every_agency_and_no_real_one(
    cases: dict[str, str], client_as: Client
) -> None:
    page = listed(client_as("trainer"))
    assert all(cases[name] in page for name in TRAINING)
    assert not any(cases[name] in page for name in REAL)
    assert page.count('class="case-ref"') == len(TRAINING)
    assert 'name="training"' not in page  # no "show training data" box: it is all they see
    assert "aucun cas réel" in page  # the list says so
    assert 'name="agency"' in page  # training cases are any agency's: the filter is offered
    assert "export.csv" not in page  # no export for trainers
    # The filters narrow the training cases as they do the real ones.
    assert [cases[n] in listed(client_as("trainer"), "?agency=dnpef") for n in TRAINING] == [
        False,
        True,
        False,
    ]


@pytest.mark.parametrize(
    "query",
    [
        "?training=1",
        "?agency=iom",
        "?agency=dnpef",
        "?status=unrouted",
        "?status=notified",
        "?concern=abuse",
        "?risk=high",
        "?place=ML-BKO",
        "?overdue=1",
        "?date_from=2000-01-01&training=1",
    ],
)
def test_no_filter_shows_a_trainer_a_real_case(
    cases: dict[str, str], client_as: Client, query: str
) -> None:
    # Each filter keeps a real case for a coordinator (with training data shown)...
    both = listed(client_as("coordinator"), query + ("&" if query else "?") + "training=1")
    assert any(cases[name] in both for name in REAL), query
    assert any(cases[name] in both for name in TRAINING), query
    # ...and only its training ones for a trainer.
    page = listed(client_as("trainer"), query)
    assert any(cases[name] in page for name in TRAINING), query
    assert not any(cases[name] in page for name in REAL), query


def test_paging_counts_training_cases_only(app: object, client_as: Client) -> None:
    load_directory()
    training = make_case(training=True, phone=SIMULATED[0])
    start = utcnow() + dt.timedelta(minutes=1)
    case_helpers.add_bare_alerts(55, start)  # newer than the training case: they would fill page 1
    trainer = client_as("trainer")
    first = listed(trainer)
    assert first.count('class="case-ref"') == 1 and training in first
    assert "page=2" not in first and 'rel="next"' not in first
    assert listed(trainer, "?page=2").count('class="case-ref"') == 0
    assert listed(client_as("coordinator")).count('class="case-ref"') == 50


def test_a_trainer_opens_a_training_case_and_a_real_one_does_not_exist(
    cases: dict[str, str], client_as: Client
) -> None:
    trainer = client_as("trainer")
    reference = cases["training"]
    page = trainer.get(f"/console/cases/{reference}").get_data(as_text=True)
    assert f'case-ref-big">{reference}<' in page
    assert f"RELAIS {reference}: RISQUE ELEVE" in page  # the timeline, with the referral SMS
    assert "Act on this case" in page or "Agir sur ce cas" in page
    assert trainer.get(f"/console/cases/{cases['training_unrouted']}").status_code == 200
    unknown = trainer.get("/console/cases/ZZZZZZ")
    for name in REAL:
        real = trainer.get(f"/console/cases/{cases[name]}")
        assert real.status_code == unknown.status_code == 404
        # word for word the page of a reference that does not exist
        masked = as_if_unknown(real.get_data(as_text=True), cases[name])
        assert masked == as_if_unknown(unknown.get_data(as_text=True), "ZZZZZZ")
    views = [(v.actor, v.target_id) for v in audit_rows("case.view")]
    assert views == [("trainer1", reference), ("trainer1", cases["training_unrouted"])]


def test_a_trainer_cannot_act_on_or_reveal_a_real_case(
    cases: dict[str, str], client_as: Client
) -> None:
    trainer = client_as("trainer")
    real = cases["iom"]
    for action in ("accept", "note", "assign", "reply"):
        form = {"note": "x", "text": "x", "focal_point": "iom-bko-fr"}
        response = post(trainer, f"/console/cases/{real}/act/{action}", form)
        assert response.status_code == 404, action
    assert post(trainer, f"/console/cases/{real}/reveal", {}).status_code == 404
    (referral,) = case_helpers.referrals_of(real)
    assert referral.status == "notified" and [e.event for e in referral.events] == ["notify"]
    assert [a.action for a in audit_rows("case.reveal") + audit_rows("case.accept")] == []


def test_a_trainer_sees_only_a_simulated_phones_number(
    cases: dict[str, str], client_as: Client
) -> None:
    trainer = client_as("trainer")
    path = f"/console/cases/{cases['training']}"
    shown = post(trainer, f"{path}/reveal", {}, page=path)
    assert shown.status_code == 200 and 'href="tel:+22370000601"' in shown.get_data(as_text=True)
    # A training alert sent from a real contact's number (`relais simulate --number`):
    # the trainer sees the case, never that number.
    mixed = make_case(training=True, phone=REPORTER)
    with runtime.current().db.session() as session:
        alert = session.scalars(select(Alert).where(Alert.reference == mixed)).one()
        assert alert.is_training and not alert.contact.is_training
    page = f"/console/cases/{mixed}"
    assert f"{page}/reveal" not in trainer.get(page).get_data(as_text=True)
    assert post(trainer, f"{page}/reveal", {}, page=page).status_code == 403
    assert [r.target_id for r in audit_rows("case.reveal")] == [cases["training"]]
    assert f"{page}/reveal" in client_as("coordinator").get(page).get_data(as_text=True)
