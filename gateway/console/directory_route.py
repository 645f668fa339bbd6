"""The Directory's "test routing" page: ``GET /console/directory/route`` (``directory.view``).

Who the directory in force would notify for an alert described in the form,
and why: what ``relais route`` explains, in the user's language
(:mod:`gateway.console.route_words`). Registered on the Directory's blueprint.
"""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from gateway.commands.referrals import parse_when
from gateway.console import directory as pages
from gateway.console import directory_forms as forms
from gateway.console import i18n
from gateway.console import permissions as perms
from gateway.console.route_words import route_text
from gateway.referrals.routing import AlertFacts, route


@pages.bp.get("/directory/route")
@perms.requires(perms.DIRECTORY_VIEW)
def test_route() -> ResponseReturnValue:
    """Who the directory in force would notify for an alert, and why (like ``relais route``)."""
    _row, directory = pages.latest()
    places = forms.places_in_force()
    form = forms.route_form(request.args, places)
    errors = list(form.errors)
    explanation = None
    if form.submitted and directory is not None and not errors:
        values = form.values
        try:
            at = parse_when(values["at"] or None, directory.tz)
        except ValueError:
            errors.append(_("The date and time are not valid: use the form's date and time."))
        else:
            facts = AlertFacts(
                values["concern"],
                values["place"],
                values["risk"],
                values["sex"],
                values["age_band"],
                values["language"],
            )
            explanation = route_text(route(directory, places, facts, at), places)
    page = render_template(
        pages.TEMPLATES + "route.html",
        directory=directory,
        form=form,
        errors=errors,
        explanation=explanation,
        place_options=forms.place_options(places, i18n.select_locale()),
        **pages.common(),
    )
    return page, 422 if errors else 200
