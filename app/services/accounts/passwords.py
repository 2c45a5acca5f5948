"""Password rules and hashing.

The rules follow NIST SP 800-63B: length over composition, any characters
(spaces and å, ä, ö included), and no password from a list of the most
common ones. Hashing is argon2id through argon2-cffi, with the memory,
iterations and parallelism taken from the settings (``PASSWORD_HASH_*``); a
stored hash made with other parameters is re-hashed at the next successful
login, so changing the settings upgrades every active account over time.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

from app.settings_table import DEFAULTS

MIN_LENGTH = 12
MAX_LENGTH = 128
COMMON_LIST_SIZE = 10_000

_RUNS_OF_SPACES = re.compile(r"\s{2,}")


class PasswordProblem(enum.StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    COMMON = "common"
    SAME_AS_EMAIL = "same_as_email"


def normalise(password: str) -> str:
    """NFC, so the same letters typed on different keyboards hash alike."""
    return unicodedata.normalize("NFC", password)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 10,000 most common passwords, from zxcvbn's list (ranked, from real leaks)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"][:COMMON_LIST_SIZE])


def problems(password: str, email: str = "") -> list[PasswordProblem]:
    """Every rule ``password`` breaks, in the order the form states them."""
    password = normalise(password)
    found = []
    if len(_RUNS_OF_SPACES.sub(" ", password)) < MIN_LENGTH:  # ASVS 2.1.1: spaces combined
        found.append(PasswordProblem.TOO_SHORT)
    if len(password) > MAX_LENGTH:
        found.append(PasswordProblem.TOO_LONG)
    if password.casefold() in common_passwords():
        found.append(PasswordProblem.COMMON)
    folded = password.strip().casefold()
    if email and folded in {email.casefold(), email.split("@")[0].casefold()}:
        found.append(PasswordProblem.SAME_AS_EMAIL)
    return found


@lru_cache(maxsize=4)
def _hasher_with(memory_kib: int, iterations: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=iterations, memory_cost=memory_kib, parallelism=parallelism)


def hasher() -> PasswordHasher:
    """argon2id with the configured parameters (the defaults outside an app)."""
    config = current_app.config if has_app_context() else DEFAULTS
    return _hasher_with(
        int(config["PASSWORD_HASH_MEMORY_KIB"]),
        int(config["PASSWORD_HASH_ITERATIONS"]),
        int(config["PASSWORD_HASH_PARALLELISM"]),
    )


def hash_password(password: str) -> str:
    return hasher().hash(normalise(password))


@lru_cache(maxsize=4)
def _dummy_hash(current: PasswordHasher) -> str:
    return current.hash("selfie-timing-equaliser")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash, spend the same time on a dummy one.

    The dummy verification keeps an unknown username as slow as a wrong
    password, so response times do not reveal which usernames exist.
    """
    current = hasher()
    try:
        return current.verify(password_hash or _dummy_hash(current), normalise(password)) and bool(
            password_hash
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True for a hash made with other parameters than the configured ones."""
    return hasher().check_needs_rehash(password_hash)
