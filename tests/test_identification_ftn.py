"""The FTN profile against a strict provider that refuses anything less.

Signed request objects, private_key_jwt, encrypted ID tokens: the provider
in tests/support/ftn_provider.py checks each, and can tamper with its
answers so the portal's validation is proven to refuse them.
"""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import func, select

from app.extensions import db
from app.models import Account
from app.services.identification.broker import PENDING_MAX_AGE_SECONDS
from app.services.identification.discovery import KEYS_REFRESH_INTERVAL_SECONDS
from app.services.identification.keys import generate_key_files, public_jwks
from tests.conftest import (
    PERSONS,
    Registration,
    base_settings,
    english_client,
    make_app,
    refused_by,
)
from tests.support.ftn_provider import run_strict_ftn_provider

CLIENT_ID = "selfie-ftn-test"


@pytest.fixture(scope="module")
def key_files(tmp_path_factory):
    signing, encryption = generate_key_files(tmp_path_factory.mktemp("keys"))
    return str(signing), str(encryption)


@pytest.fixture
def provider(key_files):
    persons = {
        sub: {"hetu": p.code, "given_name": p.given_name, "family_name": p.family_name}
        for sub, p in PERSONS.items()
    }
    persons["no.code"] = {"given_name": "Utan", "family_name": "Kod"}
    with run_strict_ftn_provider(
        client_id=CLIENT_ID, client_jwks=public_jwks(list(key_files)), persons=persons
    ) as running:
        yield running


@pytest.fixture
def ftn_app(tmp_path, provider, key_files):
    settings = base_settings(tmp_path, provider.issuer) | {
        "OIDC_PROFILE": "ftn",
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": "",
        "OIDC_SIGNING_KEY_FILE": key_files[0],
        "OIDC_ENCRYPTION_KEY_FILE": key_files[1],
        "OIDC_SP_NAME": "Selfie JNT",
    }
    return make_app(settings)


class FtnRegistration(Registration):
    def __init__(self, client, provider):
        super().__init__(client)
        self.provider = provider

    def authorize_at_provider(self, authorize_url, sub, deny=False):
        page = requests.get(authorize_url, timeout=5)
        assert page.status_code == 200, page.text
        tx = re.search(r'name="tx" value="([^"]+)"', page.text).group(1)
        data = {"tx": tx, "action": "cancel"} if deny else {"tx": tx, "sub": sub}
        answer = requests.post(
            f"{self.provider.issuer}/authorize/decide", data=data, allow_redirects=False, timeout=5
        )
        assert answer.status_code == 302, answer.text
        return answer.headers["Location"].removeprefix("http://localhost")


@pytest.fixture
def ftn(ftn_app, provider):
    return FtnRegistration(english_client(ftn_app), provider)


def accounts(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Account.id)))


def test_a_full_registration_passes_the_strict_provider(ftn, ftn_app, provider):
    response = ftn.register("anna.andersson", "anna@example.fi")
    assert response.status_code == 303, ftn.client.get("/register/").text
    assert response.headers["Location"].endswith("/account/services")
    assert provider.refusals == []
    assert accounts(ftn_app) == 1


def test_the_authorization_request_is_a_signed_request_object_only(ftn, provider):
    ftn.accept_terms()
    url = ftn.start_identification("bank")
    query = parse_qs(urlsplit(url).query)
    assert set(query) == {"client_id", "response_type", "scope", "request"}
    requests.get(url, timeout=5)
    inner = provider.authorization_requests[-1]
    assert inner["acr_values"] == "http://ftn.ficora.fi/2017/loa2"
    assert inner["ftn_spname"] == "Selfie JNT"
    assert inner["code_challenge_method"] == "S256"
    assert inner["ui_locales"] == "en"


def test_the_token_request_authenticates_with_a_private_key_jwt(ftn, provider):
    ftn.register("anna.andersson", "anna@example.fi")
    token_calls = [r for r in provider.requests_log if r["path"] == "/token"]
    assert len(token_calls) == 1
    form = token_calls[0]["form"]
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assert "client_secret" not in form
    assert not token_calls[0].get("authorization")


def test_the_portal_publishes_its_public_keys(ftn, key_files):
    jwks = ftn.client.get("/.well-known/jwks.json").get_json()
    uses = sorted(key["use"] for key in jwks["keys"])
    assert uses == ["enc", "sig"]
    assert all("d" not in key and "p" not in key for key in jwks["keys"])


@pytest.mark.parametrize(
    ("kind", "check"),
    [
        ("wrong_audience", "claims_aud"),
        ("bad_signature", "signature"),
        ("expired", "claims_exp"),
        ("unencrypted", "not_encrypted"),
        ("wrong_nonce", "claims_nonce"),
        ("missing_nonce", "claims_nonce"),
        ("wrong_issuer", "claims_iss"),
        ("alg_none", "signature"),
        ("wrong_enc_key", "decrypt"),
        ("wrong_acr", "claims_acr"),
        ("foreign_azp", "claims_azp"),
        ("future_iat", "claims_iat"),
        ("unknown_kid", "signature"),
    ],
)
def test_tampered_id_tokens_are_refused_and_create_nothing(ftn, ftn_app, provider, kind, check):
    ftn.accept_terms()
    provider.tamper(kind)
    response = ftn.identify("anna.andersson")
    assert response.headers["Location"].endswith("/register/")
    assert kind in provider.applied_tampers
    assert refused_by(ftn_app) == check
    assert "could not be verified" in ftn.client.get("/register/").text
    assert ftn.client.get("/register/account").status_code == 303
    assert accounts(ftn_app) == 0


def test_cancelling_at_the_strict_provider_returns_to_the_methods(ftn):
    ftn.accept_terms()
    callback = ftn.authorize_at_provider(ftn.start_identification(), None, deny=True)
    ftn.client.get(callback)
    assert "You cancelled the identification" in ftn.client.get("/register/").text


def test_identity_claim_missing_from_the_encrypted_token_is_refused(ftn, ftn_app, provider):
    ftn.accept_terms()
    ftn.identify("no.code")
    assert "did not give us a valid personal identity code" in ftn.client.get("/register/").text
    assert accounts(ftn_app) == 0


def test_a_plain_client_cannot_fool_the_strict_provider(tmp_path, provider):
    """Control: without the FTN profile the same provider refuses us, so the profile is real."""
    app = make_app(base_settings(tmp_path, provider.issuer) | {"OIDC_CLIENT_ID": CLIENT_ID})
    client = english_client(app)
    registration = FtnRegistration(client, provider)
    registration.accept_terms()
    page = requests.get(registration.start_identification(), timeout=5)
    assert page.status_code == 400
    assert "authorize: no request object" in provider.refusals


def test_an_identity_code_given_only_by_userinfo_is_read_from_there(ftn, ftn_app, provider):
    provider.userinfo_only = {"hetu"}
    response = ftn.register("anna.andersson", "anna@example.fi")
    assert response.headers["Location"].endswith("/account/services")
    assert any(r["path"] == "/userinfo" for r in provider.requests_log)
    assert accounts(ftn_app) == 1


@pytest.mark.parametrize(
    ("kind", "check"),
    [
        ("wrong_sub", "userinfo_subject"),
        ("unencrypted", "not_encrypted"),
        ("bad_signature", "signature"),
    ],
)
def test_a_tampered_userinfo_answer_is_refused(ftn, ftn_app, provider, kind, check):
    provider.userinfo_only = {"hetu"}
    provider.tamper_userinfo(kind)
    ftn.accept_terms()
    response = ftn.identify("anna.andersson")
    assert response.headers["Location"].endswith("/register/")
    assert f"userinfo:{kind}" in provider.applied_tampers
    assert refused_by(ftn_app) == check
    assert "could not be verified" in ftn.client.get("/register/").text
    assert accounts(ftn_app) == 0


def test_a_callback_naming_another_issuer_is_refused(ftn, ftn_app):
    """RFC 9207: the iss parameter on the callback must be the broker's own."""
    ftn.accept_terms()
    callback = ftn.authorize_at_provider(ftn.start_identification(), "anna.andersson")
    assert "iss=" in callback
    forged = re.sub(r"iss=[^&]+", "iss=https%3A%2F%2Fevil.example", callback)
    ftn.client.get(forged)
    assert refused_by(ftn_app) == "iss"
    assert "could not be verified" in ftn.client.get("/register/").text
    assert accounts(ftn_app) == 0


def test_a_callback_after_fifteen_minutes_at_the_broker_is_refused(ftn, ftn_app):
    ftn.accept_terms()
    callback = ftn.authorize_at_provider(ftn.start_identification(), "anna.andersson")
    broker = ftn_app.extensions["selfie_broker"]
    started = time.time()
    broker.clock = lambda: started + PENDING_MAX_AGE_SECONDS + 1
    ftn.client.get(callback)
    assert refused_by(ftn_app) == "expired"
    assert "could not be verified" in ftn.client.get("/register/").text
    assert accounts(ftn_app) == 0


# -- header shapes real brokers send (issue 16) ---------------------------------------------
def identify_again(ftn, sub: str = "anna.andersson") -> str:
    """Identify once more in the same browser; where the callback sends the customer."""
    ftn.accept_terms()
    return ftn.identify(sub).headers["Location"]


def jwks_fetches(provider) -> int:
    return sum(1 for r in provider.requests_log if r["path"] == "/jwks")


@pytest.mark.parametrize(
    ("shapes", "cty"),
    [
        pytest.param({"replicated_claims"}, "JWT", id="replicated-iss-aud-sub-and-cty"),
        pytest.param({"replicated_claims"}, None, id="replicated-iss-aud-sub-without-cty"),
        pytest.param(set(), "JWT", id="cty-jwt-only"),
    ],
)
@pytest.mark.parametrize("where", ["id_token", "userinfo"])
def test_standard_jwe_header_shapes_are_accepted(ftn, ftn_app, provider, shapes, cty, where):
    provider.header_shapes = shapes
    provider.jwe_cty = cty
    if where == "userinfo":
        provider.userinfo_only = {"hetu"}
    response = ftn.register("anna.andersson", "anna@example.fi")
    assert response.headers["Location"].endswith("/account/services")
    assert refused_by(ftn_app) is None
    assert accounts(ftn_app) == 1


@pytest.mark.parametrize(
    ("shape", "check"),
    [("unknown_crit", "header_crit"), ("disagreeing_iss", "header_iss")],
)
@pytest.mark.parametrize("where", ["id_token", "userinfo"])
def test_a_critical_extension_or_a_disagreeing_replicated_claim_is_refused(
    ftn, ftn_app, provider, shape, check, where
):
    if where == "userinfo":
        provider.userinfo_only = {"hetu"}
    provider.header_shapes = {"replicated_claims", shape}
    provider.header_shapes_for = {where}
    assert identify_again(ftn).endswith("/register/")
    assert refused_by(ftn_app) == check
    assert "could not be verified" in ftn.client.get("/register/").text
    assert accounts(ftn_app) == 0


def test_a_signing_key_not_yet_in_the_cached_jwks_is_fetched_once(ftn, ftn_app, provider):
    assert identify_again(ftn).endswith("/register/account")
    assert jwks_fetches(provider) == 1
    provider.rotate_signing_key()
    assert identify_again(ftn).endswith("/register/account")
    assert jwks_fetches(provider) == 2
    assert refused_by(ftn_app) is None


def test_a_kid_never_published_is_refused_and_refetches_at_most_once_a_minute(
    ftn, ftn_app, provider
):
    assert identify_again(ftn).endswith("/register/account")
    provider.tamper("unknown_kid")
    assert identify_again(ftn).endswith("/register/")
    assert refused_by(ftn_app) == "signature"
    assert jwks_fetches(provider) == 2  # the cached keys, then one refetch

    provider.rotate_signing_key()  # a real rotation, but within the minute: no refetch yet
    assert identify_again(ftn).endswith("/register/")
    assert jwks_fetches(provider) == 2

    discovery = ftn_app.extensions["selfie_broker"].discovery
    later = time.monotonic() + KEYS_REFRESH_INTERVAL_SECONDS + 1
    discovery.clock = lambda: later
    assert identify_again(ftn).endswith("/register/account")
    assert jwks_fetches(provider) == 3
