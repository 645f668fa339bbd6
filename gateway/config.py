"""Settings from environment variables, with safe development defaults.

The variable names are the public contract listed in README and
``.env.example``. ``RELAIS_ENV`` selects ``development`` (default), ``test`` or
``production``; production refuses to start when a required setting is
missing, naming every missing one at once.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "test", "production")
PROVIDERS = ("twilio", "africastalking", "sandbox")
SEND_JOB_TIMEOUT = 60  # seconds an RQ send job may run (gateway.jobs uses it)
DATABASE_SCHEMES = ("sqlite", "postgres", "postgresql", "postgresql+psycopg")
MIN_SECRET_KEY = 32
USSD_CODE = re.compile(r"\*[0-9]+(\*[0-9]+)*#")  # *384*123#
SMS_NUMBER = re.compile(r"\+?[0-9][0-9 ]{2,19}")  # +223 70 00 00 00, or a short code 36123


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says what to fix."""


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass
class Settings:
    """Every setting Relais reads, typed. Build with :func:`load_settings`."""

    RELAIS_ENV: str = "development"
    DATABASE_URL: str = ""
    REDIS_URL: str = ""
    SECRET_KEY: str = ""
    DATA_KEYS: str = ""
    PUBLIC_BASE_URL: str = "http://localhost:8000"
    PORT: int = 8000
    SMS_PROVIDER: str = "sandbox"
    SMS_FALLBACK_PROVIDER: str = ""
    TWILIO_ACCOUNT_SID: str = ""
    TWILIO_AUTH_TOKEN: str = ""
    TWILIO_FROM: str = ""
    TWILIO_API_BASE_URL: str = ""
    AT_USERNAME: str = ""
    AT_API_KEY: str = ""
    AT_SENDER_ID: str = ""
    AT_API_BASE_URL: str = ""
    AT_WEBHOOK_TOKEN: str = ""
    DIRECTORY_FILE: str = ""
    # What reporters text and dial, printed on the console's cards (empty: a
    # line to fill in by hand; the SMS number falls back to TWILIO_FROM when
    # Twilio is the provider).
    REPORT_SMS_NUMBER: str = ""
    REPORT_USSD_CODE: str = ""
    LOG_LEVEL: str = "INFO"
    # Seconds between sweeper runs, and how old a queued row must be before
    # the sweeper assumes its job was lost.
    SWEEP_INTERVAL: int = 30
    SWEEP_GRACE: int = 60
    # Worker processes `relais worker` runs. Each sends one SMS at a time and
    # waits for the provider's answer (~5 a second with an API 200 ms away):
    # size it to peak SMS a second x the provider's answer time in seconds.
    WORKER_PROCESSES: int = 2
    # Seconds after which a send claimed by a worker that never finished is
    # presumed dead and sent again (flagged as a possible duplicate).
    SEND_STUCK_AFTER: int = 180
    # Provider HTTP timeout in seconds (both SDKs default to none).
    SEND_TIMEOUT: float = 10.0
    # Most SMS segments per second sent through one provider (all workers).
    SEND_RATE: int = 10
    # The same text to the same number more than this many times in five
    # minutes is suppressed: it stops bot ping-pong from burning credit.
    LOOP_GUARD_LIMIT: int = 20
    # At most this many messages per window (seconds) from one number are
    # processed; a flood from one number never slows the others.
    SENDER_RATE_LIMIT: int = 20
    SENDER_RATE_WINDOW: int = 600
    # Webhook requests a minute accepted from one client IP (0: no limit). A
    # guard against floods of forged requests, not traffic shaping: the
    # providers call from a handful of addresses, so keep it generous, and
    # set PROXY_COUNT behind a proxy or every request shares its address.
    WEBHOOK_IP_LIMIT: int = 6000
    # Failed reference look-ups (STATUS, focal-point commands) an hour before
    # a number gets no more answers about references: guessing is throttled.
    LOOKUP_FAILURE_LIMIT: int = 5
    # Number of trusted reverse proxies in front of the web process (for the
    # client IP and scheme); 0 when gunicorn faces the network directly.
    PROXY_COUNT: int = 0
    # Days after which personal data of closed cases is erased.
    RETENTION_DAYS: int = 90
    # Seconds to wait before each retry of a transient send failure.
    SEND_RETRY_DELAYS: str = "30,120,600,1800,3600,7200"
    # How long an unfinished SMS conversation stays live; after that the
    # reporter is offered to continue or start again.
    SMS_SESSION_HOURS: int = 24
    # How long a USSD session's state is kept (AT sessions last ~3 minutes).
    USSD_SESSION_SECONDS: int = 600
    # Largest webhook body accepted, in bytes (413 beyond).
    MAX_CONTENT_LENGTH: int = 64 * 1024
    # Console: minutes of inactivity after which a signed-in user must sign in again.
    SESSION_MINUTES: int = 30
    # Console: failed logins in a row that lock an account, and for how long.
    LOGIN_MAX_FAILURES: int = 5
    LOGIN_LOCK_MINUTES: int = 15
    # Console: failed logins from one IP address within the window → 429 (Redis).
    LOGIN_IP_MAX_FAILURES: int = 20
    LOGIN_IP_WINDOW_MINUTES: int = 10
    # Bearer token Prometheus sends to /metrics; empty: the endpoint is off (404).
    METRICS_TOKEN: str = ""
    # A directory marked ``demo: true`` (fictitious numbers) is refused in
    # production unless this is set (a training server run in production mode).
    ALLOW_DEMO_DIRECTORY: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        """True when running for real (strict checks, no dev shortcuts)."""
        return self.RELAIS_ENV == "production"

    @property
    def refuses_demo_directory(self) -> bool:
        """True when a ``demo: true`` directory must not be loaded: its made-up
        numbers would receive real referrals."""
        return self.is_production and not self.ALLOW_DEMO_DIRECTORY

    def as_flask_config(self) -> dict[str, Any]:
        """The settings as a mapping for ``app.config``."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        out.update(self.extra)
        return out


def _coerce(name: str, raw: Any, default: Any) -> Any:
    if isinstance(default, bool):
        return raw if isinstance(raw, bool) else _bool(str(raw))
    if isinstance(default, int):
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if isinstance(default, float):
        try:
            return float(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    return str(raw).strip()


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read settings from ``environ`` (default ``os.environ``), then ``overrides``.

    Fills development defaults (SQLite file, generated dev secrets) and
    validates; raises :class:`ConfigError` listing every problem.
    """
    env = os.environ if environ is None else environ
    settings = Settings()
    names = {f.name: f for f in dataclasses.fields(Settings) if f.name != "extra"}
    for name in names:
        if name in env and env[name] != "":
            setattr(settings, name, _coerce(name, env[name], getattr(settings, name)))
    for key, value in (overrides or {}).items():
        if key in names:
            setattr(settings, key, _coerce(key, value, getattr(settings, key)))
        else:
            settings.extra[key] = value
    _apply_defaults(settings)
    validate(settings)
    return settings


def _apply_defaults(s: Settings) -> None:
    if s.is_production:
        return
    if not s.DATABASE_URL:
        instance = PROJECT_ROOT / "instance"
        instance.mkdir(exist_ok=True)
        s.DATABASE_URL = f"sqlite:///{instance / 'relais.db'}"
    if not s.SECRET_KEY or not s.DATA_KEYS:
        from gateway.devsecrets import dev_secrets

        secrets = dev_secrets()
        s.SECRET_KEY = s.SECRET_KEY or secrets["SECRET_KEY"]
        s.DATA_KEYS = s.DATA_KEYS or secrets["DATA_KEYS"]
    if not s.REDIS_URL:
        # The Redis of a running `make run` when there is one, so that a
        # `relais` command in another shell sees the same queues.
        from gateway.embedded_redis import EMBEDDED_URL, answers

        s.REDIS_URL = EMBEDDED_URL if answers(EMBEDDED_URL, 0.2) else "redis://127.0.0.1:6379/0"


def retry_delays(raw: str) -> list[float]:
    """``SEND_RETRY_DELAYS`` as seconds; raises ValueError unless every item is
    a number of seconds (``30``, not ``30s``) and there is at least one."""
    delays = [float(x) for x in raw.split(",") if x.strip()]
    if not delays or any(not 0 <= d < 10**7 for d in delays):
        raise ValueError(raw)
    return delays


def _runtime_problems(s: Settings) -> list[str]:
    """Settings only read later, by a job or a logger: wrong, they would break
    the first retry, every log line or the daily purge instead of the start."""
    problems = []
    try:
        retry_delays(s.SEND_RETRY_DELAYS)
    except ValueError:
        problems.append(
            f"SEND_RETRY_DELAYS must be seconds separated by commas (e.g. 30,120,600), "
            f"got {s.SEND_RETRY_DELAYS!r}"
        )
    if s.LOG_LEVEL.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        problems.append(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {s.LOG_LEVEL!r}")
    if s.RETENTION_DAYS < 1:
        problems.append(f"RETENTION_DAYS must be at least 1, got {s.RETENTION_DAYS}")
    scheme = s.DATABASE_URL.split("://", 1)[0].lower()
    if s.DATABASE_URL and scheme not in DATABASE_SCHEMES:
        problems.append(
            f"DATABASE_URL must start with postgresql:// (or sqlite:///), got {scheme}://"
        )
    return problems


def validate(s: Settings) -> None:
    """Raise :class:`ConfigError` naming every missing or wrong setting."""
    problems: list[str] = []
    if s.RELAIS_ENV not in ENVIRONMENTS:
        problems.append(f"RELAIS_ENV must be one of {', '.join(ENVIRONMENTS)}")
    for name in ("SMS_PROVIDER", "SMS_FALLBACK_PROVIDER"):
        value = getattr(s, name)
        if value and value not in PROVIDERS:
            problems.append(f"{name} must be one of {', '.join(PROVIDERS)}, got {value!r}")
    if s.SMS_FALLBACK_PROVIDER and s.SMS_FALLBACK_PROVIDER == s.SMS_PROVIDER:
        problems.append("SMS_FALLBACK_PROVIDER must differ from SMS_PROVIDER")
    if not 1 <= s.WORKER_PROCESSES <= 64:
        problems.append(f"WORKER_PROCESSES must be between 1 and 64, got {s.WORKER_PROCESSES}")
    if s.is_production and max(SEND_JOB_TIMEOUT, s.SEND_TIMEOUT) >= s.SEND_STUCK_AFTER:
        # A send still waiting for the provider would be taken for a dead one
        # and sent a second time (tests shorten it on purpose).
        problems.append(
            f"SEND_STUCK_AFTER must be more than {SEND_JOB_TIMEOUT} s (the send job's time limit)"
        )
    problems += _runtime_problems(s)
    if s.REPORT_USSD_CODE and not USSD_CODE.fullmatch(s.REPORT_USSD_CODE):
        problems.append(f"REPORT_USSD_CODE must look like *384*123#, got {s.REPORT_USSD_CODE!r}")
    if s.REPORT_SMS_NUMBER and not SMS_NUMBER.fullmatch(s.REPORT_SMS_NUMBER):
        problems.append(
            "REPORT_SMS_NUMBER must be a phone number or a short code (digits, spaces, +),"
            f" got {s.REPORT_SMS_NUMBER!r}"
        )
    if s.METRICS_TOKEN and len(s.METRICS_TOKEN) < 16:
        problems.append("METRICS_TOKEN must be at least 16 characters (or empty: /metrics off)")
    if s.is_production:
        required = ["DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DATA_KEYS", "PUBLIC_BASE_URL"]
        used = {s.SMS_PROVIDER, s.SMS_FALLBACK_PROVIDER}
        if "twilio" in used:
            required += ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM"]
        if "africastalking" in used:
            required += ["AT_USERNAME", "AT_API_KEY", "AT_WEBHOOK_TOKEN"]
        missing = [name for name in required if not getattr(s, name)]
        if missing:
            problems.append("missing required settings for production: " + ", ".join(missing))
        if s.SMS_PROVIDER == "sandbox":
            problems.append("SMS_PROVIDER=sandbox sends nothing; choose twilio or africastalking")
        if s.PUBLIC_BASE_URL and not s.PUBLIC_BASE_URL.startswith("https://"):
            problems.append("PUBLIC_BASE_URL must start with https:// in production")
        if s.SECRET_KEY and len(s.SECRET_KEY) < MIN_SECRET_KEY:
            # It signs the console's session cookies: a short one can be guessed.
            problems.append(
                f"SECRET_KEY must be at least {MIN_SECRET_KEY} characters in production "
                '(python3 -c "import secrets; print(secrets.token_urlsafe(48))")'
            )
    if s.DATA_KEYS:
        from gateway.crypto import KeyConfigError, parse_keys

        try:
            parse_keys(s.DATA_KEYS)
        except KeyConfigError as exc:
            problems.append(f"DATA_KEYS: {exc}")
    if problems:
        raise ConfigError("Relais cannot start:\n  - " + "\n  - ".join(problems))
