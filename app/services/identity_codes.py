"""Finnish personal identity codes (henkilötunnus / personbeteckning).

The code is the most sensitive datum Selfie touches. It exists in clear only
in memory, between the identification broker's answer (or the register
import's input file) and :func:`identity_reference`, which turns it into a
keyed hash. Only the birth-date part is ever kept for display.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from stdnum.exceptions import ValidationError
from stdnum.fi import hetu

#: Anything in free text shaped like a code, for log masking. Century signs
#: + - A (classic) and B-F, U-Y (2023 reform), case-insensitive.
#: Lookarounds instead of \b, so "hetu_150385-9013" and "x150385-9013" are caught;
#: the century sign may be missing ("1503859013"), as people type it.
CODE_PATTERN = re.compile(r"(?<![0-9])\d{6}[-+A-FU-Ya-fu-y]?\d{3}[0-9A-Ya-y](?![0-9A-Za-z])")


class InvalidIdentityCode(ValueError):
    """The value is not an acceptable personal identity code.

    ``reason`` is one of ``format``, ``checksum``, ``date``, ``temporary``,
    so callers can give a precise, translated message without the code.
    """

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"invalid personal identity code ({reason})")


@dataclass(frozen=True)
class IdentityCode:
    """A validated code: keep it short-lived, store only its derivatives."""

    compact: str

    @property
    def birth_date_part(self) -> str:
        """The DDMMYY part, the only piece Selfie keeps for masked display."""
        return self.compact[:6]

    def __repr__(self) -> str:  # never print the code, even in a traceback
        return f"IdentityCode({mask(self.compact)})"

    __str__ = __repr__


def parse(value: str, *, allow_temporary: bool = False) -> IdentityCode:
    """Validate and normalise ``value`` (upper case, no spaces).

    Temporary codes (individual number 900–999) come from test
    identification environments and demo data; production refuses them.
    """
    if not isinstance(value, str):
        raise InvalidIdentityCode("format")
    compact = hetu.compact(value)
    try:
        hetu.validate(compact, allow_temporary=True)
    except ValidationError as error:
        raise InvalidIdentityCode(_reason(error)) from None
    if not allow_temporary and 900 <= int(compact[7:10]) <= 999:
        raise InvalidIdentityCode("temporary")
    return IdentityCode(compact)


def _reason(error: ValidationError) -> str:
    name = type(error).__name__
    return {
        "InvalidChecksum": "checksum",
        "InvalidComponent": "date",
    }.get(name, "format")


def identity_reference(code: IdentityCode, key: str | bytes) -> str:
    """HMAC-SHA-256 of the normalised code, hex: what Selfie stores and matches on."""
    if not key:
        raise ValueError("the identity key is empty")
    raw_key = key.encode() if isinstance(key, str) else key
    return hmac.new(raw_key, code.compact.encode("ascii"), hashlib.sha256).hexdigest()


def masked_birth_date(birth_date_part: str | None) -> str:
    """``150385`` → ``150385-****``: how a code is shown to its owner."""
    if not birth_date_part:
        return ""
    return f"{birth_date_part}-****"


def mask(text: str) -> str:
    """Replace every code-shaped substring of ``text`` with its masked form."""
    return CODE_PATTERN.sub(lambda m: masked_birth_date(m.group(0)[:6]), text)
