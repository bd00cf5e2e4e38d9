"""Password hashing with argon2id (argon2-cffi defaults, RFC 9106 low-memory profile)."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from sitespeak.errors import InvalidInput

_hasher = PasswordHasher()
MIN_LENGTH = 10
MAX_LENGTH = 256


@functools.cache
def _dummy_hash() -> str:
    """Verifying against this keeps an unknown e-mail as slow as a wrong password (no user
    probing). Made on first use: hashing at import slowed every CLI start by ~0.3 s."""
    return _hasher.hash("not-a-real-password-just-timing")


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"password: at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"password: at most {MAX_LENGTH} characters")
    if len(set(password)) < 4:
        raise InvalidInput("password: use more than three different characters")


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify(stored_hash: str, password: str) -> bool:
    if not stored_hash:
        _safe_verify(_dummy_hash(), password)
        return False
    return _safe_verify(stored_hash, password)


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def _safe_verify(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
