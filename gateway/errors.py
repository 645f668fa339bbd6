"""Error answers: short JSON (HTML pages under /console), never a traceback or details.

Unexpected errors are logged with their type and place only (the log
processors drop the exception text, which could quote a message).
"""

from __future__ import annotations

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from gateway.crypto import DecryptionError
from gateway.logs import get_logger

log = get_logger(__name__)


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    from gateway.console import UNDECRYPTABLE, error_page
    from gateway.console.security import is_console_path

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> ResponseReturnValue:
        if is_console_path(request.path):
            return error_page(exc, exc.code or 500)
        return jsonify(error=exc.name, status=exc.code), exc.code or 500

    @app.errorhandler(DecryptionError)
    def _undecryptable(exc: DecryptionError) -> ResponseReturnValue:
        # A configuration fault, not a bug: say what to fix (the data is safe).
        log.error("decryption_failed", path=request.path)
        if is_console_path(request.path):
            return error_page(None, 500, UNDECRYPTABLE)
        return jsonify(error="Stored data cannot be decrypted with DATA_KEYS", status=500), 500

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        log.error("unhandled_error", exc_info=exc)
        if is_console_path(request.path):
            return error_page(None, 500)
        return jsonify(error="Internal Server Error", status=500), 500
