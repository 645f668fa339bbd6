"""The CSV exports' headers and coded values in the reader's language.

The case export (:mod:`gateway.console.export`) and the report export
(:mod:`gateway.console.reports_views`) are read by people in a spreadsheet:
by default their column names and coded values (concern, risk, status,
outcome, sex, yes/no...) are the console's own words in the user's language.
``?codes=1`` on either export URL gives the machine codes instead (stable
English names and stored values) for anyone who parses the file. Only the
words change: the columns, their order, dates and numbers are the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l

from gateway.console import case_labels as cl

YES_NO = {"yes": _l("Yes"), "no": _l("No")}
CASE_HEADERS = {
    "case": _l("Case (pseudonym)"),
    "created_day": _l("Created (day, UTC)"),
    "reference": _l("Reference"),
    "created_at": _l("Created at (UTC)"),
    "concern": _l("Concern"),
    "place": _l("Place"),
    "risk": _l("Risk"),
    "sex": _l("Sex"),
    "age_band": _l("Age band"),
    "children": _l("Children"),
    "immediate_danger": _l("Immediate danger"),
    "via": _l("Reported through"),
    "channel": _l("Channel"),
    "training": _l("Training"),
    "alert_status": _l("Case status"),
    "agency": _l("Agency"),
    "referral_status": _l("Referral status"),
    "overdue": _l("Overdue"),
    "outcome": _l("Outcome"),
    "accepted_day": _l("Accepted (day, UTC)"),
    "closed_day": _l("Closed (day, UTC)"),
    "accepted_at": _l("Accepted at (UTC)"),
    "closed_at": _l("Closed at (UTC)"),
    "landmark": _l("Landmark"),
    "details": _l("Details"),
    "consent_callback": _l("Agrees to be called back"),
    "consent_messages": _l("Wants news by SMS"),
    "reporter_number": _l("Reporter's number"),
}
# The coded columns of the case export and the words for their values.
CASE_VALUES: dict[str, dict[str, Any]] = {
    "concern": cl.CONCERNS,
    "risk": cl.RISKS,
    "sex": cl.SEXES,
    "age_band": cl.AGE_BANDS,
    "immediate_danger": cl.ANSWERS,
    "via": cl.VIA,
    "training": YES_NO,
    "alert_status": cl.CASE_STATUSES,
    "overdue": YES_NO,
    "outcome": cl.OUTCOMES,
    "consent_callback": YES_NO,
    "consent_messages": YES_NO,
}
REPORT_HEADERS = {
    "section": _l("Section"),
    "key": _l("Item"),
    "value": _l("Alerts or value"),
    "children": _l("Children"),
}
REPORT_SECTIONS = {
    "period": _l("Period"),
    "headline": _l("Headline figures"),
    "response": _l("Response to referrals"),
    "trend_day": _l("Alerts per day"),
    "trend_week": _l("Alerts per week"),
    "trend_month": _l("Alerts per month"),
}
REPORT_KEYS = {
    "from": _l("From"),
    "to": _l("To"),
    "agencies": _l("Agencies"),
    "alerts": _l("Alerts"),
    "girls": _l("Girls"),
    "referrals_notified": _l("Referrals sent"),
    "referrals_accepted": _l("Referrals accepted"),
    "median_seconds_to_accept": _l("Median time to accept (seconds)"),
    "accepted_within_target": _l("Accepted within target"),
    "share_within_target": _l("Share accepted within target"),
    "escalations": _l("Escalations"),
}
REPORT_SCOPES = {"all": _l("All agencies"), "none": _l("No agency")}


def wants_codes() -> bool:
    """Whether the export URL asks for machine codes (``?codes=1``)."""
    return request.args.get("codes", "").strip().lower() in ("1", "true", "yes")


def _word(mapping: dict[str, Any], code: str) -> str:
    """The words for ``code`` (the code itself when unknown); an empty cell stays empty."""
    return cl.label(mapping, code, empty="")


def case_headers(columns: Sequence[str]) -> list[str]:
    """The case export's header row in the reader's language."""
    return [_word(CASE_HEADERS, column) for column in columns]


def case_row(columns: Sequence[str], row: Sequence[Any]) -> list[Any]:
    """One case row with its coded values in words (others unchanged)."""
    out = []
    for column, value in zip(columns, row, strict=True):
        if column == "referral_status" and value:
            out.append(cl.status_label(str(value)))
        elif column in CASE_VALUES and isinstance(value, str) and value:
            out.append(_word(CASE_VALUES[column], value))
        else:
            out.append(value)
    return out


def report_rows(
    rows: Sequence[Sequence[str]], dimension_word: Callable[[str, str], str], titles: dict[str, Any]
) -> list[list[str]]:
    """The report export's ``section, key, value, children`` rows in words.

    ``dimension_word(dimension, value)`` names a breakdown value and
    ``titles`` the breakdowns (the Reports page's own words).
    """
    header, *body = rows
    out = [[_word(REPORT_HEADERS, cell) for cell in header]]
    for section, key, value, children in body:
        if section in titles:
            out.append([str(titles[section]), dimension_word(section, key), value, children])
            continue
        if (section, key) == ("period", "agencies"):
            value = _word(REPORT_SCOPES, value)
        named = _word(REPORT_SECTIONS, section)
        out.append([named, _word(REPORT_KEYS, key), value, children])
    return out
