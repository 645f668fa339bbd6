"""The web process's entry point for gunicorn: ``gunicorn 'gateway.wsgi:app()'``.

The same :func:`gateway.create_app`, except that a configuration error is
printed as its one message and the worker exits with gunicorn's "app failed
to load" code (4), which stops gunicorn at once. Otherwise every worker
printed a 35-line traceback around the one line an operator needs.
"""

from __future__ import annotations

import sys

from flask import Flask

from gateway.app import create_app
from gateway.config import ConfigError

APP_LOAD_ERROR = 4  # gunicorn.arbiter.Arbiter.APP_LOAD_ERROR: halt, do not respawn


def app() -> Flask:
    """Build the app for gunicorn; on a configuration error, say it and exit 4."""
    try:
        return create_app()
    except ConfigError as exc:
        print(exc, file=sys.stderr, flush=True)
        raise SystemExit(APP_LOAD_ERROR) from None
