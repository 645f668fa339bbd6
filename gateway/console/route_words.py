"""The "test routing" decision in the console's language.

``relais route`` prints :func:`gateway.referrals.routing.explain`, in English
(the CLI's words and logs stay stable), and the console shows exactly that
text to English readers (:func:`route_text`). For the others it renders the same
:class:`~gateway.referrals.routing.Decision` line for line in the user's
language: the vocabulary as on the rest of the Directory pages, the reasons
(why a rule did not match, who was chosen and why, notes) through
:data:`REASONS`, whose English templates follow :mod:`gateway.referrals.routing`
word for word. Phone numbers are masked, as in the CLI.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway.console import directory_forms as forms
from gateway.console import i18n
from gateway.console.phrases import Phrase, duration_words, translate
from gateway.phones import mask
from gateway.referrals.directory_model import DAYS
from gateway.referrals.places import PlaceTree
from gateway.referrals.routing import Decision, Recipient, explain

REASONS: tuple[Phrase, ...] = (
    Phrase(
        "concern {value} is not in [{allowed}]", _l("concern %(value)s is not in [%(allowed)s]")
    ),
    Phrase("risk {value} is not in [{allowed}]", _l("risk %(value)s is not in [%(allowed)s]")),
    Phrase("sex {value} is not in [{allowed}]", _l("sex %(value)s is not in [%(allowed)s]")),
    Phrase(
        "age band {value} is not in [{allowed}]", _l("age band %(value)s is not in [%(allowed)s]")
    ),
    Phrase(
        "place {place} (unknown place) is not within [{places}]",
        _l("place %(place)s (unknown place) is not within [%(places)s]"),
    ),
    Phrase(
        "place {place} is not within [{places}]", _l("place %(place)s is not within [%(places)s]")
    ),
    Phrase(
        "time {time} {day} is outside {windows}", _l("time %(time)s %(day)s is outside %(windows)s")
    ),
    Phrase("rule {id} matched", _l("rule %(id)s matched")),
    Phrase("no rule matched: fallback agency", _l("no rule matched: fallback agency")),
    Phrase(
        "{reason}, but {selection}: fallback agency {fallback}",
        _l("%(reason)s, but %(selection)s: fallback agency %(fallback)s"),
    ),
    Phrase(
        "{id} speaks {lang}, {area} ({count} active focal points considered)",
        _l("%(id)s speaks %(lang)s, %(area)s (%(count)s active focal points considered)"),
    ),
    Phrase(
        "{id} does not speak {lang}, {area} ({count} active focal points considered)",
        _l("%(id)s does not speak %(lang)s, %(area)s (%(count)s active focal points considered)"),
    ),
    Phrase("works in every area", _l("works in every area")),
    Phrase(
        "areas [{areas}] do not contain {place}", _l("areas [%(areas)s] do not contain %(place)s")
    ),
    Phrase("area {area} contains {place}", _l("area %(area)s contains %(place)s")),
    Phrase(
        "agency {id} has no active focal point: supervisor notified first",
        _l("agency %(id)s has no active focal point: supervisor notified first"),
    ),
    Phrase("agency {id} has no active focal point", _l("agency %(id)s has no active focal point")),
    Phrase("agency {id} is not in the directory", _l("agency %(id)s is not in the directory")),
    Phrase(
        "backup {id} of {of} is not active: skipped",
        _l("backup %(id)s of %(of)s is not active: skipped"),
    ),
    Phrase(
        "supervisor {id} is not active: skipped", _l("supervisor %(id)s is not active: skipped")
    ),
    Phrase(
        "nobody can be notified: an operator must handle this alert",
        _l("nobody can be notified: an operator must handle this alert"),
    ),
)
ROLES = {"focal point": _l("focal point"), "backup": _l("backup"), "supervisor": _l("supervisor")}


def _people(people: tuple[Recipient, ...]) -> list[str]:
    """One aligned line per person to notify (``now`` or ``+15 min``, role, id, name, phone)."""
    rows = [
        (
            str(_("now")) if not p.after_seconds else "+" + duration_words(p.after_seconds),
            str(ROLES.get(p.role, p.role)),
            p.focal_point_id,
            p.name,
            mask(p.phone),
        )
        for p in people
    ]
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(4)]
    padded = [[*(row[i].ljust(widths[i]) for i in range(4)), row[4]] for row in rows]
    return ["  " + "  ".join(cells) for cells in padded] or ["  " + str(_("nobody"))]


def route_lines(decision: Decision, places: PlaceTree, lang: str) -> list[str]:
    """The decision as ``relais route`` prints it, in the console's language."""
    alert, at = decision.alert, decision.at
    lines = [
        _(
            "Alert: concern %(concern)s, place %(place)s (%(name)s), risk %(risk)s, sex %(sex)s, "
            "age band %(age)s, language %(lang)s",
            concern=forms.words((alert.concern,), forms.CONCERN_LABELS),
            place=alert.place,
            name=places.name(alert.place, lang),
            risk=forms.words((alert.risk,), forms.RISK_LABELS),
            sex=forms.words((alert.sex,), forms.SEX_LABELS),
            age=forms.words((alert.age_band,), forms.AGE_LABELS),
            lang=forms.words((alert.language,), forms.LANGUAGE_LABELS),
        ),
        _(
            "At: %(day)s %(when)s (%(tz)s)",
            day=forms.words((DAYS[at.weekday()],), forms.DAY_LABELS),
            when=f"{at:%Y-%m-%d %H:%M}",
            tz=str(at.tzinfo),
        ),
        _("Rules, in order:"),
    ]
    for check in decision.not_matched:
        reasons = "; ".join(translate(reason, REASONS) for reason in check.reasons)
        lines.append("  - " + _("rule %(id)s: %(reasons)s", id=check.rule_id, reasons=reasons))
    if decision.rule_id:
        lines.append("  - " + _("rule %(id)s: matched", id=decision.rule_id))
    else:
        lines.append("  " + _("(no match)"))
    reason = translate(decision.reason, REASONS)
    lines.append(
        _("Agency: %(id)s (%(name)s): %(reason)s", id=decision.agency_id,
          name=decision.agency_name, reason=reason)
    )  # fmt: skip
    lines.append(_("Chosen: %(selection)s", selection=translate(decision.selection, REASONS)))
    lines.append(
        _(
            "Notify, in order (risk %(risk)s: next one after %(delay)s without acceptance):",
            risk=forms.words((alert.risk,), forms.RISK_LABELS),
            delay=duration_words(decision.escalation_delay),
        )
    )
    lines += _people(decision.recipients)
    reminder = duration_words(decision.reminder_after)
    lines.append(_("Reminder if accepted and not closed after %(delay)s", delay=reminder))
    lines += [_("Note: %(note)s", note=translate(note, REASONS)) for note in decision.notes]
    return [str(line) for line in lines]


def route_text(decision: Decision, places: PlaceTree) -> str:
    """The decision shown: ``relais route``'s own text in English, else :func:`route_lines`."""
    lang = i18n.select_locale()
    if lang == "en":
        return explain(decision, places, lang)
    return "\n".join(route_lines(decision, places, lang))
