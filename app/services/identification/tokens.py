"""Opening and checking the broker's tokens: decrypt → verify → validate claims.

Pure functions: no HTTP, no Flask, no clock of their own. The caller gives
the keys (an iterable of key sets, tried in turn, so a key rotation at the
broker can be followed) and the time, so each check is unit-tested alone.
Every refusal is :class:`IdentificationFailed` whose reason names the check.

Headers: any JWE or JWS header parameter is accepted unless ``crit`` lists
it (RFC 7515 §4.1.11, RFC 7516 §4.1.13: what is not understood and not
critical is ignored), so claims replicated into the header (RFC 7519 §5.3,
``iss``, ``aud``, ``sub``) and ``cty: JWT`` pass. Selfie understands no
critical extension: a token with ``crit`` is refused. A replicated claim
must equal the claim inside the token.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from joserfc import jwe, jwt
from joserfc.errors import JoseError
from joserfc.jwe import JWERegistry
from joserfc.jwk import KeySet, RSAKey
from joserfc.jws import JWSRegistry
from joserfc.jwt import JWTClaimsRegistry
from joserfc.util import urlsafe_b64decode

from app.services.identification.errors import IdentificationFailed

SIGNING_ALGORITHMS = ["RS256", "PS256", "ES256"]
ENCRYPTION_ALGORITHMS = ["RSA-OAEP", "RSA-OAEP-256", "A128CBC-HS256", "A256CBC-HS512", "A256GCM"]
CLOCK_LEEWAY_SECONDS = 60
#: Extensions Selfie understands when a header lists them in ``crit``: none.
UNDERSTOOD_CRITICAL: frozenset[str] = frozenset()
#: Claims a broker may replicate into the header (RFC 7519 §5.3); each must equal the claim.
REPLICATED_CLAIMS = ("iss", "aud", "sub")

JWE_REGISTRY = JWERegistry(algorithms=ENCRYPTION_ALGORITHMS, strict_check_header=False)
JWS_REGISTRY = JWSRegistry(algorithms=SIGNING_ALGORITHMS, strict_check_header=False)


def protected_header(value: str) -> dict:
    """The protected header of a compact JWS or JWE, read before any key is used."""
    try:
        header = json.loads(urlsafe_b64decode(value.split(".", 1)[0].encode("ascii")))
    except (ValueError, UnicodeError):
        header = None
    if not isinstance(header, dict):
        raise IdentificationFailed("header")
    return header


def check_critical(header: dict) -> None:
    """Refuse a ``crit`` that lists anything Selfie does not understand (or is malformed)."""
    if "crit" not in header:
        return
    critical = header["crit"]
    if (
        not isinstance(critical, list)
        or not critical
        or not all(isinstance(name, str) and name in UNDERSTOOD_CRITICAL for name in critical)
    ):
        raise IdentificationFailed("header_crit")


def check_replicated_claims(headers: Iterable[dict], claims: dict) -> None:
    """A claim replicated into a header must be the claim itself (RFC 7519 §5.3)."""
    for header in headers:
        for name in REPLICATED_CLAIMS:
            if name in header and _as_set(header[name]) != _as_set(claims.get(name)):
                raise IdentificationFailed(f"header_{name}")


def _as_set(value: object) -> frozenset | object:
    """``aud`` may be one string or a list of them: "abc" and ["abc"] are the same audience."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return frozenset(value)
    return frozenset([value]) if isinstance(value, str) else value


def decrypt(value: str, key: RSAKey) -> str:
    """The nested JWS inside a JWE encrypted to the portal's key."""
    check_critical(protected_header(value))
    try:
        decrypted = jwe.decrypt_compact(value, key, registry=JWE_REGISTRY)
        return decrypted.plaintext.decode()
    except (JoseError, ValueError, UnicodeDecodeError):
        raise IdentificationFailed("decrypt") from None


def verify(value: str, key_sets: Iterable[KeySet]) -> dict:
    """The claims of a JWS signed by one of the broker's keys (each key set tried in turn)."""
    check_critical(protected_header(value))
    for keys in key_sets:
        try:
            return dict(jwt.decode(value, keys, registry=JWS_REGISTRY).claims)
        except (JoseError, ValueError):
            continue
    raise IdentificationFailed("signature")


def open_token(value: str, key_sets: Iterable[KeySet], decryption_key: RSAKey | None) -> dict:
    """Must be encrypted (when a decryption key is given) → decrypt → verify.

    The one path for ID tokens and JWT userinfo answers alike.
    """
    headers = []
    if decryption_key is not None:
        if value.count(".") != 4:
            raise IdentificationFailed("not_encrypted")
        headers.append(protected_header(value))
        value = decrypt(value, decryption_key)
    headers.append(protected_header(value))
    claims = verify(value, key_sets)
    check_replicated_claims(headers, claims)
    return claims


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
