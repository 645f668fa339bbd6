"""Structured logs: JSON lines with request and job ids, no personal data.

Every record — ours, Flask's, RQ's, gunicorn's — goes through the same
processors. Two of them protect people: phone numbers anywhere in a record are
replaced by their mask (``+223 7•••••45``), and values of keys that may carry a
message body are dropped. Code should never log a body or a number in the
first place; these processors are the safety net.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from gateway.phones import mask_numbers_in

# Keys whose values are never written, whatever code passes them.
REDACTED_KEYS = frozenset({"body", "text", "message", "Body", "content", "answer", "answers"})


# Keys we fill ourselves with values that only look like numbers (times, ids).
_TRUSTED_KEYS = frozenset({"timestamp", "request_id", "job_id", "message_id", "duration_ms"})


# Machine-written values that the phone-number pattern would take for numbers
# and garble: timestamps ("2026-11-29 17:10:00.123456"), times with seconds
# ("17:10:00", RQ's "job in 0:00:00.012345s") and short fractions of one
# ("0.012345"). Only when they stand alone: no digit just before, and no digit
# after them across the separators numbers are written with — "0.76 12 34 45"
# or "76123445:00:00" are numbers and stay masked.
_ALONE_BEFORE = r"(?<![\d.+])"
_ALONE_AFTER = r"(?![\s.\-/,()_]*\d)"
_NOT_A_NUMBER = re.compile(
    _ALONE_BEFORE
    + r"(?:(?:\d{4}-\d{2}-\d{2}[ T])?\d{1,2}:\d{2}:\d{2}(?:\.\d{1,6})?|0\.\d{1,7})"
    + _ALONE_AFTER
)

# Machine ids: RQ's worker names and job ids (uuid4, with or without dashes),
# provider ids ("SM" + 32 hex digits, "ATXid_" + hex). They hold digit runs
# the pattern would take for foreign numbers ("…56e8422752b…" became
# "+84 2•••52"), garbling the one thing an operator greps for at 2 a.m. Kept
# only as a whole token of at least 20 characters with at least four hex
# letters — no phone number is written like that — and never right after a
# "+": "+22376123445deadbeefcafe" starts with a number, whatever follows it.
_MACHINE_ID = re.compile(
    r"(?<![0-9A-Za-z_+-])(?=(?:[0-9A-Za-z_-]*[a-fA-F]){4})"
    r"(?:[A-Za-z]{2,5}_?)?(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12}|[0-9a-fA-F]{20,})(?![0-9A-Za-z_-])"
)


def mask_in_log(text: str) -> str:
    """``text`` with its phone numbers masked, its times and fractions left readable."""
    kept = sorted(
        [m.span() for m in _NOT_A_NUMBER.finditer(text)]
        + [m.span() for m in _MACHINE_ID.finditer(text)]
    )
    if not kept:
        return mask_numbers_in(text)
    parts, start = [], 0
    for begin, end in kept:
        parts.append(mask_numbers_in(text[start:begin]))
        parts.append(text[begin:end])
        start = end
    parts.append(mask_numbers_in(text[start:]))
    return "".join(parts)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return mask_in_log(value)
    if isinstance(value, dict):
        return {k: ("[redacted]" if k in REDACTED_KEYS else _scrub(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def scrub_processor(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Mask phone numbers and drop body-like values in a log record."""
    for key in list(event_dict):
        if key in _TRUSTED_KEYS:
            continue
        if key in REDACTED_KEYS:
            event_dict[key] = "[redacted]"
        else:
            event_dict[key] = _scrub(event_dict[key])
    return event_dict


def _drop_exc_locals(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    # Tracebacks can quote message text in exception messages; keep only the
    # exception type and where it happened, scrubbed.
    exc = event_dict.pop("exc_info", None)
    if exc:
        if exc is True:
            exc = sys.exc_info()
        if isinstance(exc, BaseException):
            exc = (type(exc), exc, exc.__traceback__)
        if isinstance(exc, tuple) and exc[0] is not None:
            event_dict["exception_type"] = exc[0].__name__
            tb = exc[2]
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            if tb is not None:
                frame = tb.tb_frame
                event_dict["exception_at"] = f"{frame.f_code.co_filename}:{tb.tb_lineno}"
    return event_dict


_TRACEBACK = "Traceback (most recent call last):"


def _strip_tracebacks(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    # Libraries (RQ's worker) put formatted tracebacks in the message itself;
    # their last line quotes the exception text. Keep the type only.
    event = event_dict.get("event")
    if isinstance(event, str) and _TRACEBACK in event:
        head, _, tail = event.partition(_TRACEBACK)
        last = tail.strip().splitlines()[-1] if tail.strip() else ""
        exc_type = last.split(":", 1)[0].strip()
        event_dict["event"] = head.strip()
        event_dict["exception_type"] = exc_type.rsplit(".", 1)[-1]
    return event_dict


def _routine_maintenance_at_debug(record: logging.LogRecord) -> bool:
    # Every worker process cleans RQ's registries at each sweep (30 s), and RQ
    # logs it at INFO once per queue: 16 lines a minute that bury the lines an
    # operator looks for. They are kept only when the log level is DEBUG.
    if record.levelno == logging.INFO and "cleaning registries" in str(record.msg):
        return logging.getLogger().isEnabledFor(logging.DEBUG)
    return True


def configure(level: str = "INFO", stream: Any = None) -> None:
    """Send every log record to ``stream`` (default stderr) as masked JSON lines."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _drop_exc_locals,
        _strip_tracebacks,
        scrub_processor,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    handler.addFilter(_routine_maintenance_at_debug)
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_relais", False):
            root.removeHandler(old)
    handler._relais = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    # The development server's own access log would print query strings
    # (which carry the Africa's Talking token); we log requests ourselves.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # The Twilio SDK logs every request (URLs, headers) at INFO: too much, and
    # request details are not for logs.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)


def get_logger(name: str) -> Any:
    """A structured logger for module ``name``."""
    return structlog.get_logger(name)
