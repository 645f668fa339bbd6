"""The application factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from gateway import aftercommit, alerts, crypto, logs, outbox, queues
from gateway.config import load_settings
from gateway.db import Database
from gateway.dispatch import Dispatcher
from gateway.runtime import Runtime


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app from the environment, with ``config`` overriding it.

    Raises :class:`gateway.config.ConfigError` (naming every problem) when the
    configuration cannot be used, e.g. production without ``DATA_KEYS``.
    """
    settings = load_settings(config)
    logs.configure(settings.LOG_LEVEL)
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(settings.as_flask_config())
    app.config["MAX_CONTENT_LENGTH"] = settings.MAX_CONTENT_LENGTH
    if settings.PROXY_COUNT:
        # Behind a TLS proxy: take the client IP and scheme from its headers.
        n = settings.PROXY_COUNT
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    keyring = crypto.Keyring(settings.DATA_KEYS)
    crypto.install(keyring)
    db = Database(settings.DATABASE_URL)
    redis = queues.connect(settings.REDIS_URL)
    rt = Runtime(settings=settings, db=db, redis=redis, keyring=keyring)
    app.extensions["relais"] = rt

    from gateway.jobs import enqueue_send

    outbox.install(db.sessions, lambda message_id, queue: enqueue_send(redis, message_id, queue))
    alerts.install(db.sessions, rt.alert_hooks)
    aftercommit.install(db.sessions)
    rt.dispatcher = Dispatcher(rt)

    from gateway.referrals import lookups
    from gateway.referrals.focal import handle_focal_sms

    lookups.install(db.sessions)
    from gateway.referrals.service import route_now_or_later

    rt.alert_hooks.append(lambda alert_id: route_now_or_later(redis, alert_id))
    rt.dispatcher.sms_handlers.append(handle_focal_sms)
    from gateway.referrals.followup import handle_reporter_follow_up

    rt.dispatcher.sms_handlers.append(handle_reporter_follow_up)

    from gateway import errors, requestlog
    from gateway.health import bp as health_bp
    from gateway.metrics import bp as metrics_bp
    from gateway.webhooks import bp as webhooks_bp

    requestlog.init_app(app)
    errors.init_app(app)
    app.register_blueprint(health_bp)
    app.register_blueprint(metrics_bp)
    app.register_blueprint(webhooks_bp)
    from gateway import console

    console.init_app(app)  # sign-in, CSRF, security headers, languages, /console
    return app
