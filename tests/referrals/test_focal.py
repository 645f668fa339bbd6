"""Focal points' SMS commands as people type them on basic phones (gateway.referrals.focal)."""

from __future__ import annotations

from flask import Flask

from tests.fakes.providers import FakeTwilio
from tests.referrals.test_loop import IOM_BM, referrals, report, sms, texts_to
from tests.support import work


def test_a_focal_point_is_not_locked_out_of_their_own_case_by_typos(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    """Past the look-up limit every command was answered "unknown reference",
    even the right one for a case sent to them: a high-risk case waited."""
    ref = report(loop_app, fake_twilio)
    client = loop_app.test_client()
    for typo in ("K7QX2B", "K7QX2C", "K7QX2D", "K7QX2E", "K7QX2F", "K7QX2G"):
        sms(client, IOM_BM, f"OK {typo}")
    sms(client, IOM_BM, f"OK {ref}")
    work(loop_app)
    answers = texts_to(fake_twilio, IOM_BM)
    assert referrals()[0].status == "accepted", answers[-1]
    assert "inconnue" in answers[-2]  # the typos were still answered "unknown"
