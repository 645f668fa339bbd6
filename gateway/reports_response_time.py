"""Report figures on response time: how fast referrals were accepted, and escalations.

Time to accept runs from the referral's first SMS (its creation;
``notified_at`` moves on escalation) to acceptance; its target is the
directory's escalation delay for the risk level (per agency when it
overrides). Kept apart from the alert counts of :mod:`gateway.reports`: these
figures count referrals, not alerts, read the directory, and need a median
that each database computes differently.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from gateway.models import Alert, Referral, ReferralEvent
from gateway.referrals.directory import DEFAULT_ESCALATION, Directory, parse_duration
from gateway.reports_scope import Period, Scope, referral_filter
from gateway.sqlfuncs import seconds_between

RISKS = ("high", "medium", "low")


@dataclass(frozen=True)
class Response:
    """How fast referrals were accepted."""

    notified: int  # referrals whose first SMS went out
    accepted: int
    median_seconds: float | None
    within_target: int  # accepted within the target of the alert's risk level
    escalations: int  # escalation events (backup, then supervisor)

    @property
    def share_within_target(self) -> float | None:
        """``within_target / notified`` (None without any referral)."""
        return self.within_target / self.notified if self.notified else None


def targets(directory: Directory | None) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Seconds to accept by risk level (directory-wide) and by (agency, risk) overrides."""
    if directory is None:
        return {r: parse_duration(DEFAULT_ESCALATION[r]) for r in RISKS}, {}
    default = {r: directory.escalation.delay(r) for r in RISKS}
    overrides = {
        (agency.id, risk): agency.escalation.delay(risk)
        for agency in directory.agencies
        for risk in RISKS
        if agency.escalation.delay(risk) != default[risk]
    }
    return default, overrides


def _target_seconds(directory: Directory | None) -> ColumnElement[int]:
    default, overrides = targets(directory)
    whens: list[tuple[ColumnElement[bool], int]] = [
        (and_(Referral.agency_id == agency, Alert.risk == risk), seconds)
        for (agency, risk), seconds in sorted(overrides.items())
    ]
    whens += [(Alert.risk == risk, default[risk]) for risk in ("high", "low")]
    return case(*whens, else_=default["medium"])  # other risk values are medium


def response(
    session: Session, period: Period, scope: Scope, directory: Directory | None
) -> Response:
    """Referrals notified and accepted, median time to accept, share within target, escalations."""
    where = referral_filter(period, scope)
    took = seconds_between(Referral.accepted_at, Referral.created_at)
    accepted = Referral.accepted_at.is_not(None)
    # A millisecond of slack: julianday arithmetic is not exact to the microsecond.
    within = and_(accepted, took <= _target_seconds(directory) + 0.001)
    row = session.execute(
        select(
            func.count().filter(Referral.notified_at.is_not(None)),
            func.count().filter(accepted),
            func.count().filter(within),
        )
        .select_from(Referral)
        .join(Alert, Alert.id == Referral.alert_id)
        .where(*where)
    ).one()
    escalations = session.scalar(
        select(func.count())
        .select_from(ReferralEvent)
        .join(Referral, Referral.id == ReferralEvent.referral_id)
        .where(ReferralEvent.event == "escalate", *where)
    )
    return Response(
        notified=int(row[0] or 0),
        accepted=int(row[1] or 0),
        median_seconds=_median(session, took, [*where, accepted], int(row[1] or 0)),
        within_target=int(row[2] or 0),
        escalations=int(escalations or 0),
    )


def _median(
    session: Session, value: ColumnElement[float], where: list[ColumnElement[bool]], n: int
) -> float | None:
    """The median of ``value`` over ``n`` rows (percentile_cont on PostgreSQL)."""
    if n == 0:
        return None
    if session.get_bind().dialect.name == "postgresql":
        median = session.scalar(
            select(func.percentile_cont(0.5).within_group(value))
            .select_from(Referral)
            .where(*where)
        )
        return float(median) if median is not None else None
    middle = session.scalars(
        select(value.label("v"))
        .select_from(Referral)
        .where(*where)
        .order_by(value)
        .offset((n - 1) // 2)
        .limit(2 - n % 2)
    ).all()
    return sum(float(v) for v in middle) / len(middle) if middle else None
