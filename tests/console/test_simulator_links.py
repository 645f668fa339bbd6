"""The simulator links its training case for roles that may see it (trainers too), and
speaks new SMS."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from tests.console.case_helpers import load_directory
from tests.console.test_simulator import report_through_the_page, text

Client = Callable[[str], FlaskClient]


@pytest.fixture
def directory(app: object) -> None:
    """The demo directory in force."""
    load_directory()


def test_a_coordinator_opens_the_training_case_from_the_simulator(
    client_as: Client, directory: None
) -> None:
    coordinator = client_as("coordinator")
    reference = report_through_the_page(coordinator)
    page = text(coordinator)
    link = f'<a href="/console/cases/{reference}">{reference}</a>'
    assert link in page
    assert coordinator.get(f"/console/cases/{reference}").status_code == 200


def test_a_trainer_opens_the_training_case_from_the_simulator(
    client_as: Client, directory: None
) -> None:
    trainer = client_as("trainer")
    reference = report_through_the_page(trainer)
    page = text(trainer)
    assert f'<a href="/console/cases/{reference}">{reference}</a>' in page
    case = text(trainer, f"/console/cases/{reference}")
    assert reference in case and "Timeline" in case


def test_the_phone_threads_are_live_regions(client_as: Client, directory: None) -> None:
    page = text(client_as("trainer"))
    for thread in ("reporter-thread", "focal-thread"):
        assert f'id="{thread}"' in page
    assert page.count('aria-live="polite" aria-relevant="additions"') == 2
