"""Encryption at rest for personal data, and keyed hashes for look-ups.

``DATA_KEYS`` is a comma-separated list of Fernet keys: the first encrypts,
all decrypt, so a new key can be put first and old rows re-encrypted later
(``relais keys rotate``). Phone numbers are looked up by an HMAC-SHA256 of the
E.164 number under a key derived from the primary data key, never by the
clear number; during a rotation every key's hash is a candidate.

Columns declared with :class:`EncryptedText` are encrypted on the way into the
database and decrypted on the way out, so no code path can write them in
clear by mistake. The keyring is installed per process by ``create_app``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class KeyConfigError(ValueError):
    """``DATA_KEYS`` is empty or holds something that is not a Fernet key."""


class DecryptionError(RuntimeError):
    """A stored value cannot be decrypted with any configured key."""


def parse_keys(spec: str) -> list[bytes]:
    """Split and check a ``DATA_KEYS`` value; raise :class:`KeyConfigError`."""
    keys = [part.strip().encode() for part in spec.split(",") if part.strip()]
    if not keys:
        raise KeyConfigError("no key given")
    for index, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise KeyConfigError(
                f"key {index} is not a Fernet key (generate one with `relais keys generate`)"
            ) from None
    return keys


def generate_key() -> str:
    """A new random Fernet key, as text."""
    return Fernet.generate_key().decode()


def _hash_key(fernet_key: bytes) -> bytes:
    # A separate subkey so the hash key is never the encryption key itself.
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"relais phone lookup v1"
    ).derive(base64.urlsafe_b64decode(fernet_key))


class Keyring:
    """The process's data keys: encrypt, decrypt and hash for look-ups."""

    def __init__(self, spec: str) -> None:
        self._keys = parse_keys(spec)
        self._fernet = MultiFernet([Fernet(k) for k in self._keys])
        self._hash_keys = [_hash_key(k) for k in self._keys]

    def encrypt(self, text: str) -> str:
        """Encrypt ``text`` with the primary key."""
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Decrypt a token made with any configured key."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as exc:
            raise DecryptionError("value cannot be decrypted with DATA_KEYS") from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the primary key."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError) as exc:
            raise DecryptionError("value cannot be decrypted with DATA_KEYS") from exc

    def lookup_hash(self, value: str) -> str:
        """Keyed hash of ``value`` (an E.164 number) under the primary key."""
        return hmac.new(self._hash_keys[0], value.encode("utf-8"), hashlib.sha256).hexdigest()

    def candidate_hashes(self, value: str) -> list[str]:
        """Hashes of ``value`` under every key (for look-ups during a rotation)."""
        return [
            hmac.new(k, value.encode("utf-8"), hashlib.sha256).hexdigest() for k in self._hash_keys
        ]


_active: Keyring | None = None


def install(keyring: Keyring) -> None:
    """Make ``keyring`` the one :class:`EncryptedText` columns use in this process."""
    global _active
    _active = keyring


def active() -> Keyring:
    """The installed keyring; fails loudly rather than store anything in clear."""
    if _active is None:
        raise RuntimeError("no data keyring installed: call create_app() first")
    return _active


class EncryptedText(TypeDecorator[str]):
    """A text column stored Fernet-encrypted with the active keyring."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        """Encrypt on the way in."""
        if value is None:
            return None
        return active().encrypt(str(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        """Decrypt on the way out."""
        if value is None:
            return None
        return active().decrypt(str(value))
