"""Map a validated ID token's claims to what Selfie keeps: a keyed hash, never the code."""

from __future__ import annotations

from dataclasses import dataclass

from app.services import identity_codes


@dataclass(frozen=True)
class Identified:
    """The outcome of a strong identification, safe to keep in the session."""

    identity_ref: str
    birth_date_part: str
    given_name: str
    family_name: str


class ClaimError(ValueError):
    """The identity claim is missing or not a valid code; ``reason`` says which."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"identity claim unusable ({reason})")


def map_claims(
    claims: dict[str, object], *, claim_name: str, key: str, allow_temporary: bool
) -> Identified:
    """Read the identity code from ``claim_name`` and reduce it to its reference."""
    value = claims.get(claim_name)
    if not isinstance(value, str) or not value.strip():
        raise ClaimError("missing")
    try:
        code = identity_codes.parse(value, allow_temporary=allow_temporary)
    except identity_codes.InvalidIdentityCode as error:
        raise ClaimError(error.reason) from None
    return Identified(
        identity_ref=identity_codes.identity_reference(code, key),
        birth_date_part=code.birth_date_part,
        given_name=_text(claims.get("given_name")),
        family_name=_text(claims.get("family_name")),
    )


def _text(value: object) -> str:
    return value.strip()[:200] if isinstance(value, str) else ""
