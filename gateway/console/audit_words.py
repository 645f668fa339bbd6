"""The audit log's details in the console's language.

The details are stored in English by the code that records each event
(:func:`gateway.audit.record` callers in the console, the ``relais``
commands and retention), and ``relais audit tail`` prints them as stored.
The Audit log page shows them in the reader's language through
:data:`DETAILS` (see :mod:`gateway.console.phrases`): a detail no phrase
knows (``role=agency agency=iom``, the row counts of a purge) is shown as
stored. The English templates follow their callers word for word
(tests/console/test_phrases.py checks it).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from gateway.console.phrases import Phrase, translate

DETAILS: tuple[Phrase, ...] = (
    # gateway.console.directory and places: a new version
    Phrase(
        "version {version}, {count} change(s), {what}",
        _l("version %(version)s, %(count)s change(s), %(what)s"),
    ),
    Phrase("version {version}, {count} change(s)", _l("version %(version)s, %(count)s change(s)")),
    Phrase("file", _l("the file")),
    Phrase("active {id}", _l("active or not: %(id)s")),
    Phrase("phone {id}", _l("phone number of %(id)s")),
    # gateway.console.export and reports_views
    Phrase("{kind}; {count} row(s); {filters}", _l("%(kind)s; %(count)s row(s); %(filters)s")),
    Phrase("personal", _l("with personal data")),
    Phrase("pseudonymised", _l("pseudonymised")),
    Phrase("no filter", _l("no filter")),
    Phrase("agencies={agencies}", _l("agencies: %(agencies)s")),
    Phrase("all", _l("all")),
    Phrase("none", _l("none")),
    # failed jobs and messages sent again (console and relais commands)
    Phrase(
        "requeued {requeued}, skipped {skipped}",
        _l("sent again: %(requeued)s, skipped: %(skipped)s"),
    ),
    Phrase("{count} queued", _l("%(count)s queued again")),
    # relais keys rotate
    Phrase(
        "{count} values re-encrypted; complete: {complete}",
        _l("%(count)s values re-encrypted; complete: %(complete)s"),
    ),
    Phrase("True", _l("yes")),
    Phrase("False", _l("no")),
    # gateway.console.case_actions
    Phrase("holder {id}", _l("held by %(id)s")),
    Phrase("from {old} to {new}", _l("from %(old)s to %(new)s")),
    Phrase("to {id}", _l("to %(id)s")),
    Phrase("outcome {outcome}", _l("outcome: %(outcome)s")),
    Phrase("message {id}", _l("message %(id)s")),
    # sign-in (gateway.console.auth and loginguard)
    Phrase("per-IP limit", _l("too many attempts from one network")),
    Phrase("session timed out", _l("session timed out")),
    Phrase("unknown username", _l("unknown username")),
    Phrase("disabled", _l("account disabled")),
    Phrase("locked", _l("account locked")),
    Phrase("wrong password", _l("wrong password")),
    Phrase(
        "{count} failures; locked {minutes} min",
        _l("%(count)s failures; locked for %(minutes)s min"),
    ),
    # gateway.retention
    Phrase("nothing to erase", _l("nothing to erase")),
)


def detail_words(detail: str) -> str:
    """An audit detail in the console's language when its wording is known, else as stored."""
    return translate(detail, DETAILS)
