"""Short alert references that people can read back over the phone.

Six characters from an alphabet without the look-alikes ``0``/``O`` and
``1``/``I``: 32**6, about 1.07 billion values. The caller must still check
uniqueness against stored alerts.
"""

from __future__ import annotations

import random
import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 6


def new_reference(rng: random.Random | None = None) -> str:
    """Return a new reference; random from ``secrets`` unless an ``rng`` is given (tests)."""
    if rng is None:
        return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "".join(rng.choice(ALPHABET) for _ in range(LENGTH))


def is_reference(text: str) -> bool:
    """Return True when ``text`` (any case, spaces ignored) is a well-formed reference."""
    cleaned = text.strip().upper()
    return len(cleaned) == LENGTH and all(c in ALPHABET for c in cleaned)
