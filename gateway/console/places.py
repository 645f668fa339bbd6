"""The console's places editor (``directory.edit``), on the Directory blueprint.

``GET/POST /console/directory/places/edit``: the place hierarchy's YAML,
validated like the directory file ("validate" lists problems as ``line N:
message`` without saving); "save" stores a new version through
:func:`gateway.referrals.store.load_places_text`, audited ``places.edit``
(version id and number of changes). A save over a version someone else saved
since the page was opened is refused (409), as in the directory editor.
"""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from gateway import audit, runtime
from gateway.console import auth
from gateway.console import directory_forms as forms
from gateway.console import permissions as perms
from gateway.console.directory import SOURCE, TEMPLATES, base_version, bp
from gateway.referrals import store
from gateway.referrals.places import PlacesError, load_places_text
from gateway.referrals.version_lock import NO_VERSION, ChangedMeanwhile


def _places_page(text: str, status: int = 200, **extra: Any) -> ResponseReturnValue:
    return render_template(TEMPLATES + "places_edit.html", text=text, **extra), status


def _changed_page(text: str, latest_id: int | None) -> ResponseReturnValue:
    """The editor again, saying someone saved a newer version (409)."""
    message = _(
        "The places were changed by someone else since you opened this page "
        "(now version %(id)d). Check your text and save again.",
        id=latest_id or 0,
    )
    return _places_page(text, 409, error=message, base_version=latest_id)


@bp.route("/directory/places/edit", methods=["GET", "POST"])
@perms.requires(perms.DIRECTORY_EDIT)
def edit_places() -> ResponseReturnValue:
    """Edit the place hierarchy (YAML): validate without saving, or save a new version."""
    db = runtime.current().db
    with db.session() as session:
        latest_id = store.places_version_id(session)
        if request.method == "GET":
            return _places_page(store.places_document(session), base_version=latest_id)
    action = request.form.get("action")
    if action not in ("validate", "save"):
        abort(400)
    text = request.form.get("document", "").replace("\r\n", "\n")
    base = base_version()
    if not text.strip():
        error = _("Write or paste the places file.")
        return _places_page(text, 422, error=error, base_version=base)
    try:
        tree = load_places_text(text, SOURCE)
        with db.session() as session:
            problems = store.removal_problems(session, store.places(session), tree, SOURCE)
        if problems:
            raise PlacesError(problems)
        if action == "validate":
            valid = _("No problem found: %(count)d places.", count=len(tree))
            return _places_page(text, valid=valid, base_version=base)
        if base != latest_id:  # someone saved since this page was opened
            return _changed_page(text, latest_id)
        user = auth.current().username
        result = store.load_places_text(db, text, SOURCE, user, based_on=base or NO_VERSION)
    except ChangedMeanwhile as exc:  # saved by someone else since the check above
        return _changed_page(text, exc.latest)
    except PlacesError as exc:
        problems_found = forms.problem_lines(exc.problems)
        return _places_page(text, 422, problems=problems_found, base_version=base)
    if result.changed:
        with db.session() as session:
            audit.record(
                session,
                auth.current().username,
                "places.edit",
                "places_version",
                str(result.version_id),
                f"version {result.version_id}, {len(result.changes)} change(s)",
            )
    return _places_page(text, result=result, base_version=result.version_id)
