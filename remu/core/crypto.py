"""Field-level encryption of personal data at rest (docs/architecture.md « Data protection »).

- `FIELD_ENCRYPTION_KEYS` (environment): Fernet keys, comma-separated; the first encrypts,
  every one decrypts (MultiFernet). Rotation: put a new key first, keep the old ones, run
  `manage.py rotate_encryption_key`, then drop the old keys.
- `NIR_HASH_KEY` (environment): the key of the HMAC-SHA256 of a NIR, stored next to the
  ciphertext where rows are looked up or kept unique by NIR (a Fernet token is random: two
  encryptions of one NIR differ, so the database cannot compare them).

The primitives are the `cryptography` package's (Fernet: AES-128-CBC + HMAC-SHA256); nothing
here is hand-made cryptography."""

from __future__ import annotations

import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

TOKEN_PREFIX = "gAAAAA"  # a Fernet token's version byte 0x80, base64url: how to tell one


@functools.cache
def fernet() -> MultiFernet:
    keys = [k.strip() for k in getattr(settings, "FIELD_ENCRYPTION_KEYS", []) if k.strip()]
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS est vide : aucune clé de chiffrement.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS : clé invalide ({error}).") from None


@functools.cache
def _hash_key() -> bytes:
    key = getattr(settings, "NIR_HASH_KEY", "")
    if len(key) < 32:
        raise ImproperlyConfigured("NIR_HASH_KEY doit compter au moins 32 caractères.")
    return key.encode()


def _reset(*, setting, **kwargs):
    if setting in ("FIELD_ENCRYPTION_KEYS", "NIR_HASH_KEY"):
        fernet.cache_clear()
        _hash_key.cache_clear()


setting_changed.connect(_reset)


def encrypt(value: bytes) -> bytes:
    return fernet().encrypt(value)


def decrypt(token: bytes) -> bytes:
    return fernet().decrypt(token)


def rotate(token: bytes) -> bytes:
    """The token re-encrypted with the first key (decrypted with whichever key fits)."""
    return fernet().rotate(token)


def is_token(value: str | bytes) -> bool:
    text = value.decode("ascii", "replace") if isinstance(value, bytes | memoryview) else value
    return text.startswith(TOKEN_PREFIX)


def lookup_hash(value: str) -> str:
    """The keyed hash (HMAC-SHA256, hex) a row is found by; blank for a blank value."""
    if not value:
        return ""
    return hmac.new(_hash_key(), value.encode(), hashlib.sha256).hexdigest()


def nir_hash(nir: str) -> str:
    """The hash of a NIR as typed (spaces and case do not matter)."""
    return lookup_hash("".join(nir.split()).upper())


__all__ = ["InvalidToken", "decrypt", "encrypt", "is_token", "lookup_hash", "nir_hash", "rotate"]
