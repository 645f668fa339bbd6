"""Encryption at rest and keyed look-up hashes."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import text

from gateway import crypto, runtime
from gateway.crypto import DecryptionError, KeyConfigError, Keyring, generate_key, parse_keys
from gateway.models import Contact


def test_round_trip_and_rotation() -> None:
    old, new = generate_key(), generate_key()
    token = Keyring(old).encrypt("+22376123445")
    assert "+22376123445" not in token
    rotated_ring = Keyring(f"{new},{old}")
    assert rotated_ring.decrypt(token) == "+22376123445"
    rotated = rotated_ring.rotate(token)
    assert Keyring(new).decrypt(rotated) == "+22376123445"
    with pytest.raises(DecryptionError):
        Keyring(new).decrypt(token)


def test_lookup_hash_is_keyed_and_stable() -> None:
    key = generate_key()
    assert Keyring(key).lookup_hash("+22376123445") == Keyring(key).lookup_hash("+22376123445")
    assert Keyring(key).lookup_hash("+22376123445") != Keyring(generate_key()).lookup_hash(
        "+22376123445"
    )
    old, new = generate_key(), generate_key()
    assert Keyring(old).lookup_hash("+22376123445") in Keyring(f"{new},{old}").candidate_hashes(
        "+22376123445"
    )


def test_bad_keys_are_refused() -> None:
    with pytest.raises(KeyConfigError):
        parse_keys(" , ")
    with pytest.raises(KeyConfigError, match="key 2"):
        parse_keys(f"{generate_key()},short")


def test_numbers_are_stored_encrypted_and_found_by_hash(app: Flask) -> None:
    rt = runtime.current()
    with rt.db.session() as session:
        Contact.get_or_create(session, "+22376123445")
    with rt.db.engine.connect() as conn:
        phone, phone_hash = conn.execute(text("SELECT phone, phone_hash FROM contacts")).one()
    assert "76123445" not in phone and "76123445" not in phone_hash
    with rt.db.session() as session:
        found = Contact.find(session, "+22376123445")
        assert found is not None and found.phone == "+22376123445"
        assert Contact.find(session, "+22376123446") is None


def test_nothing_is_stored_without_a_keyring(app: Flask) -> None:
    saved = crypto._active
    crypto._active = None
    try:
        with pytest.raises(RuntimeError, match="no data keyring"):
            crypto.EncryptedText().process_bind_param("secret", None)  # type: ignore[arg-type]
    finally:
        crypto._active = saved


def test_the_lookup_hash_key_is_derived_not_the_data_key_itself() -> None:
    """Hashes are keyed with an HKDF subkey: never an HMAC under the Fernet key bytes."""
    import base64
    import hashlib
    import hmac

    key = generate_key()
    raw = base64.urlsafe_b64decode(key)
    digest = Keyring(key).lookup_hash("+22376123445")
    for secret in (raw, raw[:16], raw[16:], key.encode()):
        assert digest != hmac.new(secret, b"+22376123445", hashlib.sha256).hexdigest()
