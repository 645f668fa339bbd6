"""Reports: headline figures, breakdowns, response times and a trend chart.

``/console/reports`` (``reports.view_all``, or ``reports.view_agency``: then
only the user's agency's referrals count) renders what :mod:`gateway.reports`
computes for a period (default: the last 30 days) and an agency filter;
``/console/reports/export.csv`` downloads the same aggregated figures (in the
reader's words, or codes with ``?codes=1``; no personal data; audited
``report.export``). The trend is a server-rendered
SVG bar chart (``<title>``, ``<desc>``, and a data table below it). Training
data is never counted.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import format_date, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway import audit, reports, runtime
from gateway.console import case_labels, export_words
from gateway.console.auth import current
from gateway.console.directory_forms import places_in_force
from gateway.console.export import BOM, safe_cell
from gateway.console.i18n import select_locale
from gateway.console.permissions import REPORTS_VIEW_AGENCY, REPORTS_VIEW_ALL, can, requires
from gateway.referrals import store
from gateway.reports_response_time import RISKS, targets
from gateway.reports_scope import Period, Scope

bp = Blueprint("reports", __name__, url_prefix="/console/reports")
DEFAULT_DAYS = 30
LABELS: dict[str, dict[str, Any]] = {
    "concern": case_labels.CONCERNS,  # the same words as the case pages
    "sex": {"girl": _l("Girls"), "boy": _l("Boys"), "both": _l("Girls and boys")},
    "age_band": {"0-4": _l("0 to 4 years"), "5-11": _l("5 to 11 years")},
    "status": {
        "received": _l("Received"),
        "in_progress": _l("Being handled"),
        "closed": _l("Closed"),
    },
    "via": {"sms": _l("SMS"), "ussd": _l("USSD"), "oneshot": _l("One-message SMS (relays)")},
}
LABELS["age_band"].update({"12-14": _l("12 to 14 years"), "15-17": _l("15 to 17 years")})
TITLES = {
    "concern": _l("By concern"),
    "place": _l("By commune or region"),
    "age_band": _l("By age"),
    "sex": _l("By sex"),
    "status": _l("By status"),
    "via": _l("By channel"),
}
UNITS = {
    "day": _l("Alerts per day"),
    "week": _l("Alerts per week"),
    "month": _l("Alerts per month"),
}


def label(dimension: str, value: str) -> str:
    """The reader's name for a breakdown value (place names from the place list)."""
    if value == "unknown":
        return str(_("Unknown"))
    if dimension == "place":
        return places_in_force().name(value, select_locale())
    return str(LABELS.get(dimension, {}).get(value, value))


def duration(seconds: float | None) -> str:
    """``754`` → ``13 min``; hours and days for longer times."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if minutes < 60:
        return str(_("%(n)d min", n=minutes))
    if minutes < 48 * 60 and minutes % 60 == 0:
        return str(_("%(h)d h", h=minutes // 60))
    if minutes < 48 * 60:
        return str(_("%(h)d h %(m)02d", h=minutes // 60, m=minutes % 60))
    return str(_("%(d)d days %(h)d h", d=minutes // 1440, h=minutes % 1440 // 60))


@dataclass(frozen=True)
class Bar:
    """One bar of the trend chart, in SVG user units."""

    x: float
    y: float
    width: float
    height: float
    label: str
    alerts: int
    tick: bool  # whether its label is written under the axis


def bucket_label(start: dt.date, unit: str) -> str:
    """A day, the week starting on that day, or a month, in the reader's language."""
    if unit == "month":
        return str(format_date(start, "MMM yyyy"))
    text = str(format_date(start, "d MMM"))
    return str(_("week of %(day)s", day=text)) if unit == "week" else text


def chart(buckets: list[reports.Bucket], unit: str) -> dict[str, Any]:
    """Bars, axis ticks and the description of the trend chart."""
    width, height, left, bottom, top = 640.0, 220.0, 40.0, 28.0, 12.0
    plot_w, plot_h = width - left - 8, height - top - bottom
    peak = max((b.alerts for b in buckets), default=0)
    scale = max(1, math.ceil(peak / 4) * 4)
    slot = plot_w / max(1, len(buckets))
    every = max(1, math.ceil(len(buckets) / 6))
    bars = []
    for i, bucket in enumerate(buckets):
        h = plot_h * bucket.alerts / scale
        bars.append(
            Bar(
                round(left + i * slot + slot * 0.1, 2),
                round(top + plot_h - h, 2),
                round(slot * 0.8, 2),
                round(h, 2),
                bucket_label(bucket.start, unit),
                bucket.alerts,
                i % every == 0,
            )
        )
    ticks = [(round(top + plot_h - plot_h * k / 4, 2), scale * k // 4) for k in range(5)]
    total = sum(b.alerts for b in buckets)
    busiest = max(bars, key=lambda b: b.alerts) if bars and peak else None
    desc = _("%(what)s: %(total)d alerts in all.", what=UNITS[unit], total=total)
    if busiest is not None:
        desc += " " + _("Highest: %(n)d (%(when)s).", n=busiest.alerts, when=busiest.label)
    return {
        "width": width,
        "height": height,
        "left": left,
        "base": top + plot_h,
        "right": width - 8,
        "bars": bars,
        "ticks": ticks,
        "title": UNITS[unit],
        "desc": desc,
    }


def _scope(agencies: list[tuple[str, str]]) -> Scope:
    """Every agency (or the one chosen) for reports.view_all; else the user's agency only."""
    user = current()
    if can(user, REPORTS_VIEW_ALL):
        wanted = request.args.get("agency", "")
        return frozenset({wanted}) if wanted in {a for a, _name in agencies} else None
    return frozenset({user.agency_id}) if user.agency_id else frozenset()


def _period() -> tuple[Period, str]:
    """The period asked for (whole days), else the last 30 days and why."""
    raw_from, raw_to = request.args.get("from", ""), request.args.get("to", "")
    if not raw_from and not raw_to:
        return Period.last_days(DEFAULT_DAYS), ""
    try:
        last = dt.date.fromisoformat(raw_to) if raw_to else dt.datetime.now(dt.UTC).date()
        first = dt.date.fromisoformat(raw_from) if raw_from else last - dt.timedelta(29)
        return Period.from_dates(first, last), ""
    except (ValueError, OverflowError):  # OverflowError: 9999-12-31, 0001-01-01
        message = _("That period cannot be used (at most three years, the start first).")
        return Period.last_days(DEFAULT_DAYS), message


def _report() -> tuple[reports.Report, str, list[tuple[str, str]], dict[str, int]]:
    """The report asked for, a problem with the period, the agencies, the targets."""
    period, problem = _period()
    # One snapshot: the totals and their breakdowns must add up even when an
    # alert arrives while the report is being read.
    with runtime.current().db.snapshot() as session:
        directory = store.current(session)
        agencies = [(a.id, a.name) for a in directory.agencies] if directory else []
        report = reports.build(session, period, _scope(agencies), directory)
    return report, problem, agencies, targets(directory)[0]


@bp.get("")
@requires(REPORTS_VIEW_ALL, REPORTS_VIEW_AGENCY)
def page() -> ResponseReturnValue:
    """The report page."""
    report, problem, agencies, default = _report()
    share = report.response.share_within_target
    return render_template(
        "console/reports/index.html",
        report=report,
        problem=problem,
        agencies=agencies if can(current(), REPORTS_VIEW_ALL) else [],
        chosen=next(iter(report.scope)) if report.scope else "",
        titles=TITLES,
        label=label,
        median=duration(report.response.median_seconds),
        share=format_percent(share) if share is not None else "—",
        targets=[(risk, duration(default[risk])) for risk in RISKS],
        chart=chart(report.trend, report.unit),
        unit_title=UNITS[report.unit],
        bucket_label=bucket_label,
    )


def csv_rows(report: reports.Report) -> list[list[str]]:
    """The report as ``section, key, value, children`` rows: codes and counts only."""
    p, r, h = report.period, report.response, report.headline
    scope = "all" if report.scope is None else " ".join(sorted(report.scope)) or "none"
    share = r.share_within_target
    # Half up, the same on every database (round() would go to the even number).
    median = "" if r.median_seconds is None else str(int(r.median_seconds + 0.5))
    rows = [
        ["section", "key", "value", "children"],
        ["period", "from", p.first_day.isoformat(), ""],
        ["period", "to", p.last_day.isoformat(), ""],
        ["period", "agencies", scope, ""],
        ["headline", "alerts", str(h.alerts), str(h.children)],
        ["headline", "girls", "", str(h.girls)],
    ]
    for dimension in reports.DIMENSIONS:
        counts = report.breakdowns[dimension]
        rows += [[dimension, c.value, str(c.alerts), str(c.children)] for c in counts]
    rows += [
        ["response", "referrals_notified", str(r.notified), ""],
        ["response", "referrals_accepted", str(r.accepted), ""],
        ["response", "median_seconds_to_accept", median, ""],
        ["response", "accepted_within_target", str(r.within_target), ""],
        ["response", "share_within_target", "" if share is None else f"{share:.3f}", ""],
        ["response", "escalations", str(r.escalations), ""],
    ]
    rows += [[f"trend_{report.unit}", b.start.isoformat(), str(b.alerts), ""] for b in report.trend]
    # A cell starting like a formula is never read as one by a spreadsheet.
    return [["'" + c if c[:1] in ("=", "+", "-", "@") else c for c in row] for row in rows]


@bp.get("/export.csv")
@requires(REPORTS_VIEW_ALL, REPORTS_VIEW_AGENCY)
def export_csv() -> ResponseReturnValue:
    """The report's aggregated figures as CSV (audited)."""
    report, _problem, _agencies, _targets = _report()
    out = io.StringIO()
    out.write(BOM)
    rows = csv_rows(report)
    if not export_words.wants_codes():  # the reader's words; ?codes=1 for programs
        rows = export_words.report_rows(rows, label, TITLES)
    csv.writer(out, lineterminator="\r\n").writerows([[safe_cell(c) for c in r] for r in rows])
    first, last = report.period.first_day.isoformat(), report.period.last_day.isoformat()
    scope = "all" if report.scope is None else ",".join(sorted(report.scope)) or "none"
    with runtime.current().db.session() as session:  # the period as the target: never masked
        actor, period = current().username, f"{first}..{last}"
        audit.record(session, actor, "report.export", "report", period, f"agencies={scope}")
    response = Response(out.getvalue(), mimetype="text/csv")
    name = f"relais-report-{first}-{last}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
