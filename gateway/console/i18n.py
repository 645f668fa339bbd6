"""Console languages: French (default) and English, with Flask-Babel.

The locale is the signed-in user's preference, else the language chosen with
the switch (kept in the session), else the browser's ``Accept-Language``,
else French. Catalogs live in ``gateway/translations`` (see README,
"Console and users", for the extract/update/compile commands).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, has_request_context, request, session
from flask_babel import Babel
from flask_login import current_user

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
SESSION_KEY = "lang"

babel = Babel()


def select_locale() -> str:
    """The language of the current request (see the module docstring)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    preferred = getattr(current_user, "language", None) if current_user else None
    if preferred in LANGUAGES:
        return str(preferred)
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def init_app(app: Flask) -> None:
    """Install Flask-Babel with Relais's catalogs and locale selection."""
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LANGUAGE
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    babel.init_app(app, locale_selector=select_locale)
