"""Drift guard: every English sentence the console translates is still written by the code.

The console recognises English sentences by their template
(:class:`gateway.console.phrases.Phrase`) and shows anything it does not
recognise as it is. So rewording a message in, say,
:mod:`gateway.referrals.directory_checks` would silently bring English back on
French pages. This test finds every phrase table of :mod:`gateway.console`
and checks each English template against the string literals of the modules
that write it (:data:`SOURCES`), placeholders normalised on both sides
(``{name}`` → ``{}``, ``{name!r}`` → ``{!r}``): an f-string ``f"rule {r.id}
matched"`` and a template ``"rule {} matched"`` both read ``rule {} matched``.
A sentence the code writes in pieces is listed in :data:`PIECES` with the
pieces; one written by a library is listed in :data:`LIBRARY`, and
Python's own words for a value in :data:`BUILTIN`.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from functools import cache
from pathlib import Path

import pytest

import gateway.console
from gateway.console.phrases import Phrase

ROOT = Path(__file__).resolve().parents[2] / "gateway"
_FIELD = re.compile(r"\{[^{}]*\}")

# Where each table's English sentences are written (paths under gateway/).
SOURCES: dict[str, tuple[str, ...]] = {
    "phrases_directory.PROBLEMS": (
        "yamlsafe.py",
        "phones.py",
        "referrals/directory.py",
        "referrals/directory_checks.py",
        "referrals/directory_model.py",
        "referrals/places.py",
        "referrals/store.py",
    ),
    "phrases_directory.CHANGES": ("referrals/directory_diff.py", "referrals/store.py"),
    "route_words.REASONS": ("referrals/routing.py",),
    "case_labels.NOTES": (
        "referrals/actions.py",
        "referrals/notes.py",
        "referrals/focal.py",
        "referrals/followup.py",
        "referrals/notify.py",
        "referrals/service.py",
    ),
    "audit_words.DETAILS": (
        "console/auth.py",
        "console/case_actions.py",
        "console/case_query.py",
        "console/directory.py",
        "console/export.py",
        "console/loginguard.py",
        "console/messages.py",
        "console/places.py",
        "console/reports_views.py",
        "commands/data.py",
        "commands/messages.py",
        "commands/referrals.py",
        "retention.py",
    ),
}

# Sentences that directory_diff builds from a label and a generic line
# (``f"{label} removed: {key}"`` with the label ``"rule"``): each piece must
# still be there, normalised like the sentences.
_FOCAL = "agency {}: focal point"
PIECES: dict[str, tuple[str, ...]] = {
    "agency {agency}: focal point removed: {id}": (_FOCAL, "{} removed: {}"),
    "agency {agency}: focal point added: {id} (position {n})": (
        _FOCAL,
        "{} added: {} (position {})",
    ),
    "agency {agency}: focal points reordered: {old} → {new}": (_FOCAL, "{}s reordered: {} → {}"),
    "agency {agency}: focal point {id}: {key}: changed ({value})": (
        _FOCAL,
        "{} {}: ",
        "{}{}: changed ({})",
    ),
    "agency {agency}: focal point {id}: {key}: {old} → {new}": (
        _FOCAL,
        "{} {}: ",
        "{}{}: {} → {}",
    ),
    "agency {agency}: escalation {key}: {old} → {new}": (
        "agency {}: ",
        "{}escalation ",
        "{}{}: {} → {}",
    ),
    "agency {agency}: {key}: {old} → {new}": ("agency {}: ", "{}{}: {} → {}"),
    "rule removed: {id}": ("rule", "{} removed: {}"),
    "rule added: {id} (position {n})": ("rule", "{} added: {} (position {})"),
    "rules reordered: {old} → {new}": ("rule", "{}s reordered: {} → {}"),
    "rule {id}: {key}: {old} → {new}": ("rule", "{} {}: ", "{}{}: {} → {}"),
    "escalation {key}: {old} → {new}": ("{}escalation ", "{}{}: {} → {}"),
    "{key}: {old} → {new}": ("{}{}: {} → {}",),
    "{key}: changed ({value})": ("{}{}: changed ({})",),
}

# jsonschema's validation messages (the directory's schema problems): the
# library writes them, in pieces; tests/console/test_i18n_directory.py shows
# real ones translated.
LIBRARY = {
    "{name} is a required property",
    "Additional properties are not allowed ({names} was unexpected)",
    "Additional properties are not allowed ({names} were unexpected)",
    "{value} is not of type {kind!r}",
    "{value} does not match {pattern!r}",
    "{value} is not one of {choices}",
    "{value} has non-unique elements",
    "{value} should be non-empty",
    "{value} is too long",
    "{value} was expected",
}

# Values Python writes itself: ``f"complete: {report.complete}"`` (a bool).
BUILTIN = {"True", "False"}


def normalised(template: str) -> str:
    """``template`` with every replacement field as ``{}`` (``{!r}`` when it has ``!r``)."""
    return _FIELD.sub(lambda m: "{!r}" if m.group(0).endswith("!r}") else "{}", template)


def _literal(node: ast.AST) -> str | None:
    """A string literal or f-string of the source, normalised; None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return normalised(node.value)
    if not isinstance(node, ast.JoinedStr):
        return None
    parts = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value))
        elif isinstance(value, ast.FormattedValue):
            parts.append("{!r}" if value.conversion == ord("r") else "{}")
    return "".join(parts)


@cache
def literals(files: tuple[str, ...]) -> frozenset[str]:
    """Every string literal of ``files`` (under gateway/), normalised."""
    found: set[str] = set()
    for name in files:
        tree = ast.parse((ROOT / name).read_text(encoding="utf-8"))
        found.update(text for node in ast.walk(tree) if (text := _literal(node)) is not None)
    return frozenset(found)


def _assigned(path: Path) -> set[str]:
    """The names a module assigns at its top level (not those it imports)."""
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        names.update(target.id for target in targets if isinstance(target, ast.Name))
    return names


def phrase_tables() -> dict[str, tuple[Phrase, ...]]:
    """Every module-level tuple of phrases defined in gateway.console, by ``module.NAME``."""
    tables = {}
    for info in pkgutil.iter_modules(gateway.console.__path__):
        module = importlib.import_module(f"gateway.console.{info.name}")
        for name in _assigned(ROOT / "console" / f"{info.name}.py"):
            value = getattr(module, name)
            if isinstance(value, tuple) and value and all(isinstance(p, Phrase) for p in value):
                tables[f"{info.name}.{name}"] = value
    return tables


def test_every_phrase_table_says_where_its_sentences_are_written() -> None:
    """A new table needs its source modules in :data:`SOURCES` (else it goes unchecked)."""
    assert set(phrase_tables()) == set(SOURCES)


@pytest.mark.parametrize("table", sorted(SOURCES))
def test_every_english_template_is_still_written_by_the_code(table: str) -> None:
    """Each phrase's English is a literal (or pieces) of the modules that write it."""
    found = literals(SOURCES[table])
    missing = []
    for phrase in phrase_tables()[table]:
        if phrase.english in LIBRARY | BUILTIN:
            continue
        wanted = PIECES.get(phrase.english, (phrase.english,))
        missing += [piece for piece in wanted if normalised(piece) not in found]
    assert not missing, (
        f"{table}: these English sentences are no longer written by {SOURCES[table]}; "
        "update the phrase (and its translation) to the new wording"
    )


def test_exceptions_name_existing_phrases() -> None:
    """:data:`PIECES` and :data:`LIBRARY` only list sentences a table still has."""
    english = {phrase.english for table in phrase_tables().values() for phrase in table}
    assert set(PIECES) <= english
    assert english >= LIBRARY


def test_a_reworded_sentence_is_noticed() -> None:
    """The comparison tells a changed word apart, and a template from an f-string."""
    assert normalised("duplicate rule id {rule!r}") in literals(("referrals/directory_checks.py",))
    assert normalised("duplicate rule identifier {id!r}") not in literals(
        ("referrals/directory_checks.py",)
    )
    assert normalised("duplicate rule id {id}") != normalised("duplicate rule id {id!r}")
