"""Tests for gateway.referrals.lifecycle: the full transition table and what reporters see."""

from __future__ import annotations

import pytest
from statemachine.exceptions import TransitionNotAllowed

from gateway.encoding import fits
from gateway.referrals.lifecycle import (
    EVENTS,
    STATUSES,
    UNVALIDATED_LANGUAGES,
    LifecycleError,
    ReferralLifecycle,
    allowed_events,
    apply,
    display_status,
    reporter_view,
)

# The specification, written out by hand: status -> {event: new status}.
TABLE: dict[str, dict[str, str]] = {
    "new": {"notify": "notified", "transfer": "transferred", "note": "new"},
    "notified": {
        "accept": "accepted",
        "reject": "rejected",
        "escalate": "escalated",
        "transfer": "transferred",
        "note": "notified",
    },
    "accepted": {"transfer": "transferred", "close": "closed", "note": "accepted"},
    "rejected": {"reroute": "notified", "transfer": "transferred", "note": "rejected"},
    "escalated": {
        "accept": "accepted",
        "reject": "rejected",
        "escalate": "escalated",
        "transfer": "transferred",
        "reroute": "notified",
        "note": "escalated",
    },
    "transferred": {"reroute": "notified"},
    "closed": {},
}


def test_statuses_and_events_are_the_documented_ones() -> None:
    assert set(STATUSES) == set(TABLE)
    assert set(EVENTS) == {
        "notify",
        "accept",
        "reject",
        "escalate",
        "transfer",
        "reroute",
        "close",
        "note",
    }
    assert {state.id for state in ReferralLifecycle.states} == set(STATUSES)
    assert {str(event) for event in ReferralLifecycle().events} == set(EVENTS)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("event", EVENTS)
def test_every_status_and_event(status: str, event: str) -> None:
    expected = TABLE[status].get(event)
    if expected is not None:
        assert apply(status, event) == expected
        return
    with pytest.raises(LifecycleError) as caught:
        apply(status, event)
    error = caught.value
    assert (error.status, error.event) == (status, event)
    assert error.allowed == [e for e in EVENTS if e in TABLE[status]]
    assert status in str(error)
    assert event in str(error)
    for allowed in error.allowed:
        assert allowed in str(error)


@pytest.mark.parametrize("status", STATUSES)
def test_allowed_events_follow_the_table_in_event_order(status: str) -> None:
    assert allowed_events(status) == [e for e in EVENTS if e in TABLE[status]]


def test_closed_is_final_and_new_is_initial() -> None:
    assert allowed_events("closed") == []
    assert ReferralLifecycle().current_state.id == "new"
    assert ReferralLifecycle.closed.final


def test_close_requires_acceptance_even_for_a_false_alarm() -> None:
    for status in ("new", "notified", "escalated", "rejected", "transferred"):
        with pytest.raises(LifecycleError):
            apply(status, "close")


def test_unknown_event_is_a_lifecycle_error_and_unknown_status_a_value_error() -> None:
    with pytest.raises(LifecycleError) as caught:
        apply("notified", "dance")
    assert caught.value.allowed == ["accept", "reject", "escalate", "transfer", "note"]
    with pytest.raises(ValueError, match="unknown referral status"):
        apply("archived", "close")
    with pytest.raises(ValueError):
        allowed_events("")


def test_machine_bound_to_a_model_updates_its_status_field() -> None:
    class Row:
        status = "notified"

    row = Row()
    machine = ReferralLifecycle(model=row, state_field="status")
    machine.send("note")
    assert row.status == "notified"
    machine.send("accept")
    machine.send("close")
    assert row.status == "closed"
    with pytest.raises(TransitionNotAllowed):
        machine.send("note")


def test_a_whole_escalation_and_transfer_path() -> None:
    status = "new"
    path = ["notify", "escalate", "reroute", "escalate", "accept", "transfer", "reroute"]
    for event in path:
        status = apply(status, event)
    assert status == "notified"
    assert apply(apply(status, "accept"), "close") == "closed"


REPORTER = {
    "new": "received",
    "notified": "received",
    "rejected": "received",
    "escalated": "received",
    "transferred": "received",
    "accepted": "in_progress",
    "closed": "closed",
}


@pytest.mark.parametrize("status", STATUSES)
def test_reporter_view(status: str) -> None:
    assert reporter_view(status) == REPORTER[status]
    after_acceptance = "closed" if status == "closed" else "in_progress"
    assert reporter_view(status, was_accepted=True) == after_acceptance


def test_reporter_view_rejects_unknown_status() -> None:
    with pytest.raises(ValueError):
        reporter_view("lost")


@pytest.mark.parametrize("lang", ["fr", "en", "bm"])
def test_display_status_has_a_distinct_label_per_status(lang: str) -> None:
    labels = [display_status(status, lang) for status in STATUSES]
    assert all(labels)
    assert len(set(labels)) == len(STATUSES)
    assert all(fits(label, 1) for label in labels)


def test_display_status_languages_and_reference() -> None:
    assert display_status("closed", "fr") == "clôturé"
    assert display_status("closed", "en") == "closed"
    assert display_status("closed", "xx") == "clôturé"  # unknown language -> French
    assert display_status("accepted", "fr", "K7QX2P") == "K7QX2P (accepté)"
    assert display_status("accepted", "en", reference="K7QX2P") == "K7QX2P (accepted)"
    assert "bm" in UNVALIDATED_LANGUAGES
    assert "fr" not in UNVALIDATED_LANGUAGES
    with pytest.raises(ValueError):
        display_status("lost", "fr")
