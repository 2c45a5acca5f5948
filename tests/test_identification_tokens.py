"""decrypt → verify → validate claims, each check alone: no HTTP, time given by the test."""

from __future__ import annotations

import json

import pytest
from joserfc import jwe, jws
from joserfc.jwk import KeySet, RSAKey

from app.services.identification import tokens
from app.services.identification.errors import IdentificationFailed

ISSUER = "https://broker.example.fi"
CLIENT = "selfie"
NONCE = "n-0S6_WzA2Mj"
NOW = 1_800_000_000


@pytest.fixture(scope="module")
def broker_key() -> RSAKey:
    return RSAKey.generate_key(2048, {"use": "sig", "alg": "RS256"}, auto_kid=True)


@pytest.fixture(scope="module")
def portal_key() -> RSAKey:
    return RSAKey.generate_key(2048, {"use": "enc"}, auto_kid=True)


def claims(**changes) -> dict:
    base = {
        "iss": ISSUER,
        "aud": CLIENT,
        "sub": "anna",
        "iat": NOW,
        "exp": NOW + 300,
        "nonce": NONCE,
        "acr": "loa2",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


#: Brokers may put any header parameter in (RFC 7519 §5.3 replicated claims among them).
LENIENT_JWS = jws.JWSRegistry(algorithms=["RS256"], strict_check_header=False)
LENIENT_JWE = jwe.JWERegistry(algorithms=["RSA-OAEP", "A128CBC-HS256"], strict_check_header=False)


def sign(payload: dict, key: RSAKey, **header) -> str:
    protected = {"alg": "RS256", "kid": key.kid, **header}
    return jws.serialize_compact(protected, json.dumps(payload), key, registry=LENIENT_JWS)


def encrypt(inner: str, key: RSAKey, **header) -> str:
    protected = {"alg": "RSA-OAEP", "enc": "A128CBC-HS256", "cty": "JWT", **header}
    return jwe.encrypt_compact(protected, inner, key, registry=LENIENT_JWE)


def public(key: RSAKey) -> KeySet:
    return KeySet([RSAKey.import_key(key.as_dict(private=False))])


def refusal(call) -> str:
    with pytest.raises(IdentificationFailed) as caught:
        call()
    return caught.value.reason


def validate(payload: dict, now: int = NOW) -> dict:
    return tokens.validate_id_token_claims(
        payload, issuer=ISSUER, client_id=CLIENT, nonce=NONCE, now=now
    )


# -- opening ---------------------------------------------------------------------------------
def test_an_encrypted_signed_token_opens_to_its_claims(broker_key, portal_key):
    token = encrypt(sign(claims(), broker_key), portal_key)
    assert tokens.open_token(token, [public(broker_key)], portal_key)["sub"] == "anna"


def test_a_signed_but_unencrypted_token_is_refused_when_encryption_is_required(
    broker_key, portal_key
):
    token = sign(claims(), broker_key)
    assert refusal(lambda: tokens.open_token(token, [public(broker_key)], portal_key)) == (
        "not_encrypted"
    )


def test_a_token_encrypted_to_another_key_is_refused(broker_key, portal_key):
    stranger = RSAKey.generate_key(2048, {"use": "enc"}, auto_kid=True)
    token = encrypt(sign(claims(), broker_key), stranger)
    assert refusal(lambda: tokens.open_token(token, [public(broker_key)], portal_key)) == "decrypt"


def test_a_signature_by_another_key_is_refused(broker_key):
    rogue = RSAKey.generate_key(2048, {"use": "sig"}, auto_kid=True)
    token = sign(claims(), rogue)
    assert refusal(lambda: tokens.verify(token, [public(broker_key)])) == "signature"


def test_a_later_key_set_is_tried_when_the_first_does_not_verify(broker_key):
    rotated = RSAKey.generate_key(2048, {"use": "sig", "alg": "RS256"}, auto_kid=True)
    token = sign(claims(), rotated)
    assert tokens.verify(token, [public(broker_key), public(rotated)])["sub"] == "anna"


def test_key_sets_are_fetched_only_while_needed(broker_key):
    """The second key set (a refetch from the broker) is not asked for when the first verifies."""
    asked = []

    def key_sets():
        asked.append("cached")
        yield public(broker_key)
        asked.append("refetched")
        yield public(broker_key)

    tokens.verify(sign(claims(), broker_key), key_sets())
    assert asked == ["cached"]


# -- claims ----------------------------------------------------------------------------------
def test_honest_claims_pass():
    assert validate(claims())["sub"] == "anna"


@pytest.mark.parametrize(
    ("changes", "check"),
    [
        ({"iss": "https://evil.example"}, "claims_iss"),
        ({"aud": "someone-else"}, "claims_aud"),
        ({"sub": None}, "claims_sub"),
        ({"exp": None}, "claims_exp"),
        ({"iat": None}, "claims_iat"),
        ({"nonce": "another"}, "claims_nonce"),
        ({"nonce": None}, "claims_nonce"),
        ({"azp": "someone-else"}, "claims_azp"),
        ({"aud": [CLIENT, "someone-else"]}, "claims_azp"),
    ],
)
def test_each_claim_check_refuses_with_its_own_reason(changes, check):
    assert refusal(lambda: validate(claims(**changes))) == check


def test_the_clock_decides_expiry_with_a_minute_of_leeway():
    payload = claims()
    assert validate(payload, now=NOW + 300 + tokens.CLOCK_LEEWAY_SECONDS - 1)
    late = NOW + 300 + tokens.CLOCK_LEEWAY_SECONDS + 1
    assert refusal(lambda: validate(payload, now=late)) == "claims_exp"


def test_a_token_issued_in_the_future_is_refused():
    early = NOW - tokens.CLOCK_LEEWAY_SECONDS - 1
    assert refusal(lambda: validate(claims(), now=early)) == "claims_iat"


@pytest.mark.parametrize(
    ("acr", "required", "passes"),
    [("loa2", True, True), ("loa3", True, False), (None, True, False), (None, False, True)],
)
def test_the_answered_assurance_level_must_be_one_asked_for(acr, required, passes):
    def check():
        tokens.check_acr(claims(acr=acr), ("loa2",), required=required)

    if passes:
        check()
    else:
        assert refusal(check) == "claims_acr"


@pytest.mark.parametrize(
    ("changes", "check"),
    [
        ({"sub": "someone-else"}, "userinfo_subject"),
        ({"iss": "https://evil.example"}, "userinfo_claims"),
        ({"aud": "someone-else"}, "userinfo_claims"),
    ],
)
def test_a_signed_userinfo_answer_must_be_ours_and_about_the_same_person(changes, check):
    def call():
        tokens.validate_userinfo_claims(
            claims(**changes), issuer=ISSUER, client_id=CLIENT, subject="anna", signed=True
        )

    assert refusal(call) == check


# -- header parameters (RFC 7515/7516/7519; issue 16) ---------------------------------------
def test_claims_replicated_into_the_jwe_header_are_accepted_when_equal(broker_key, portal_key):
    token = encrypt(
        sign(claims(aud=[CLIENT]), broker_key), portal_key, iss=ISSUER, aud=CLIENT, sub="anna"
    )
    assert tokens.open_token(token, [public(broker_key)], portal_key)["sub"] == "anna"


def test_unknown_non_critical_header_parameters_are_ignored(broker_key, portal_key):
    inner = sign(claims(), broker_key, **{"x-broker-trace": "abc"})
    token = encrypt(inner, portal_key, **{"x-broker-region": "fi"})
    assert tokens.open_token(token, [public(broker_key)], portal_key)["sub"] == "anna"


@pytest.mark.parametrize(
    ("header", "check"),
    [
        ({"iss": "https://evil.example"}, "header_iss"),
        ({"aud": "someone-else"}, "header_aud"),
        ({"sub": "someone-else"}, "header_sub"),
    ],
)
@pytest.mark.parametrize("layer", ["jwe", "jws"])
def test_a_replicated_claim_that_disagrees_is_refused(broker_key, portal_key, header, check, layer):
    if layer == "jwe":
        token = encrypt(sign(claims(), broker_key), portal_key, **header)
    else:
        token = encrypt(sign(claims(), broker_key, **header), portal_key)
    assert refusal(lambda: tokens.open_token(token, [public(broker_key)], portal_key)) == check


@pytest.mark.parametrize(
    "critical",
    [
        ["urn:example:extension"],
        [],
        "urn:example:extension",
        ["b64"],  # understood by joserfc (RFC 7797), not by Selfie
    ],
)
def test_a_crit_header_selfie_does_not_understand_is_refused(critical):
    segment = jws_segment({"alg": "RS256", "crit": critical, "urn:example:extension": True})
    assert refusal(lambda: tokens.check_critical(tokens.protected_header(segment))) == (
        "header_crit"
    )


def test_a_critical_jwe_is_refused_before_any_key_is_used(portal_key):
    token = jws_segment({"alg": "RSA-OAEP", "enc": "A128CBC-HS256", "crit": ["zip2"]}) + ".a.b.c.d"
    assert refusal(lambda: tokens.decrypt(token, portal_key)) == "header_crit"


def test_an_unreadable_header_is_refused():
    assert refusal(lambda: tokens.protected_header("not-json.x.y")) == "header"


def jws_segment(header: dict) -> str:
    from joserfc.util import urlsafe_b64encode

    return urlsafe_b64encode(json.dumps(header).encode()).decode()
