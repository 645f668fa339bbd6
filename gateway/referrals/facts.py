"""What routing and focal points may know of an alert: facts, never names or numbers."""

from __future__ import annotations

from sqlalchemy.orm import object_session

from gateway.models import Alert
from gateway.referrals import store
from gateway.referrals.routing import AlertFacts
from gateway.referrals.texts import ReferralFacts


def alert_facts(alert: Alert) -> AlertFacts:
    """What routing needs from an alert."""
    return AlertFacts(
        concern=alert.concern,
        place=alert.place,
        risk=alert.risk if alert.risk in ("high", "medium", "low") else "medium",
        sex=alert.sex,
        age_band=alert.age_band,
        language=alert.language,
    )


def referral_facts(alert: Alert) -> ReferralFacts:
    """What a focal point may read about an alert (no name, no number)."""
    place = (
        "?"
        if alert.place == "unknown"
        else store.places(object_session(alert)).name(alert.place, "fr")
    )
    return ReferralFacts(
        reference=alert.reference,
        risk=alert.risk if alert.risk in ("high", "medium", "low") else "medium",
        concern=alert.concern,
        sex=alert.sex,
        age_band=alert.age_band,
        children=alert.children_count,
        place_name=place,
        landmark=alert.landmark or "",
        callback_consent=alert.consent_callback,
    )
