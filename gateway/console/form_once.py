"""A case action form is acted on once, however many times it is sent.

A double click on "Send" (or a browser resending a slow POST) sent the
reporter the same SMS twice, saved a note twice, or sent a focal point the
referral SMS twice. Each action form carries a one-time value
(:func:`once_field`, a hidden ``once`` input made when the page is drawn).
:func:`claim` records it in Redis before the action runs (``SET NX``, kept a
day, per user): a second POST of the same form finds it taken and changes
nothing. An action that fails gives its value back (:func:`release`), so the
same form can be sent again once corrected.

A form without the value (a page drawn before this existed) is acted on as
before; while Redis is down the check is skipped (the console works on, as
without it) and logged.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets

from markupsafe import Markup
from redis.exceptions import RedisError

from gateway import runtime
from gateway.logs import get_logger

log = get_logger(__name__)

FIELD = "once"
_TTL_SECONDS = 24 * 3600
_MAX_LENGTH = 64


def once_field() -> Markup:
    """The hidden input holding a new one-time value (templates: ``{{ once_field() }}``)."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        FIELD, secrets.token_urlsafe(16)
    )


def _key(user_id: int, value: str) -> str:
    digest = hashlib.sha256(f"{user_id}:{value}".encode()).hexdigest()[:32]
    return f"relais:console:once:{digest}"


def claim(user_id: int, value: str) -> bool:
    """Take ``value`` for ``user_id``'s action; False when that form was already acted on."""
    if not value or len(value) > _MAX_LENGTH:
        return True  # no value: a page drawn before forms carried one
    try:
        return bool(runtime.current().redis.set(_key(user_id, value), 1, nx=True, ex=_TTL_SECONDS))
    except RedisError as exc:
        log.warning("form_once_unchecked", error=type(exc).__name__)
        return True


def release(user_id: int, value: str) -> None:
    """Give ``value`` back: its action did not happen, so the form may be sent again."""
    if not value or len(value) > _MAX_LENGTH:
        return
    # Redis down: the claim expires in a day; a page drawn anew has a new value.
    with contextlib.suppress(RedisError):
        runtime.current().redis.delete(_key(user_id, value))
