"""``GET /console/directory/history`` (``directory.view``): every directory version
and every saved place list, newest first, with their change lines.

The change lines are stored in English (the CLI prints them too); the
template global ``change_words`` shows one in the console's language
(:data:`gateway.console.phrases_directory.CHANGES`), here and in the editors.

On the ``console_directory`` blueprint (:mod:`gateway.console.directory`).
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from gateway import runtime
from gateway.console import directory_forms as forms
from gateway.console import permissions as perms
from gateway.console.directory import TEMPLATES, bp
from gateway.console.phrases import translate
from gateway.console.phrases_directory import CHANGES
from gateway.models import DirectoryVersion, PlacesVersion

_Version = TypeVar("_Version", DirectoryVersion, PlacesVersion)


@bp.app_template_global("change_words")
def change_words(line: str) -> str:
    """A change line of a directory or place list version, in the console's language."""
    return translate(line, CHANGES)


@bp.get("/directory/history")
@perms.requires(perms.DIRECTORY_VIEW)
def history() -> ResponseReturnValue:
    """Every directory version and every saved place list, newest first, with changes."""
    with runtime.current().db.session() as session:
        versions = _versions(session, DirectoryVersion)
        places = _versions(session, PlacesVersion)
    return render_template(TEMPLATES + "history.html", versions=versions, places=places)


def _versions(session: Session, model: type[_Version]) -> list[dict[str, Any]]:
    # The documents (the directory's is encrypted) are not needed for the list.
    rows = session.scalars(select(model).options(defer(model.document)).order_by(model.id.desc()))
    return [
        {
            "id": r.id,
            "loaded_at": forms.when(r.loaded_at),
            "loaded_by": r.loaded_by,
            "source": r.source,
            "digest": r.digest[:12],
            "changes": (r.changes or "").splitlines(),
        }
        for r in rows
    ]
