"""Place hierarchies stored as versions: loading, the hierarchy in force, routing with it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from gateway import runtime
from gateway.models import PlacesVersion
from gateway.referrals import store
from gateway.referrals.places import DEFAULT_PLACES, PlacesError, load_places_text
from gateway.referrals.routing import AlertFacts, route

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bamako-directory.yaml"
SHIPPED = DEFAULT_PLACES.read_text(encoding="utf-8")
LAST_C5 = (
    "              - {code: ML-BKO-C5-TOROKOROBOUGOU, kind: neighbourhood, name: Torokorobougou}\n"
)
NEW_CODE = "ML-BKO-C5-NOUVEAU"
WITH_NEW = SHIPPED.replace(
    LAST_C5, LAST_C5 + f"              - {{code: {NEW_CODE}, kind: neighbourhood, name: Nouveau}}\n"
)
AT = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC)  # a Wednesday morning


@pytest.fixture
def loaded(app: Flask) -> None:
    """The demo directory in force."""
    store.load_file(runtime.current().db, EXAMPLE)


def stored() -> list[tuple[int, str, str]]:
    """Every stored places version as (id, loaded_by, changes), oldest first."""
    with runtime.current().db.session() as session:
        rows = session.scalars(select(PlacesVersion).order_by(PlacesVersion.id))
        return [(r.id, r.loaded_by, r.changes) for r in rows]


def test_text_loader_shares_the_file_rules() -> None:
    assert WITH_NEW != SHIPPED
    assert NEW_CODE in load_places_text(WITH_NEW, "t")
    bad = WITH_NEW.replace(f"code: {NEW_CODE}", "code: ML-BKO-C6-WRONG")
    with pytest.raises(PlacesError) as caught:
        load_places_text(bad, "t")
    line = bad.splitlines().index(next(x for x in bad.splitlines() if "C6-WRONG" in x)) + 1
    assert [(p.file, p.line) for p in caught.value.problems] == [("t", line)]
    assert "must start with ML-BKO-C5-" in caught.value.problems[0].message


def test_without_a_stored_version_the_shipped_file_is_in_force(app: Flask) -> None:
    with runtime.current().db.session() as session:
        assert store.places(session) is store.places()
        assert store.places_document(session) == SHIPPED


def test_a_saved_version_is_used_by_routing(app: Flask, loaded: None) -> None:
    db = runtime.current().db
    facts = AlertFacts("other", NEW_CODE, "high")
    with db.session() as session:
        directory = store.current(session)
        assert directory is not None
        assert route(directory, store.places(session), facts, AT).rule_id is None
    result = store.load_places_text(db, WITH_NEW, "test", "ana")
    assert result.changed
    assert result.changes == [f"added place {NEW_CODE} (Nouveau)"]
    with db.session() as session:
        directory = store.current(session)
        assert directory is not None
        decision = route(directory, store.places(session), facts, AT)
        assert store.places_document(session) == WITH_NEW
    assert (decision.rule_id, decision.agency_id) == ("high-risk-bamako", "dnds")
    assert NEW_CODE not in store.places()  # without a session: the shipped file
    assert stored() == [(result.version_id, "ana", f"added place {NEW_CODE} (Nouveau)")]


def test_loading_is_idempotent_and_lists_renames_and_removals(app: Flask) -> None:
    db = runtime.current().db
    first = store.load_places_text(db, WITH_NEW, "test")
    again = store.load_places_text(db, WITH_NEW + "# a comment\n", "test")
    assert (again.version_id, again.changed, again.changes) == (first.version_id, False, [])
    renamed = SHIPPED.replace("name: Badalabougou", "name: Badala")
    third = store.load_places_text(db, renamed, "test")
    assert third.changes == [
        "renamed place ML-BKO-C5-BADALABOUGOU: Badalabougou → Badala",
        f"removed place {NEW_CODE} (Nouveau)",
    ]
    assert [row[0] for row in stored()] == [first.version_id, third.version_id]


def test_removing_a_place_the_directory_uses_is_refused(app: Flask, loaded: None) -> None:
    without = SHIPPED.replace("ML-BKO-C1", "ML-BKO-C7")  # C1 and its neighbourhoods
    with pytest.raises(PlacesError) as caught:
        store.load_places_text(runtime.current().db, without, "test")
    messages = [p.message for p in caught.value.problems]
    assert any(m.startswith("place ML-BKO-C1 is used by the directory in force") for m in messages)
    assert "rule separated-dnds-north" in str(caught.value)
    assert stored() == []


def test_removing_an_unused_place_is_allowed(app: Flask, loaded: None) -> None:
    without = SHIPPED.replace(LAST_C5, "")
    result = store.load_places_text(runtime.current().db, without, "test")
    assert result.changes == ["removed place ML-BKO-C5-TOROKOROBOUGOU (Torokorobougou)"]
