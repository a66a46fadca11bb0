"""Tokens are encrypted at rest and survive a key rotation."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from app.crypto import TokenCipher


def test_encrypt_round_trips_and_hides_the_plaintext():
    cipher = TokenCipher(Fernet.generate_key().decode())

    stored = cipher.encrypt("shpat_secret")

    assert "shpat_secret" not in stored
    assert cipher.decrypt(stored) == "shpat_secret"


def test_a_rotated_key_list_still_reads_tokens_written_with_the_old_key():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored = TokenCipher(old).encrypt("shpat_secret")

    assert TokenCipher(f"{new},{old}").decrypt(stored) == "shpat_secret"


def test_the_wrong_key_is_a_clear_error():
    stored = TokenCipher(Fernet.generate_key().decode()).encrypt("shpat_secret")

    with pytest.raises(ValueError, match="TOKEN_ENCRYPTION_KEY"):
        TokenCipher(Fernet.generate_key().decode()).decrypt(stored)


def test_a_malformed_key_is_a_clear_error():
    with pytest.raises(ValueError, match="32 url-safe base64"):
        TokenCipher("not-a-key")
