"""Send-side guards kept in Redis: a per-provider rate limit and a loop guard.

* Rate limit: at most ``SEND_RATE`` segments per second per provider, across
  every worker (a fixed one-second window; a multi-part message costs its
  segment count). A send over the limit is put back a second later.
* Loop guard: the same text to the same number more than
  ``LOOP_GUARD_LIMIT`` times in five minutes is suppressed, which stops an
  auto-responder ping-pong from burning credit. Only a keyed hash of the text
  (the caller's) goes to Redis, never the text.
"""

from __future__ import annotations

import time

from redis import Redis

LOOP_WINDOW_SECONDS = 300


def take_send_slot(redis: Redis, provider: str, segments: int, rate: int) -> bool:
    """Count ``segments`` against ``provider``'s budget for this second; False if over."""
    if rate <= 0:
        return True
    key = f"relais:rate:{provider}:{int(time.time())}"
    pipe = redis.pipeline()
    pipe.incrby(key, max(1, segments))
    pipe.expire(key, 2)
    used = int(pipe.execute()[0])
    # A single message longer than the whole budget still goes, alone.
    return used <= rate or used == max(1, segments)


def loop_detected(redis: Redis, contact_id: int, text_hash: str, limit: int) -> bool:
    """Count one more send of a text (by its keyed hash) to ``contact_id``; True over ``limit``."""
    digest = text_hash[:32]
    key = f"relais:loop:{contact_id}:{digest}"
    pipe = redis.pipeline()
    # Start the window on first use only (SET NX works on every Redis version).
    pipe.set(key, 0, ex=LOOP_WINDOW_SECONDS, nx=True)
    pipe.incr(key)
    return int(pipe.execute()[1]) > limit
