"""The web process's entry point for gunicorn.

The Procfile runs ``gunicorn --config python:gateway.wsgi … 'gateway.wsgi:app()'``:

* :func:`on_starting` is a gunicorn server hook, read from this module as its
  config. It checks the settings in the master before any worker is forked:
  a configuration error is printed as its one message and gunicorn exits 4.
  Checking only in the workers was racy: with two workers, gunicorn 23 halts
  on the first worker's exit and, while stopping, trips over the second one's
  and prints its own 30-line traceback.
* :func:`app` is :func:`gateway.create_app`, except that a configuration
  error met in a worker is said in one line and the worker exits with
  gunicorn's "app failed to load" code (4), which stops gunicorn instead of
  respawning it.
"""

from __future__ import annotations

import sys
from typing import Any

from flask import Flask

from gateway.app import create_app
from gateway.config import ConfigError, load_settings

APP_LOAD_ERROR = 4  # gunicorn.arbiter.Arbiter.APP_LOAD_ERROR: halt, do not respawn


def on_starting(server: Any) -> None:
    """gunicorn hook: refuse to start, in one message, on a configuration error."""
    try:
        load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr, flush=True)
        raise SystemExit(APP_LOAD_ERROR) from None


def app() -> Flask:
    """Build the app for gunicorn; on a configuration error, say it and exit 4."""
    try:
        return create_app()
    except ConfigError as exc:
        print(exc, file=sys.stderr, flush=True)
        raise SystemExit(APP_LOAD_ERROR) from None
