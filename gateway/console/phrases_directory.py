"""Console words for directory and places problems and change lines.

:data:`PROBLEMS`: what :mod:`gateway.referrals.directory_checks`, the JSON
Schema (through ``jsonschema``'s messages), :mod:`gateway.yamlsafe`,
:mod:`gateway.referrals.places` and :mod:`gateway.referrals.store` write about
a file that cannot be loaded. :data:`CHANGES`: the change lines of a new
directory (:mod:`gateway.referrals.directory_diff`) or place list
(:func:`gateway.referrals.store.places_diff`), stored with each version.
The English templates follow those modules word for word (see
:mod:`gateway.console.phrases`); the first phrase that matches wins, so the
more specific come first.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from gateway.console.phrases import Phrase
from gateway.referrals.store import DEMO_REFUSED

PROBLEMS: tuple[Phrase, ...] = (
    # gateway.yamlsafe
    Phrase("duplicate key {key!r}", _l("duplicate key %(key)s")),
    Phrase("invalid YAML: {problem}", _l("invalid YAML: %(problem)s")),
    # gateway.referrals.directory_checks
    Phrase("duplicate agency id {id!r}", _l("duplicate agency id %(id)s")),
    Phrase("duplicate focal point id {id!r}", _l("duplicate focal point id %(id)s")),
    Phrase("duplicate rule id {id!r}", _l("duplicate rule id %(id)s")),
    Phrase("unknown place code {code!r}", _l("unknown place code %(code)s")),
    Phrase("not a duration: {text!r}", _l("not a duration: %(text)s")),
    Phrase("duration {text!r} must be more than 0", _l("duration %(text)s must be more than 0")),
    Phrase("duration {text!r} is more than 90d", _l("duration %(text)s is more than 90 days")),
    Phrase("unknown time zone {tz!r}", _l("unknown time zone %(tz)s")),
    Phrase(
        "invalid phone number for {id}: {error}", _l("invalid phone number for %(id)s: %(error)s")
    ),
    Phrase("empty or too long", _l("empty or too long")),
    Phrase("not a valid number", _l("not a valid number")),
    Phrase("{id} has the phone number of {other}", _l("%(id)s has the phone number of %(other)s")),
    Phrase(
        "focal point {id!r} cannot be its own backup",
        _l("focal point %(id)s cannot be its own backup"),
    ),
    Phrase(
        "backup {id!r} is not a focal point of {agency}",
        _l("backup %(id)s is not a focal point of %(agency)s"),
    ),
    Phrase(
        "supervisor {id!r} is not a focal point of {agency}",
        _l("supervisor %(id)s is not a focal point of %(agency)s"),
    ),
    Phrase(
        "rule {rule!r}: unknown agency {agency!r}", _l("rule %(rule)s: unknown agency %(agency)s")
    ),
    Phrase(
        "bad time window {start}-{end}: need from < 24:00, from != to",
        _l("bad time window %(start)s-%(end)s: “from” must be before 24:00 and differ from “to”"),
    ),
    Phrase("unknown fallback agency {id!r}", _l("unknown fallback agency %(id)s")),
    Phrase(
        "webhook of {id} is an example address: give the agency's real URL or remove the webhook",
        _l(
            "the webhook of %(id)s is an example address: give the agency's real URL"
            " or remove the webhook"
        ),
    ),
    Phrase(
        "fallback agency {id!r} has no active focal point",
        _l("fallback agency %(id)s has no active focal point"),
    ),
    Phrase(
        DEMO_REFUSED,
        _l(
            "demo: true marks a demonstration directory (made-up numbers that would receive "
            "real referrals): refused in production (ALLOW_DEMO_DIRECTORY=1 on a training server)"
        ),
    ),
    # gateway.referrals.places and store
    Phrase("expected a list of places", _l("expected a list of places")),
    Phrase(
        "a place needs code, kind and name (strings)",
        _l("a place needs code, kind and name (strings)"),
    ),
    Phrase("duplicate place code {code}", _l("duplicate place code %(code)s")),
    Phrase("duplicate place codes", _l("duplicate place codes")),
    Phrase(
        "code {code} must start with {parent}-", _l("code %(code)s must start with %(parent)s-")
    ),
    Phrase("the root place {code} is missing", _l("the root place %(code)s is missing")),
    Phrase(
        "place {code} is used by the directory in force ({users}): "
        "change the directory before removing it",
        _l(
            "place %(code)s is used by the directory in force (%(users)s): "
            "change the directory before removing it"
        ),
    ),
    # jsonschema's messages, after "where: " (the schema problems)
    Phrase(
        "{message} (quote the number: YAML read it as an integer)",
        _l("%(message)s (quote the number: YAML read it as an integer)"),
    ),
    Phrase("{name} is a required property", _l("%(name)s is required")),
    Phrase(
        "Additional properties are not allowed ({names} was unexpected)",
        _l("unexpected key %(names)s"),
    ),
    Phrase(
        "Additional properties are not allowed ({names} were unexpected)",
        _l("unexpected keys %(names)s"),
    ),
    Phrase("{value} is not of type {kind!r}", _l("%(value)s is not of type %(kind)s")),
    Phrase("{value} does not match {pattern!r}", _l("%(value)s does not have the expected form")),
    Phrase("{value} is not one of {choices}", _l("%(value)s is not one of %(choices)s")),
    Phrase("{value} has non-unique elements", _l("%(value)s has repeated elements")),
    Phrase("{value} should be non-empty", _l("%(value)s must not be empty")),
    Phrase("{value} is too long", _l("%(value)s is too long")),
    Phrase("{value} was expected", _l("%(value)s was expected")),
    Phrase("(top)", _l("(top)")),
    Phrase("{where}: {message}", _l("%(where)s: %(message)s")),
)

CHANGES: tuple[Phrase, ...] = (
    # gateway.referrals.directory_diff
    Phrase("directory created ({digest})", _l("directory created (%(digest)s)")),
    Phrase(
        "agency added: {id} ({name}, {count} focal points)",
        _l("agency added: %(id)s (%(name)s, %(count)s focal points)"),
    ),
    Phrase("agency removed: {id}", _l("agency removed: %(id)s")),
    Phrase(
        "agency {agency}: focal point removed: {id}",
        _l("agency %(agency)s: focal point removed: %(id)s"),
    ),
    Phrase(
        "agency {agency}: focal point added: {id} (position {n})",
        _l("agency %(agency)s: focal point added: %(id)s (position %(n)s)"),
    ),
    Phrase(
        "agency {agency}: focal points reordered: {old} → {new}",
        _l("agency %(agency)s: focal points reordered: %(old)s → %(new)s"),
    ),
    Phrase(
        "agency {agency}: focal point {id}: {key}: changed ({value})",
        _l("agency %(agency)s: focal point %(id)s: %(key)s: changed (%(value)s)"),
    ),
    Phrase(
        "agency {agency}: focal point {id}: {key}: {old} → {new}",
        _l("agency %(agency)s: focal point %(id)s: %(key)s: %(old)s → %(new)s"),
    ),
    Phrase(
        "agency {agency}: escalation {key}: {old} → {new}",
        _l("agency %(agency)s: escalation %(key)s: %(old)s → %(new)s"),
    ),
    Phrase(
        "agency {agency}: {key}: {old} → {new}", _l("agency %(agency)s: %(key)s: %(old)s → %(new)s")
    ),
    Phrase("rule removed: {id}", _l("rule removed: %(id)s")),
    Phrase("rule added: {id} (position {n})", _l("rule added: %(id)s (position %(n)s)")),
    Phrase("rules reordered: {old} → {new}", _l("rules reordered: %(old)s → %(new)s")),
    Phrase("rule {id}: {key}: {old} → {new}", _l("rule %(id)s: %(key)s: %(old)s → %(new)s")),
    Phrase("escalation {key}: {old} → {new}", _l("escalation %(key)s: %(old)s → %(new)s")),
    Phrase("{key}: {old} → {new}", _l("%(key)s: %(old)s → %(new)s")),
    Phrase("{key}: changed ({value})", _l("%(key)s: changed (%(value)s)")),
    Phrase("(any)", _l("(any)")),
    Phrase("(none)", _l("(none)")),
    # gateway.referrals.store.places_diff
    Phrase("added place {code} ({name})", _l("added place %(code)s (%(name)s)")),
    Phrase("renamed place {code}: {old} → {new}", _l("renamed place %(code)s: %(old)s → %(new)s")),
    Phrase(
        "changed place {code}: {kind} in {parent}",
        _l("changed place %(code)s: %(kind)s in %(parent)s"),
    ),
    Phrase("removed place {code} ({name})", _l("removed place %(code)s (%(name)s)")),
)
