"""HTTP hardening for the whole app: headers, cookies, CSRF, client address.

* Security headers on every response (console, webhooks, health): a strict
  Content-Security-Policy (no inline script or style anywhere), no sniffing,
  no framing, no referrer, no powerful browser features; ``no-store`` on
  console pages, which show personal data; HSTS when cookies are Secure.
* Cookies: session cookie ``relais_session``, HttpOnly, SameSite=Lax, and
  Secure except in development/test over plain http.
* CSRF (Flask-WTF) on every POST/PUT/PATCH/DELETE of the app, except the
  provider webhooks, which authenticate by signature or token. The Referer
  check of Flask-WTF is off: with ``Referrer-Policy: no-referrer`` browsers
  send none; the session-bound token and SameSite=Lax remain.

Behind a TLS proxy set ``PROXY_COUNT`` (``create_app`` applies ProxyFix) so
the per-IP login throttle and the audit's IP hashes see the client.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFProtect

from gateway.config import Settings

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
}
SESSION_COOKIE_NAME = "relais_session"
CONSOLE_PREFIX = "/console"

csrf = CSRFProtect()


def cookies_secure(settings: Settings) -> bool:
    """Secure cookies, except in development/test when served over plain http.

    An explicit ``SESSION_COOKIE_SECURE`` passed to ``create_app`` wins.
    """
    forced = settings.extra.get("SESSION_COOKIE_SECURE")
    if forced is not None:
        return bool(forced)
    if settings.RELAIS_ENV in ("development", "test"):
        return settings.PUBLIC_BASE_URL.startswith("https://")
    return True


def configure(app: Flask, settings: Settings) -> None:
    """Cookie and session settings, CSRF and the security headers."""
    secure = cookies_secure(settings)
    app.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE_NAME,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        # Flask-Login's "remember me" is never offered; its cookie is locked down anyway.
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_SSL_STRICT=False,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    csrf.init_app(app)
    from gateway.webhooks import bp as webhooks_bp

    csrf.exempt(webhooks_bp)

    hsts = secure

    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if hsts:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if is_console_path(request.path) and request.endpoint != "console.static":
            response.headers["Cache-Control"] = "no-store"
        return response


def is_console_path(path: str) -> bool:
    """True for the console's pages (and the ``/`` redirect to them)."""
    return path == "/" or path == CONSOLE_PREFIX or path.startswith(CONSOLE_PREFIX + "/")
