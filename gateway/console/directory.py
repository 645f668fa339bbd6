"""The console's Directory pages (blueprint ``console_directory``).

* ``GET /console/directory`` (``directory.view``): the directory in force —
  agencies, focal points (numbers masked), escalation, rules in words, places.
  ``POST /console/directory/reveal`` (``directory.edit``): the same page with
  one focal point's number shown; audited (``directory.reveal_phone``).
* ``GET /console/directory/history``: every directory version and saved place
  list with its change lines (:mod:`gateway.console.directory_history`).
* ``GET/POST /console/directory/edit`` (``directory.edit``): the whole YAML
  file; "validate" lists problems as ``line N: message`` without saving,
  "save" stores a new version through :func:`gateway.referrals.store.load_text`.
* ``GET/POST /console/directory/places/edit``: the places editor
  (:mod:`gateway.console.places`).
* ``GET /console/directory/focal-points/<id>`` and ``POST …/active``,
  ``POST …/phone`` (``directory.edit``): quick edits without YAML, saved the
  same way (see :mod:`gateway.console.directory_forms`).
* ``GET /console/directory/route`` (``directory.view``): "test routing", what
  ``relais route`` explains, in the user's language
  (:mod:`gateway.console.directory_route`).

Every saved change is audited as ``directory.edit`` (version id and number of
changes; never a phone number).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from gateway import audit, runtime
from gateway.console import auth, i18n
from gateway.console import directory_forms as forms
from gateway.console import permissions as perms
from gateway.console.phrases import duration_words, translate
from gateway.console.phrases_directory import CHANGES
from gateway.models import DirectoryVersion
from gateway.phones import InvalidNumber, mask, normalize
from gateway.referrals import store
from gateway.referrals.directory import Directory, DirectoryError
from gateway.referrals.version_lock import NO_VERSION, ChangedMeanwhile
from gateway.yamlsafe import YamlError

bp = Blueprint("console_directory", __name__, url_prefix="/console")
SOURCE = "console"
TEMPLATES = "console/directory/"


def latest() -> tuple[DirectoryVersion | None, Directory | None]:
    """The newest stored version (detached) and the directory it holds."""
    with runtime.current().db.session() as session:
        row = session.scalars(
            select(DirectoryVersion).order_by(DirectoryVersion.id.desc()).limit(1)
        ).first()
        directory = store.current(session)
        if row is not None:
            session.expunge(row)
    return row, directory


def common() -> dict[str, Any]:
    """What every Directory page's template uses (language, places, labels, formats)."""
    return {
        "lang": i18n.select_locale(),
        "places": forms.places_in_force(),
        "forms": forms,
        "format_duration": duration_words,
        "mask": mask,
        "when": forms.when,
    }


def _index_page(revealed: dict[str, str] | None = None) -> str:
    row, directory = latest()
    lang = i18n.select_locale()
    return render_template(
        TEMPLATES + "index.html",
        row=row,
        directory=directory,
        revealed=revealed or {},
        tree=forms.place_tree(forms.places_in_force(), lang),
        **common(),
    )


@bp.get("/directory")
@perms.requires(perms.DIRECTORY_VIEW)
def index() -> ResponseReturnValue:
    """The directory in force."""
    return _index_page()


@bp.post("/directory/reveal")
@perms.requires(perms.DIRECTORY_EDIT)
def reveal() -> ResponseReturnValue:
    """Show one focal point's number (audited, never logged in clear)."""
    _row, directory = latest()
    fp_id = request.form.get("focal_point", "")[:64]
    found = forms.find_person(directory, fp_id) if directory is not None else None
    if found is None:
        abort(404)
    with runtime.current().db.session() as session:
        audit.record(
            session, auth.current().username, "directory.reveal_phone", "focal_point", fp_id
        )
    return _index_page({fp_id: found[1].phone})


def _audit_edit(version_id: int, count: int, what: str) -> None:
    with runtime.current().db.session() as session:
        audit.record(
            session,
            auth.current().username,
            "directory.edit",
            "directory_version",
            str(version_id),
            f"version {version_id}, {count} change(s), {what}",
        )


def _edit_page(text: str, base: int | None, status: int = 200, **extra: Any) -> ResponseReturnValue:
    page = render_template(TEMPLATES + "edit.html", text=text, base_version=base, **extra)
    return page, status


def base_version() -> int | None:
    """The version the submitted form was opened on (``base_version``), if any."""
    value = request.form.get("base_version", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 12 else None


@bp.route("/directory/edit", methods=["GET", "POST"])
@perms.requires(perms.DIRECTORY_EDIT)
def edit() -> ResponseReturnValue:
    """Edit the whole directory file: validate without saving, or save a new version."""
    row, _directory = latest()
    latest_id = row.id if row is not None else None
    if request.method == "GET":
        if row is not None:  # the whole file, every focal point's number in clear
            with runtime.current().db.session() as session:
                audit.record(
                    session, auth.current().username, "directory.open_file", "directory_version",
                    str(row.id),
                )  # fmt: skip
        return _edit_page(row.document if row is not None else "", latest_id)
    action = request.form.get("action")
    if action not in ("validate", "save"):
        abort(400)
    text = request.form.get("document", "").replace("\r\n", "\n")
    if not text.strip():
        return _edit_page(text, latest_id, 422, error=_("Write or paste the directory file."))
    try:
        directory = forms.validated(text, forms.places_in_force())
    except DirectoryError as exc:
        return _edit_page(text, base_version(), 422, problems=forms.problem_lines(exc.problems))
    if action == "validate":
        return _edit_page(text, base_version(), valid=forms.summary(directory))
    try:
        result = _save(text, base_version() or NO_VERSION)
    except ChangedMeanwhile as exc:  # someone saved since this page was opened
        return _changed_page(text, exc.latest)
    except DirectoryError as exc:  # a demo directory in production
        return _edit_page(text, base_version(), 422, problems=forms.problem_lines(exc.problems))
    if result.changed:
        _audit_edit(result.version_id, len(result.changes), "file")
    return _edit_page(text, result.version_id, result=result)


def _changed_page(text: str, latest_id: int | None) -> ResponseReturnValue:
    """The editor again, saying someone saved a newer version (409)."""
    message = _(
        "The directory was changed by someone else since you opened this page "
        "(now version %(id)d). Check your text and save again.",
        id=latest_id or 0,
    )
    return _edit_page(text, latest_id, 409, error=message)


def _save(text: str, based_on: int) -> store.LoadResult:
    """Store an edited directory as a new version (by the signed-in user), only
    over version ``based_on`` (raises ``ChangedMeanwhile`` otherwise)."""
    rt = runtime.current()
    user = auth.current().username
    refuse = rt.settings.refuses_demo_directory
    return store.load_text(
        rt.db, text, SOURCE, loaded_by=user, refuse_demo=refuse, based_on=based_on
    )


def _person_page(fp_id: str, status: int = 200, **extra: Any) -> ResponseReturnValue:
    row, directory = latest()
    found = forms.find_person(directory, fp_id) if directory is not None else None
    if row is None or found is None:
        abort(404)
    agency, person = found
    page = render_template(
        TEMPLATES + "person.html",
        agency=agency,
        person=person,
        base_version=row.id,
        **common(),
        **extra,
    )
    return page, status


@bp.get("/directory/focal-points/<fp_id>")
@perms.requires(perms.DIRECTORY_EDIT)
def person(fp_id: str) -> ResponseReturnValue:
    """Quick edits of one focal point: active or not, phone number."""
    return _person_page(fp_id)


def _quick_edit(fp_id: str, key: str, value: object, what: str) -> ResponseReturnValue:
    """Change ``key`` of focal point ``fp_id`` and save a new version.

    ``what`` is the audit detail's template for the change (``"phone {}"``).
    """
    row, _directory = latest()
    if row is None:
        abort(404)
    try:
        text = forms.edited_document(row.document, fp_id, key, value)
    except forms.PersonNotFound:
        abort(404)
    except YamlError:  # pragma: no cover - stored documents were valid when loaded
        abort(409)
    try:
        # Only over the version the page showed: checked as the save begins,
        # so another save committing meanwhile is caught too.
        result = _save(text, base_version() or NO_VERSION)
    except ChangedMeanwhile as exc:
        message = _(
            "The directory was changed by someone else since you opened this page "
            "(now version %(id)d). Check and try again.",
            id=exc.latest or 0,
        )
        return _person_page(fp_id, 409, error=message)
    except DirectoryError as exc:
        return _person_page(fp_id, 422, problems=forms.problem_lines(exc.problems))
    if not result.changed:
        flash(_("Nothing changed (version %(id)d).", id=result.version_id), "info")
    else:
        _audit_edit(result.version_id, len(result.changes), what.format(fp_id))
        flash(_("Saved as version %(id)d.", id=result.version_id), "success")
        for line in result.changes:
            flash(translate(line, CHANGES), "info")
    return redirect(url_for(".index", _anchor=f"fp-{fp_id}"))


@bp.post("/directory/focal-points/<fp_id>/active")
@perms.requires(perms.DIRECTORY_EDIT)
def set_active(fp_id: str) -> ResponseReturnValue:
    """Mark a focal point active or inactive."""
    wanted = request.form.get("active")
    if wanted not in ("true", "false"):
        abort(400)
    return _quick_edit(fp_id, "active", wanted == "true", "active {}")


@bp.post("/directory/focal-points/<fp_id>/phone")
@perms.requires(perms.DIRECTORY_EDIT)
def set_phone(fp_id: str) -> ResponseReturnValue:
    """Change a focal point's phone number (checked, stored as E.164)."""
    try:
        phone = normalize(request.form.get("phone", "")[:40])
    except InvalidNumber:
        message = _(
            "This is not a valid phone number. Write it like +223 70 00 01 01 or 70 00 01 01."
        )
        return _person_page(fp_id, 422, phone_error=message)
    return _quick_edit(fp_id, "phone", phone, "phone {}")
