"""Two operators saving the directory or the places at the same instant, on PostgreSQL.

Both opened the editor on the same version. Each save is held at its first
write to the versions table (a table lock in a connection of the test's own,
:mod:`tests.faults.locks`) until both are queued, so both have read the
version in force before either stores a new one. The second must be refused
(409, "changed by someone else"), never stored over the first: it was made
from a document without the first one's change and silently undid it.
"""

from __future__ import annotations

import pytest
from flask import Flask

from gateway import runtime
from gateway.referrals import store
from tests.console.test_directory_pages import (
    ACTIVE,
    EXAMPLE,
    PHONE,
    TEXT,
    Client,
    body,
    focal_point,
    post,
    versions,
)
from tests.faults.locks import Racer, held, require_postgresql

LOCK = "LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE"  # writers wait, readers do not


@pytest.fixture
def loaded(app: Flask) -> None:
    """The demo directory in force (version 1)."""
    store.load_text(runtime.current().db, TEXT, str(EXAMPLE), loaded_by="cli")


def test_two_quick_edits_on_the_same_version(app: Flask, client_as: Client, loaded: None) -> None:
    """One operator switches a focal point off (a lost phone) while another
    changes a number: the second save re-activated the first one's person."""
    require_postgresql()
    first, second = client_as("admin"), client_as("admin")
    with held(LOCK.format("directory_versions")) as queued:
        off = Racer(app, lambda: post(first, ACTIVE, active="false", base_version="1"))
        queued(1)
        phone = PHONE.replace("iom-bko-fr", "iom-bko-bm")
        number = Racer(app, lambda: post(second, phone, phone="70 00 09 99", base_version="1"))
        queued(2)
    assert off.result().status_code == 302
    refused = number.result()
    assert refused.status_code == 409
    assert "changed by someone else" in body(refused)
    assert [v.id for v in versions()] == [1, 2]
    assert focal_point("iom-bko-fr")[0] is False
    assert focal_point("iom-bko-bm")[1] != "+22370000999"


def test_two_place_lists_saved_on_the_same_version(
    app: Flask, client_as: Client, loaded: None
) -> None:
    require_postgresql()
    shipped = store.DEFAULT_PLACES.read_text(encoding="utf-8")
    assert "name: Commune I\n" in shipped and "name: Commune II\n" in shipped
    texts = [
        shipped.replace("name: Commune I\n", "name: Commune 1\n", 1),
        shipped.replace("name: Commune II\n", "name: Commune 2\n", 1),
    ]
    clients = [client_as("admin"), client_as("admin")]
    path = "/console/directory/places/edit"
    with held(LOCK.format("places_versions")) as queued:
        racers = []
        for n, (client, text) in enumerate(zip(clients, texts, strict=True), start=1):
            racers.append(
                Racer(app, lambda c=client, t=text: post(c, path, action="save", document=t))
            )
            queued(n)
    saved, refused = (racer.result() for racer in racers)
    assert (saved.status_code, refused.status_code) == (200, 409)
    assert "changed by someone else" in body(refused)
    with runtime.current().db.session() as session:
        assert store.places_document(session) == texts[0]
        assert store.places_version_id(session) == 1
