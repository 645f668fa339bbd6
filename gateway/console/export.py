"""``GET /console/cases/export.csv``: the case list, with its filters, as CSV.

Pseudonymised unless the user holds ``export.personal``: the reference is
replaced by a keyed hash prefix (the same case gets the same pseudonym in
every export, nobody without ``DATA_KEYS`` can link it back), dates are cut
to the day, and there is no landmark, no details and no phone number. The
personal export (admins) adds the reference, full times, landmark, details,
consent flags and the reporter's number when they agreed to be called back.
Agency users only export their agency's cases (the list's own query). Every
export is audited (``case.export``: kind, filters, row count). Cells that a
spreadsheet would run as a formula are prefixed with ``'``; the reporter's
number is written as dialled in Mali (``76 12 34 45``), never E.164, which
Excel turns into a number. Headers and coded values are in the user's
language (:mod:`gateway.console.export_words`); ``?codes=1`` gives the stored
codes and English column names, for programs.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from gateway import audit, phones, runtime
from gateway.console import auth, case_query, export_words
from gateway.console import permissions as perms
from gateway.db import utcnow
from gateway.models import Alert, Referral

bp = Blueprint("console_export", __name__, url_prefix="/console")
MAX_ROWS = 100_000
# Excel opens a CSV as UTF-8 only when it starts with a byte-order mark
# (else "Marché" becomes "MarchÃ©"); other tools ignore it.
BOM = "\ufeff"
PSEUDONYM_LENGTH = 16
COMMON = [
    "concern",
    "place",
    "risk",
    "sex",
    "age_band",
    "children",
    "immediate_danger",
    "via",
    "channel",
    "training",
    "alert_status",
    "agency",
    "referral_status",
    "overdue",
    "outcome",
]
PSEUDONYMISED = ["case", "created_day", *COMMON, "accepted_day", "closed_day"]
PERSONAL = [
    "reference",
    "created_at",
    *COMMON,
    "accepted_at",
    "closed_at",
    "landmark",
    "details",
    "consent_callback",
    "consent_messages",
    "reporter_number",
]
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def pseudonym(reference: str) -> str:
    """A stable keyed pseudonym for a case reference (a prefix of an HMAC)."""
    return runtime.current().keyring.lookup_hash("export-case:" + reference)[:PSEUDONYM_LENGTH]


def safe_cell(value: Any) -> str:
    """``value`` as a CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def _day(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).date().isoformat() if value else ""


def _time(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds") if value else ""


def _row(alert: Alert, referral: Referral | None, personal: bool, now: dt.datetime) -> list[Any]:
    common = [
        alert.concern,
        alert.place,
        alert.risk,
        alert.sex,
        alert.age_band,
        alert.children_count,
        alert.immediate_danger,
        alert.via,
        alert.channel,
        "yes" if alert.is_training else "no",
        alert.status,
        referral.agency_id if referral else "",
        referral.status if referral else case_query.UNROUTED,
        "yes" if case_query.overdue(referral, now) else "no",
        (referral.outcome or "") if referral else "",
    ]
    accepted = referral.accepted_at if referral else None
    closed = (referral.closed_at if referral else None) or alert.closed_at
    if not personal:
        day = _day(alert.created_at)
        return [pseudonym(alert.reference), day, *common, _day(accepted), _day(closed)]
    contact = alert.contact
    number = contact.phone if alert.consent_callback and contact is not None else None
    return [
        alert.reference,
        _time(alert.created_at),
        *common,
        _time(accepted),
        _time(closed),
        alert.landmark or "",
        alert.details or "",
        "yes" if alert.consent_callback else "no",
        "yes" if alert.consent_messages else "no",
        phones.for_spreadsheet(number) if number else "",
    ]


def _truncated(codes: bool) -> str:
    """The last line of an export cut at :data:`MAX_ROWS`."""
    if codes:
        return f"TRUNCATED: more than {MAX_ROWS} cases; narrow the filters"
    return str(_("TRUNCATED: more than %(n)d cases; narrow the filters", n=MAX_ROWS))


@bp.get("/cases/export.csv")
@perms.requires(perms.EXPORT_PERSONAL, perms.EXPORT_PSEUDONYMISED)
def export_csv() -> ResponseReturnValue:
    """The filtered case list as CSV (pseudonymised without ``export.personal``)."""
    user = auth.current()
    personal = perms.can(user, perms.EXPORT_PERSONAL)
    filters = case_query.parse_filters(request.args)
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    columns = PERSONAL if personal else PSEUDONYMISED
    codes = export_words.wants_codes()
    writer.writerow(columns if codes else export_words.case_headers(columns))
    now = utcnow()
    count = 0
    with runtime.current().db.session() as session:
        query = case_query.cases_query(user, filters).limit(MAX_ROWS + 1)
        if personal:
            query = query.options(selectinload(Alert.contact))
        for alert, referral in session.execute(query).tuples():
            if count == MAX_ROWS:  # never cut silently: say so in the file itself
                writer.writerow([_truncated(codes)])
                break
            row = _row(alert, referral, personal, now)
            if not codes:
                row = export_words.case_row(columns, row)
            writer.writerow([safe_cell(v) for v in row])
            count += 1
        kind = "personal" if personal else "pseudonymised"
        audit.record(
            session,
            user.username,
            "case.export",
            "cases",
            kind,
            f"{kind}; {count} row(s); {filters.summary()}",
        )
    name = f"relais-cases-{now.date().isoformat()}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
