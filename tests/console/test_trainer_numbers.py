"""A trainer never sees a real person's number through a training case.

A training alert may come from a real number (``relais simulate --number``
with a real contact's, or a number the simulator used before the directory
gave it to a focal point): the case page hides it from trainers, and the
simulator's focal-point phone, which shows the SMS as sent, must not carry
it either.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from gateway import runtime
from gateway.models import Contact
from tests.console.case_helpers import REPORTER, load_directory, make_case, post
from tests.console.test_simulator import PAGE, text
from tests.console.test_simulator import post as simulator_post

Client = Callable[[str], FlaskClient]
SIMULATED = "+22370000601"  # the simulator's range
IOM_BM = "+22366000102"  # iom-bko-bm's number in the demo directory


def info_on_the_focal_phone(trainer: FlaskClient, reference: str) -> str:
    """The trainer plays iom-bko-bm in the simulator: OK, then INFO; the phone's page."""
    for command in (f"OK {reference}", f"INFO {reference}"):
        simulator_post(trainer, f"{PAGE}/focal/iom-bko-bm", text=command)
    return text(trainer, f"{PAGE}?fp=iom-bko-bm")


def test_the_simulators_info_sms_never_gives_a_real_reporters_number(
    app: Flask, client_as: Client
) -> None:
    load_directory()
    trainer = client_as("trainer")
    # The control: a simulated reporter's number is given, as on a real phone.
    simulated = make_case(training=True, phone=SIMULATED)
    assert "+22370000601" in info_on_the_focal_phone(trainer, simulated)
    # A training alert from a real reporter's number: the demo goes on without it.
    make_case(phone=REPORTER)  # a real report made the number theirs
    mixed = make_case(training=True, phone=REPORTER)
    phone = info_on_the_focal_phone(trainer, mixed)
    assert f"RELAIS INFO {mixed}" in phone
    assert "76123445" not in phone


def test_a_trainer_never_reveals_a_focal_points_number(app: Flask, client_as: Client) -> None:
    with runtime.current().db.session() as session:
        Contact.get_or_create(session, IOM_BM, training=True)  # the simulator used it once
    load_directory()  # now it is iom-bko-bm's
    reference = make_case(training=True, phone=IOM_BM)
    trainer = client_as("trainer")
    path = f"/console/cases/{reference}"
    assert f"{path}/reveal" not in trainer.get(path).get_data(as_text=True)
    response = post(trainer, f"{path}/reveal", {}, page=path)
    assert response.status_code == 403
    assert "66000102" not in response.get_data(as_text=True)
    phone = info_on_the_focal_phone(trainer, reference)
    assert "66000102" not in phone
