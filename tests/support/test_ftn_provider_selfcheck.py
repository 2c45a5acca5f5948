"""Self-check of the strict FTN test provider, driven by a minimal honest client.

The client here uses nothing but ``requests`` and joserfc, so these tests prove the
provider both accepts a correct FTN flow and refuses what the profile forbids.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from joserfc import jwe, jws
from joserfc.jwk import KeySet, RSAKey

from tests.support.ftn_provider import (
    ACR_LOA2,
    ACR_LOA3,
    CODE_LIFETIME,
    TAMPER_KINDS,
    USERINFO_TAMPER_KINDS,
    StrictFtnProvider,
    run_strict_ftn_provider,
)

CLIENT_ID = "selfie-portal"
REDIRECT_URI = "http://portal.test/auth/ftn/callback"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
PERSONS = {
    "anna": {"hetu": "010190-900P", "given_name": "Anna", "family_name": "Andersson"},
    "ville": {"hetu": "311280-999J", "given_name": "Ville", "family_name": "Virtanen"},
}
TIMEOUT = 10


@cache
def _client_keys() -> tuple[RSAKey, RSAKey]:
    sig = RSAKey.generate_key(2048, {"use": "sig", "alg": "RS256"}, auto_kid=True)
    enc = RSAKey.generate_key(2048, {"use": "enc", "alg": "RSA-OAEP"}, auto_kid=True)
    return sig, enc


@cache
def _other_key() -> RSAKey:
    return RSAKey.generate_key(2048, {"use": "sig", "alg": "RS256"}, auto_kid=True)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_json(value: Any) -> str:
    return _b64url(json.dumps(value).encode())


class TokenRejected(Exception):
    """The honest client's ID token / userinfo validation failed."""


@dataclass
class Flow:
    state: str
    nonce: str
    verifier: str
    acr: str
    claims: dict[str, Any]


@dataclass
class HonestClient:
    provider: StrictFtnProvider
    sig_key: RSAKey
    enc_key: RSAKey
    session: requests.Session = field(default_factory=requests.Session)

    # -- building blocks ------------------------------------------------------------

    def sign(self, claims: dict[str, Any], key: RSAKey | None = None) -> str:
        key = key or self.sig_key
        header = {"alg": "RS256", "typ": "oauth-authz-req+jwt", "kid": self.sig_key.kid}
        return jws.serialize_compact(header, json.dumps(claims), key, algorithms=["RS256"])

    def new_flow(self, **overrides: Any) -> Flow:
        verifier = secrets.token_urlsafe(48)
        challenge = _b64url(hashlib.sha256(verifier.encode()).digest())
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": CLIENT_ID,
            "aud": self.provider.issuer,
            "iat": now,
            "exp": now + 120,
            "jti": secrets.token_urlsafe(16),
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid profile",
            "state": secrets.token_urlsafe(16),
            "nonce": secrets.token_urlsafe(16),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "acr_values": ACR_LOA3,
            "ftn_spname": "Selfie",
            "ui_locales": "fi",
        }
        for name, value in overrides.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return Flow(
            state=claims.get("state", ""),
            nonce=claims.get("nonce", ""),
            verifier=verifier,
            acr=str(claims.get("acr_values", "")).split(" ")[0],
            claims=claims,
        )

    def authorize(self, params: dict[str, str]) -> requests.Response:
        return self.session.get(
            self.provider.authorization_endpoint,
            params=params,
            allow_redirects=False,
            timeout=TIMEOUT,
        )

    def authorize_flow(self, flow: Flow, request_object: str | None = None) -> requests.Response:
        token = request_object if request_object is not None else self.sign(flow.claims)
        return self.authorize(
            {"client_id": CLIENT_ID, "response_type": "code", "scope": "openid", "request": token}
        )

    def decide(self, page: requests.Response, **form: str) -> dict[str, str]:
        assert page.status_code == 200, page.text
        match = re.search(r'name="tx" value="([^"]+)"', page.text)
        assert match, page.text
        response = self.session.post(
            f"{self.provider.issuer}/authorize/decide",
            data={"tx": match.group(1), **form},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        assert response.status_code == 302, response.text
        location = response.headers["Location"]
        assert location.startswith(REDIRECT_URI + "?")
        return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}

    def login(self, sub: str = "anna", **overrides: Any) -> tuple[str, Flow]:
        flow = self.new_flow(**overrides)
        result = self.decide(self.authorize_flow(flow), sub=sub)
        assert result["state"] == flow.state
        assert result["iss"] == self.provider.issuer
        return result["code"], flow

    def assertion(
        self,
        *,
        jti: str | None = None,
        aud: str | None = None,
        lifetime: int = 120,
        key: RSAKey | None = None,
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": CLIENT_ID,
            "sub": CLIENT_ID,
            "aud": aud or self.provider.token_endpoint,
            "iat": now,
            "exp": now + lifetime,
            "jti": jti or secrets.token_urlsafe(16),
        }
        header = {"alg": "RS256", "kid": self.sig_key.kid}
        return jws.serialize_compact(
            header, json.dumps(claims), key or self.sig_key, algorithms=["RS256"]
        )

    def token(
        self, code: str, flow: Flow, *, assertion: str | None = None, **form: str | None
    ) -> requests.Response:
        data: dict[str, str | None] = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": flow.verifier,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion or self.assertion(),
        }
        data.update(form)
        return self.session.post(
            self.provider.token_endpoint,
            data={k: v for k, v in data.items() if v is not None},
            timeout=TIMEOUT,
        )

    # -- validation as a strict relying party would do it ------------------------------

    def provider_keys(self) -> KeySet:
        jwks = self.session.get(self.provider.jwks_uri, timeout=TIMEOUT).json()
        return KeySet.import_key_set(jwks)

    def open_nested(self, token: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """Decrypt and verify a signed-then-encrypted JWT: (jwe header, jws header, claims)."""
        if token.count(".") != 4:
            raise TokenRejected("not a compact JWE")
        try:
            outer = jwe.decrypt_compact(
                token, self.enc_key, algorithms=["RSA-OAEP", "A128CBC-HS256"]
            )
        except Exception as error:
            raise TokenRejected(f"cannot decrypt: {error}") from error
        assert outer.plaintext is not None
        try:
            inner = jws.deserialize_compact(
                outer.plaintext, self.provider_keys(), algorithms=["RS256"]
            )
        except Exception as error:
            raise TokenRejected(f"inner JWS does not verify: {error}") from error
        assert inner.payload is not None
        return outer.headers(), inner.headers(), json.loads(inner.payload)

    def validate_id_token(self, id_token: str, flow: Flow) -> dict[str, Any]:
        _, _, claims = self.open_nested(id_token)
        now = time.time()
        if claims.get("iss") != self.provider.issuer:
            raise TokenRejected("iss")
        if claims.get("aud") != CLIENT_ID and CLIENT_ID not in (claims.get("aud") or []):
            raise TokenRejected("aud")
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= now:
            raise TokenRejected("exp")
        if claims.get("nonce") != flow.nonce:
            raise TokenRejected("nonce")
        if claims.get("acr") != flow.acr:
            raise TokenRejected("acr")
        if "azp" in claims and claims["azp"] != CLIENT_ID:
            raise TokenRejected("azp")
        if not isinstance(claims.get("iat"), int) or claims["iat"] > now + 60:
            raise TokenRejected("iat")
        return claims


@pytest.fixture
def provider() -> Iterator[StrictFtnProvider]:
    sig, enc = _client_keys()
    jwks = {"keys": [sig.as_dict(private=False), enc.as_dict(private=False)]}
    with run_strict_ftn_provider(client_id=CLIENT_ID, client_jwks=jwks, persons=PERSONS) as p:
        yield p


@pytest.fixture
def client(provider: StrictFtnProvider) -> Iterator[HonestClient]:
    sig, enc = _client_keys()
    honest = HonestClient(provider, sig, enc)
    with honest.session:
        yield honest


# ---------------------------------------------------------------------- discovery


def test_discovery_advertises_the_ftn_profile(client: HonestClient) -> None:
    provider = client.provider
    meta = client.session.get(
        f"{provider.issuer}/.well-known/openid-configuration", timeout=TIMEOUT
    ).json()
    assert meta["issuer"] == provider.issuer
    assert meta["token_endpoint"] == f"{provider.issuer}/token"
    assert meta["jwks_uri"] == f"{provider.issuer}/jwks"
    assert meta["response_types_supported"] == ["code"]
    assert meta["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert meta["request_parameter_supported"] is True
    assert meta["id_token_encryption_alg_values_supported"] == ["RSA-OAEP"]
    assert meta["id_token_encryption_enc_values_supported"] == ["A128CBC-HS256"]
    assert meta["userinfo_encryption_alg_values_supported"] == ["RSA-OAEP"]
    assert meta["userinfo_encryption_enc_values_supported"] == ["A128CBC-HS256"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["acr_values_supported"] == [ACR_LOA2, ACR_LOA3]
    assert meta["ui_locales_supported"] == ["fi", "sv", "en"]
    assert "hetu" in meta["claims_supported"]

    jwks = client.session.get(provider.jwks_uri, timeout=TIMEOUT).json()
    assert len(jwks["keys"]) == 1
    (key,) = jwks["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["kid"]
    assert "d" not in key


# ---------------------------------------------------------------------- authorize


def test_absent_request_object_is_refused(client: HonestClient) -> None:
    flow = client.new_flow()
    plain = {k: v for k, v in flow.claims.items() if k not in ("iss", "aud", "iat", "exp", "jti")}
    response = client.authorize(plain)
    assert response.status_code == 400
    assert "no request object" in response.text
    assert client.provider.refusals == ["authorize: no request object"]


def test_unsigned_request_object_is_refused(client: HonestClient) -> None:
    flow = client.new_flow()
    unsigned = f"{_b64url_json({'alg': 'none', 'typ': 'JWT'})}.{_b64url_json(flow.claims)}."
    response = client.authorize_flow(flow, request_object=unsigned)
    assert response.status_code == 400
    assert client.provider.refusals == ["authorize: unsigned request object (alg none)"]


def test_request_object_signed_by_another_key_is_refused(client: HonestClient) -> None:
    flow = client.new_flow()
    response = client.authorize_flow(flow, request_object=client.sign(flow.claims, _other_key()))
    assert response.status_code == 400
    assert client.provider.refusals == ["authorize: bad request object signature"]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"iss": "someone-else"}, "request object iss mismatch"),
        ({"aud": "https://other-op.example"}, "request object aud mismatch"),
        ({"exp": None}, "request object missing exp"),
        ({"exp": int(time.time()) - 10}, "request object expired"),
        ({"response_type": "token"}, "invalid response_type"),
        ({"scope": "profile"}, "invalid scope (openid missing)"),
        ({"code_challenge_method": "plain"}, "invalid code_challenge_method"),
        ({"acr_values": "urn:example:weak"}, "invalid acr_values"),
    ],
)
def test_bad_request_object_claims_are_refused(
    client: HonestClient, overrides: dict[str, Any], reason: str
) -> None:
    response = client.authorize_flow(client.new_flow(**overrides))
    assert response.status_code == 400
    assert reason in response.text
    assert client.provider.refusals == [f"authorize: {reason}"]


@pytest.mark.parametrize(
    "name",
    [
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
        "acr_values",
        "ftn_spname",
    ],
)
def test_request_object_missing_a_required_parameter_is_refused(
    client: HonestClient, name: str
) -> None:
    flow = client.new_flow(**{name: None})
    response = client.authorize(
        {"client_id": CLIENT_ID, "request": client.sign(flow.claims)}  # query client_id only
    )
    assert response.status_code == 400
    expected = "query client_id mismatch" if name == "client_id" else f"missing {name}"
    assert client.provider.refusals == [f"authorize: {expected}"]


def test_query_client_id_must_match_the_request_object(client: HonestClient) -> None:
    flow = client.new_flow()
    response = client.authorize({"client_id": "other-client", "request": client.sign(flow.claims)})
    assert response.status_code == 400
    assert client.provider.refusals == ["authorize: query client_id mismatch"]


def test_valid_request_shows_identification_page_and_records_ui_locales(
    client: HonestClient,
) -> None:
    flow = client.new_flow(ui_locales="sv fi")
    page = client.authorize_flow(flow)
    assert page.status_code == 200
    assert "Test identification" in page.text
    assert 'value="anna"' in page.text and 'value="ville"' in page.text
    assert 'value="cancel"' in page.text
    assert client.provider.refusals == []
    assert client.provider.last_ui_locales == "sv fi"
    assert client.provider.authorization_requests[-1]["nonce"] == flow.nonce


def test_cancel_returns_access_denied(client: HonestClient) -> None:
    flow = client.new_flow()
    result = client.decide(client.authorize_flow(flow), action="cancel")
    assert result == {"error": "access_denied", "state": flow.state, "iss": client.provider.issuer}


# ---------------------------------------------------------------------- token


def test_valid_flow_yields_encrypted_id_token_and_userinfo(client: HonestClient) -> None:
    code, flow = client.login("anna")
    response = client.token(code, flow)
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] > 0

    jwe_header, jws_header, claims = client.open_nested(body["id_token"])
    assert jwe_header == {
        "alg": "RSA-OAEP",
        "enc": "A128CBC-HS256",
        "cty": "JWT",
        "kid": client.enc_key.kid,
    }
    assert jws_header["alg"] == "RS256"
    assert jws_header["kid"] == client.provider_keys().keys[0].kid
    claims = client.validate_id_token(body["id_token"], flow)
    assert claims["sub"] == "anna"
    assert claims["aud"] == CLIENT_ID
    assert claims["nonce"] == flow.nonce
    assert claims["hetu"] == "010190-900P"
    assert claims["acr"] == ACR_LOA3
    assert claims["exp"] - claims["iat"] == 300
    assert isinstance(claims["auth_time"], int)

    userinfo = client.session.get(
        client.provider.userinfo_endpoint,
        headers={"Authorization": f"Bearer {body['access_token']}"},
        timeout=TIMEOUT,
    )
    assert userinfo.status_code == 200
    assert userinfo.headers["Content-Type"] == "application/jwt"
    _, _, info = client.open_nested(userinfo.text)
    assert info["sub"] == "anna" and info["hetu"] == "010190-900P"
    assert client.provider.refusals == []


def test_issuer_is_accepted_as_client_assertion_audience(client: HonestClient) -> None:
    code, flow = client.login()
    response = client.token(code, flow, assertion=client.assertion(aud=client.provider.issuer))
    assert response.status_code == 200, response.text


def test_client_secret_post_is_refused(client: HonestClient) -> None:
    code, flow = client.login()
    response = client.token(
        code,
        flow,
        client_id=CLIENT_ID,
        client_secret="s3cret",
        client_assertion_type=None,
        client_assertion=None,
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert client.provider.refusals == ["token: client_secret_post not allowed"]


def test_client_secret_basic_is_refused(client: HonestClient) -> None:
    code, flow = client.login()
    response = client.session.post(
        client.provider.token_endpoint,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": flow.verifier,
        },
        auth=(CLIENT_ID, "s3cret"),
        timeout=TIMEOUT,
    )
    assert response.status_code == 401
    assert client.provider.refusals == ["token: client_secret_basic not allowed"]


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"aud": "https://other-op.example/token"}, "client_assertion aud mismatch"),
        ({"lifetime": -10}, "client_assertion expired"),
    ],
)
def test_bad_client_assertion_is_refused(
    client: HonestClient, kwargs: dict[str, Any], reason: str
) -> None:
    code, flow = client.login()
    response = client.token(code, flow, assertion=client.assertion(**kwargs))
    assert response.status_code == 401
    assert client.provider.refusals == [f"token: {reason}"]


def test_client_assertion_signed_by_another_key_is_refused(client: HonestClient) -> None:
    code, flow = client.login()
    response = client.token(code, flow, assertion=client.assertion(key=_other_key()))
    assert response.status_code == 401
    assert client.provider.refusals == ["token: bad client_assertion signature"]


def test_replayed_client_assertion_jti_is_refused(client: HonestClient) -> None:
    jti = secrets.token_urlsafe(16)
    first_code, first_flow = client.login()
    first = client.token(first_code, first_flow, assertion=client.assertion(jti=jti))
    assert first.status_code == 200, first.text

    second_code, second_flow = client.login()
    replay = client.token(second_code, second_flow, assertion=client.assertion(jti=jti))
    assert replay.status_code == 401
    assert replay.json()["error"] == "invalid_client"
    assert client.provider.refusals == ["token: client_assertion jti replayed"]


def test_wrong_pkce_verifier_is_refused(client: HonestClient) -> None:
    code, flow = client.login()
    response = client.token(code, flow, code_verifier=secrets.token_urlsafe(48))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert client.provider.refusals == ["token: PKCE verification failed"]


def test_code_reuse_is_refused_and_revokes_the_access_token(client: HonestClient) -> None:
    code, flow = client.login()
    first = client.token(code, flow)
    assert first.status_code == 200, first.text
    access_token = first.json()["access_token"]

    second = client.token(code, flow)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    assert client.provider.refusals == ["token: code reused"]

    userinfo = client.session.get(
        client.provider.userinfo_endpoint,
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=TIMEOUT,
    )
    assert userinfo.status_code == 401


def test_code_expires_after_its_lifetime(client: HonestClient) -> None:
    code, flow = client.login()
    issued = time.time()
    client.provider.clock = lambda: issued + CODE_LIFETIME + 1
    response = client.token(code, flow, assertion=client.assertion(lifetime=600))
    assert response.status_code == 400
    assert client.provider.refusals == ["token: code expired"]


def test_redirect_uri_must_match_at_token(client: HonestClient) -> None:
    code, flow = client.login()
    response = client.token(code, flow, redirect_uri="http://portal.test/elsewhere")
    assert response.status_code == 400
    assert client.provider.refusals == ["token: redirect_uri mismatch"]


# ---------------------------------------------------------------------- tampering


@pytest.mark.parametrize("kind", sorted(TAMPER_KINDS))
def test_tampered_token_response_is_caught_by_an_honest_client(
    client: HonestClient, kind: str
) -> None:
    client.provider.tamper(kind)
    code, flow = client.login()
    response = client.token(code, flow)
    assert response.status_code == 200, response.text
    with pytest.raises(TokenRejected):
        client.validate_id_token(response.json()["id_token"], flow)
    assert client.provider.applied_tampers == [kind]

    # One shot: the next token response is honest again.
    code, flow = client.login()
    response = client.token(code, flow)
    assert client.validate_id_token(response.json()["id_token"], flow)["sub"] == "anna"


@pytest.mark.parametrize("kind", sorted(USERINFO_TAMPER_KINDS))
def test_tampered_userinfo_is_caught_by_an_honest_client(client: HonestClient, kind: str) -> None:
    code, flow = client.login()
    tokens = client.token(code, flow).json()
    id_claims = client.validate_id_token(tokens["id_token"], flow)
    client.provider.tamper_userinfo(kind)
    userinfo = client.session.get(
        client.provider.userinfo_endpoint,
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=TIMEOUT,
    )
    assert userinfo.status_code == 200
    with pytest.raises(TokenRejected):
        _, _, info = client.open_nested(userinfo.text)
        if info["sub"] != id_claims["sub"]:
            raise TokenRejected("userinfo sub differs from the ID token's")


def test_unknown_tamper_kind_is_rejected(provider: StrictFtnProvider) -> None:
    with pytest.raises(ValueError, match="unknown tamper kind"):
        provider.tamper("nonsense")
