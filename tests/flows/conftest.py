"""Shared fixtures for the flow engine tests: shipped flows, fixtures, limit checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.encoding import GSM7, prepare
from gateway.flows.loader import FLOWS_DIR, load_flow, load_flows
from gateway.flows.model import Flow, StepResult
from gateway.flows.oneshot import OneShotSpec, load_oneshot
from gateway.flows.reference import new_reference
from gateway.flows.render import USSD_LIMIT, fill_reference, ussd_response

DATA = Path(__file__).parent / "data"
SHIPPED = load_flows(FLOWS_DIR)


def marker_line(path: Path, marker: str) -> int:
    """Return the 1-based line of ``path`` carrying the comment ``# <- marker``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if f"# <- {marker}" in line:
            return number
    raise AssertionError(f"no marker {marker!r} in {path}")


def assert_fits(result: StepResult, channel: str) -> None:
    """Assert every reply of ``result`` respects the limits of ``channel``."""
    replies = fill_reference(result.replies, new_reference())
    if channel == "sms":
        for reply in replies:
            info = prepare(reply, fold=False)  # the engine must already have folded
            assert info.encoding == GSM7, reply
            assert info.segments == 1, (info.length, reply)
            assert reply.strip(), "empty SMS"
    else:
        assert len(replies) == 1, replies
        filled = StepResult(replies, result.state, result.actions, result.done)
        body = ussd_response(filled)
        assert body.startswith("END " if result.done else "CON ")
        assert len(body) <= USSD_LIMIT, (len(body), body)
        assert prepare(body, fold=False).encoding == GSM7, body


@pytest.fixture(scope="session")
def alert() -> Flow:
    """The shipped alert flow."""
    return SHIPPED["alert"]


@pytest.fixture(scope="session")
def long_menu() -> Flow:
    """A fixture flow whose menu needs several USSD pages."""
    return load_flow(DATA / "long_menu.yaml")


@pytest.fixture(scope="session")
def oneshot_spec() -> OneShotSpec:
    """The shipped one-shot codes."""
    return load_oneshot()
