"""Fixtures for the referral tests: the app on fake Twilio with the demo directory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from gateway import create_app, runtime
from gateway.config import PROJECT_ROOT
from gateway.referrals import store
from tests.fakes.providers import FakeTwilio

# What a reporter answers over SMS, in order: fr, separated, Commune V,
# landmark, 2 children, girl, 5-11, danger yes, skip details, call back yes,
# SMS updates yes.
ANSWERS = ["1", "1", "5", "Marché Badalabougou", "2", "fille", "2", "oui", "0", "oui", "oui"]


@pytest.fixture
def loop_app(app_config: dict[str, object], fake_twilio: FakeTwilio) -> Iterator[Flask]:
    """The app sending through (fake) Twilio, with the demo directory loaded."""
    app = create_app({**app_config, "SMS_PROVIDER": "twilio"})
    with app.app_context():
        store.load_file(runtime.current().db, PROJECT_ROOT / "examples" / "bamako-directory.yaml")
        yield app
    app.extensions["relais"].db.dispose()
