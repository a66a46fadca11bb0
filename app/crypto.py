"""Encryption at rest for Shopify access and refresh tokens."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class TokenCipher:
    """Fernet encryption keyed by TOKEN_ENCRYPTION_KEY.

    The setting may list several comma-separated keys: the first encrypts, all decrypt, so a
    key can be rotated without losing stored tokens (`MultiFernet.rotate` re-encrypts).
    """

    def __init__(self, keys: str) -> None:
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise ValueError("TOKEN_ENCRYPTION_KEY is empty")
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in parts])
        except ValueError as exc:
            raise ValueError(
                "TOKEN_ENCRYPTION_KEY must be 32 url-safe base64-encoded bytes "
                "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
            ) from exc

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("stored token cannot be decrypted with TOKEN_ENCRYPTION_KEY") from exc
