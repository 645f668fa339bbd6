"""Counters in Redis that keep Relais fair and cheap under abuse.

All of them are fixed windows (:func:`window_count`): a key per subject and
window, counted with INCR, expiring with the window. They are advisory: when
Redis is away the callers let traffic through (the database still stores
everything; losing a rate limit for a while is better than losing a report).

* Send rate: at most ``SEND_RATE`` segments per second per provider, across
  every worker; a send over the limit is put back a second later. A provider
  that answers 429 with ``Retry-After`` pauses every send through it as long.
* Loop guard: the same text to the same number more than
  ``LOOP_GUARD_LIMIT`` times in five minutes is suppressed (an auto-responder
  ping-pong would burn credit). Only a keyed hash of the text reaches Redis.
* Sender limit: at most ``SENDER_RATE_LIMIT`` messages per
  ``SENDER_RATE_WINDOW`` seconds from one number are processed; a flood from
  one number never slows the others.
* Webhook limit: at most ``WEBHOOK_IP_LIMIT`` requests a minute per client IP.
* Failed look-ups: references that are unknown or not the asker's are
  counted; past ``LOOKUP_FAILURE_LIMIT`` an hour, guessing gets no answers.
"""

from __future__ import annotations

import time

from redis import Redis

LOOP_WINDOW_SECONDS = 300
LOOKUP_WINDOW_SECONDS = 3600


def _key(subject: str, window: int, now: float) -> str:
    return f"relais:count:{subject}:{int(now) // window * window}"


def window_count(redis: Redis, subject: str, window: int, amount: int = 1) -> int:
    """Add ``amount`` to ``subject``'s counter for the current window; return the total."""
    return _count(redis, _key(subject, window, time.time()), window, amount)


def _count(redis: Redis, key: str, window: int, amount: int) -> int:
    pipe = redis.pipeline()
    pipe.incrby(key, amount)
    pipe.expire(key, window + 1)
    return int(pipe.execute()[0])


def peek_count(redis: Redis, subject: str, window: int) -> int:
    """The current window's total for ``subject``, without counting."""
    value = redis.get(_key(subject, window, time.time()))
    return int(value) if isinstance(value, bytes | str | int) else 0


def _pause_key(provider: str) -> str:
    return f"relais:pause:send:{provider}"


def pause_sends(redis: Redis, provider: str, seconds: float) -> None:
    """Hold every send through ``provider`` for ``seconds`` (its answer said
    ``Retry-After``): hammering a rate-limited account only prolongs the limit."""
    redis.set(_pause_key(provider), 1, px=max(1, int(seconds * 1000)))


def send_wait(redis: Redis, provider: str, segments: int, rate: int) -> float:
    """Take ``segments`` of ``provider``'s budget for this second: 0 when taken,
    else the seconds to wait (the rest of a pause, or a second when over budget).

    One round trip: the count and the pause are read in the same pipeline.
    """
    amount = max(1, segments)
    key = _key(f"send:{provider}", 1, time.time())
    pipe = redis.pipeline()
    pipe.pttl(_pause_key(provider))
    if rate > 0:
        pipe.incrby(key, amount)
        pipe.expire(key, 2)
    results = pipe.execute()
    pause_ms = int(results[0])
    used = int(results[1]) if rate > 0 else 0
    if pause_ms > 0:
        wait = pause_ms / 1000
    elif rate <= 0 or used <= rate or used == amount:
        # A single message longer than the whole budget still goes, alone.
        return 0.0
    else:
        wait = 1.0
    if rate > 0:
        # Refused: give the segments back, or every refused try would eat the
        # budget of this second and starve the sends that could still fit.
        redis.decrby(key, amount)
    return wait


def loop_detected(redis: Redis, contact_id: int, text_hash: str, limit: int) -> bool:
    """Count one more send of a text (by its keyed hash) to ``contact_id``; True over ``limit``.

    A ``limit`` of 0 turns the guard off, as 0 does for the other limits.
    """
    if limit <= 0:
        return False
    subject = f"loop:{contact_id}:{text_hash[:32]}"
    return window_count(redis, subject, LOOP_WINDOW_SECONDS) > limit


def sender_over_limit(redis: Redis, contact_id: int, limit: int, window: int) -> int:
    """Count a message from ``contact_id``; return how far over ``limit`` (0: within)."""
    if limit <= 0:
        return 0
    return max(0, window_count(redis, f"sender:{contact_id}", window) - limit)


def ip_over_limit(redis: Redis, ip_hash: str, limit: int) -> bool:
    """Count a webhook request from a client IP (by keyed hash); True over ``limit``/minute."""
    if limit <= 0:
        return False
    return window_count(redis, f"ip:{ip_hash[:32]}", 60) > limit


def _lookup_subject(contact_id: int, training: bool) -> str:
    # The simulator speaks as real focal points, with their real contact:
    # a trainer's wrong references must not lock the real phone out.
    return f"lookup:training:{contact_id}" if training else f"lookup:{contact_id}"


def note_failed_lookup(redis: Redis, contact_id: int, *, training: bool = False) -> int:
    """Count a reference look-up that found nothing for ``contact_id``; return the total."""
    return window_count(redis, _lookup_subject(contact_id, training), LOOKUP_WINDOW_SECONDS)


def lookups_blocked(redis: Redis, contact_id: int, limit: int, *, training: bool = False) -> bool:
    """True when ``contact_id`` failed more than ``limit`` look-ups this hour."""
    subject = _lookup_subject(contact_id, training)
    return peek_count(redis, subject, LOOKUP_WINDOW_SECONDS) > limit
