"""Opening and checking the broker's tokens: decrypt → verify → validate claims.

Pure functions: no HTTP, no Flask, no clock of their own. The caller gives
the keys (an iterable of key sets, tried in turn, so a key rotation at the
broker can be followed) and the time, so each check is unit-tested alone.
Every refusal is :class:`IdentificationFailed` whose reason names the check.
"""

from __future__ import annotations

from collections.abc import Iterable

from joserfc import jwe, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from joserfc.jwt import JWTClaimsRegistry

from app.services.identification.errors import IdentificationFailed

SIGNING_ALGORITHMS = ["RS256", "PS256", "ES256"]
ENCRYPTION_ALGORITHMS = ["RSA-OAEP", "RSA-OAEP-256", "A128CBC-HS256", "A256CBC-HS512", "A256GCM"]
CLOCK_LEEWAY_SECONDS = 60


def decrypt(value: str, key: RSAKey) -> str:
    """The nested JWS inside a JWE encrypted to the portal's key."""
    try:
        decrypted = jwe.decrypt_compact(value, key, algorithms=ENCRYPTION_ALGORITHMS)
        return decrypted.plaintext.decode()
    except (JoseError, ValueError, UnicodeDecodeError):
        raise IdentificationFailed("decrypt") from None


def verify(value: str, key_sets: Iterable[KeySet]) -> dict:
    """The claims of a JWS signed by one of the broker's keys (each key set tried in turn)."""
    for keys in key_sets:
        try:
            return dict(jwt.decode(value, keys, algorithms=SIGNING_ALGORITHMS).claims)
        except (JoseError, ValueError):
            continue
    raise IdentificationFailed("signature")


def open_token(value: str, key_sets: Iterable[KeySet], decryption_key: RSAKey | None) -> dict:
    """Must be encrypted (when a decryption key is given) → decrypt → verify.

    The one path for ID tokens and JWT userinfo answers alike.
    """
    if decryption_key is not None:
        if value.count(".") != 4:
            raise IdentificationFailed("not_encrypted")
        value = decrypt(value, decryption_key)
    return verify(value, key_sets)


def validate_id_token_claims(
    claims: dict, *, issuer: str, client_id: str, nonce: str, now: int
) -> dict:
    """OpenID Connect Core 3.1.3.7: issuer, audience, subject, times, nonce and azp."""
    registry = JWTClaimsRegistry(
        now=now,
        leeway=CLOCK_LEEWAY_SECONDS,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except JoseError as error:
        raise IdentificationFailed(f"claims_{getattr(error, 'claim', 'invalid')}") from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != client_id:
        raise IdentificationFailed("claims_azp")
    return claims


def check_acr(claims: dict, asked: tuple[str, ...], *, required: bool) -> None:
    """The assurance level answered must be one asked for.

    ``required`` is the FTN profile: its brokers must echo ``acr``; some
    plain brokers do not.
    """
    if not asked:
        return
    acr = claims.get("acr")
    if acr is None and not required:
        return
    if acr not in asked:
        raise IdentificationFailed("claims_acr")


def validate_userinfo_claims(
    claims: object, *, issuer: str, client_id: str, subject: str, signed: bool
) -> dict:
    """A userinfo answer is about the identified person, and if signed, from our broker to us."""
    if not isinstance(claims, dict):
        raise IdentificationFailed("userinfo")
    if signed and (
        claims.get("iss", issuer) != issuer
        or claims.get("aud", client_id) not in (client_id, [client_id])
    ):
        raise IdentificationFailed("userinfo_claims")
    if claims.get("sub") != subject:
        raise IdentificationFailed("userinfo_subject")
    return claims
