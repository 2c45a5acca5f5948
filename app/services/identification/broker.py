"""OpenID Connect client for the identification broker (plain OIDC and the FTN profile).

Authlib builds the authorization request (PKCE S256, state, nonce) and
exchanges the code; joserfc decrypts and validates the ID token. With the
FTN profile (Traficom recommendation 213/2023 S) the client authenticates
with ``private_key_jwt``, sends a signed request object and accepts only
encrypted ID tokens.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc import jwe, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from app.services.identification.claims import ClaimError, Identified, map_claims
from app.services.identification.keys import load_private_key
from app.services.identification.methods import Method

SIGNING_ALGORITHMS = ["RS256", "PS256", "ES256"]
ENCRYPTION_ALGORITHMS = ["RSA-OAEP", "RSA-OAEP-256", "A128CBC-HS256", "A256CBC-HS512", "A256GCM"]
CLOCK_LEEWAY_SECONDS = 60
#: How long an identification may take at the broker before the callback is refused.
PENDING_MAX_AGE_SECONDS = 15 * 60
METADATA_TTL_SECONDS = 3600
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
PROFILES = ("plain", "ftn")
#: A signature that fails with cached keys refetches them at most this often.
KEYS_REFRESH_INTERVAL_SECONDS = 60


class BrokerUnavailable(Exception):
    """The broker could not be reached or answered with a server error."""


class IdentificationCancelled(Exception):
    """The customer cancelled at the broker (``error=access_denied``)."""


class IdentificationFailed(Exception):
    """The answer cannot be trusted or used. ``reason`` is a short code, never personal data."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class BrokerMisconfigured(Exception):
    """The settings cannot work (for instance an http issuer that is not loopback)."""


@dataclass(frozen=True)
class BrokerConfig:
    issuer: str
    client_id: str
    client_secret: str
    identity_claim: str
    identity_key: str
    allow_temporary: bool
    profile: str = "plain"
    signing_key_file: str = ""
    encryption_key_file: str = ""
    sp_name: str = "Selfie"
    timeout: float = 10

    @classmethod
    def from_settings(cls, config: Mapping[str, object]) -> BrokerConfig:
        return cls(
            issuer=str(config["OIDC_ISSUER"]).rstrip("/"),
            client_id=str(config["OIDC_CLIENT_ID"]),
            client_secret=str(config.get("OIDC_CLIENT_SECRET") or ""),
            identity_claim=str(config["OIDC_IDENTITY_CLAIM"]),
            identity_key=str(config["IDENTITY_KEY"]),
            allow_temporary=bool(config["IDENTITY_ALLOW_TEMPORARY"]),
            profile=str(config["OIDC_PROFILE"]),
            signing_key_file=str(config.get("OIDC_SIGNING_KEY_FILE") or ""),
            encryption_key_file=str(config.get("OIDC_ENCRYPTION_KEY_FILE") or ""),
            sp_name=str(config["OIDC_SP_NAME"]),
            timeout=float(config["OIDC_TIMEOUT"]),
        )

    @property
    def ftn(self) -> bool:
        return self.profile == "ftn"


@dataclass(frozen=True)
class PendingIdentification:
    """What must survive the round trip to the broker, kept server-side only."""

    state: str
    nonce: str
    code_verifier: str
    method: str
    started_at: int
    #: The assurance levels asked for (``acr_values``); the answer must be one of them.
    acr_values: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["acr_values"] = list(self.acr_values)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> PendingIdentification:
        return cls(
            state=str(data["state"]),
            nonce=str(data["nonce"]),
            code_verifier=str(data["code_verifier"]),
            method=str(data["method"]),
            started_at=int(data["started_at"]),  # type: ignore[arg-type]
            acr_values=tuple(str(v) for v in data.get("acr_values") or ()),  # type: ignore[union-attr]
        )


class _Cache:
    """Discovery documents and key sets, per URL, refreshed hourly or on demand."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, tuple[float, dict]] = {}

    def get(self, url: str, fetch, *, refresh: bool = False) -> dict:
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(url)
        if hit and hit[0] > now and not refresh:
            return hit[1]
        value = fetch(url)
        with self._lock:
            self._items[url] = (now + METADATA_TTL_SECONDS, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_cache = _Cache()
_last_forced_refresh: dict[str, float] = {}


def _refresh_allowed(url: str) -> bool:
    now = time.monotonic()
    if now - _last_forced_refresh.get(url, float("-inf")) < KEYS_REFRESH_INTERVAL_SECONDS:
        return False
    _last_forced_refresh[url] = now
    return True


def clear_cache() -> None:
    """Forget discovery documents and key sets (tests start each provider afresh)."""
    _cache.clear()
    _last_forced_refresh.clear()


def check_issuer(issuer: str) -> None:
    """An http issuer is accepted only on loopback; anything else must be https."""
    parts = urlsplit(issuer)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return
    raise BrokerMisconfigured("SELFIE_OIDC_ISSUER must be an https URL (http only on loopback)")


class Broker:
    """One identification round trip: :meth:`start`, then :meth:`finish` on the callback."""

    def __init__(self, config: BrokerConfig, http: requests.Session | None = None):
        if not config.issuer:
            raise BrokerMisconfigured("SELFIE_OIDC_ISSUER is not set")
        if config.profile not in PROFILES:
            raise BrokerMisconfigured(f"SELFIE_OIDC_PROFILE must be one of {', '.join(PROFILES)}")
        check_issuer(config.issuer)
        if config.ftn and not (config.signing_key_file and config.encryption_key_file):
            raise BrokerMisconfigured("the FTN profile needs signing and encryption key files")
        self.config = config
        self.http = http or requests.Session()

    # -- discovery -------------------------------------------------------
    def _get_json(self, url: str) -> dict:
        try:
            response = self.http.get(url, timeout=self.config.timeout)
        except requests.RequestException as error:
            raise BrokerUnavailable(f"GET {url}: {type(error).__name__}") from None
        if response.status_code >= 500:
            raise BrokerUnavailable(f"GET {url}: HTTP {response.status_code}")
        try:
            response.raise_for_status()
            return response.json()
        except (requests.HTTPError, ValueError):
            raise BrokerUnavailable(f"GET {url}: unusable answer") from None

    def metadata(self) -> dict:
        url = f"{self.config.issuer}/.well-known/openid-configuration"
        document = _cache.get(url, self._get_json)
        if str(document.get("issuer", "")).rstrip("/") != self.config.issuer:
            raise BrokerUnavailable("discovery document names another issuer")
        return document

    @property
    def issuer(self) -> str:
        """The issuer exactly as the broker spells it (tokens must carry this value)."""
        return str(self.metadata()["issuer"])

    def _provider_keys(self, refresh: bool = False) -> KeySet:
        jwks = _cache.get(self.metadata()["jwks_uri"], self._get_json, refresh=refresh)
        try:
            return KeySet.import_key_set(jwks)
        except (JoseError, ValueError, KeyError):
            raise BrokerUnavailable("provider keys unusable") from None

    # -- the round trip ---------------------------------------------------
    def _client(self, redirect_uri: str) -> OAuth2Session:
        if self.config.ftn:
            key = load_private_key(self.config.signing_key_file)
            client = OAuth2Session(
                self.config.client_id,
                key,
                redirect_uri=redirect_uri,
                scope="openid profile",
                code_challenge_method="S256",
                token_endpoint_auth_method="private_key_jwt",  # noqa: S106 - a method name
            )
            client.register_client_auth_method(
                PrivateKeyJWT(self.metadata()["token_endpoint"], headers={"kid": key.kid})
            )
        else:
            client = OAuth2Session(
                self.config.client_id,
                self.config.client_secret,
                redirect_uri=redirect_uri,
                scope="openid profile",
                code_challenge_method="S256",
            )
        return client

    def start(
        self, method: Method, redirect_uri: str, locale: str
    ) -> tuple[str, PendingIdentification]:
        """The URL to send the customer to, and what to remember until the callback."""
        endpoint = self.metadata()["authorization_endpoint"]
        pending = PendingIdentification(
            state=generate_token(43),
            nonce=generate_token(43),
            code_verifier=generate_token(64),
            method=method.id,
            started_at=int(time.time()),
            acr_values=tuple(method.params.get("acr_values", "").split()),
        )
        extra = {"nonce": pending.nonce, "ui_locales": locale, **method.params}
        if self.config.ftn:
            extra["ftn_spname"] = self.config.sp_name
        client = self._client(redirect_uri)
        url, _ = client.create_authorization_url(
            endpoint, state=pending.state, code_verifier=pending.code_verifier, **extra
        )
        if self.config.ftn:
            url = self._with_request_object(endpoint, url)
        return url, pending

    def _with_request_object(self, endpoint: str, url: str) -> str:
        """Move every parameter into a signed request object (RFC 9101)."""
        params = dict(parse_qsl(urlsplit(url).query))
        now = int(time.time())
        claims = {
            **params,
            "iss": self.config.client_id,
            "aud": self.issuer,
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "jti": secrets.token_urlsafe(24),
        }
        key = load_private_key(self.config.signing_key_file)
        header = {"alg": "RS256", "kid": key.kid, "typ": "oauth-authz-req+jwt"}
        request_object = jwt.encode(header, claims, key)
        outer = {
            "client_id": self.config.client_id,
            "response_type": "code",
            "scope": params.get("scope", "openid"),
            "request": request_object,
        }
        return f"{endpoint}?{urlencode(outer)}"

    def finish(
        self, params: Mapping[str, str], pending: PendingIdentification, redirect_uri: str
    ) -> Identified:
        """Check the callback, exchange the code and validate the ID token."""
        if not params.get("state") or not secrets.compare_digest(
            str(params.get("state")), pending.state
        ):
            raise IdentificationFailed("state")
        if params.get("iss") and str(params["iss"]) != self.issuer:
            raise IdentificationFailed("iss")  # RFC 9207: the answer names another issuer
        if time.time() - pending.started_at > PENDING_MAX_AGE_SECONDS:
            raise IdentificationFailed("expired")
        if params.get("error") == "access_denied":
            raise IdentificationCancelled()
        if params.get("error"):
            raise IdentificationFailed("broker_error")
        if not params.get("code"):
            raise IdentificationFailed("code")
        token = self._exchange(str(params["code"]), pending, redirect_uri)
        claims = self._validate_id_token(token.get("id_token"), pending.nonce)
        self._check_acr(claims, pending)
        if self.config.identity_claim not in claims and token.get("access_token"):
            claims = {**self._userinfo(str(token["access_token"]), claims["sub"]), **claims}
        try:
            return map_claims(
                claims,
                claim_name=self.config.identity_claim,
                key=self.config.identity_key,
                allow_temporary=self.config.allow_temporary,
            )
        except ClaimError as error:
            raise IdentificationFailed(f"claim_{error.reason}") from None

    def _exchange(self, code: str, pending: PendingIdentification, redirect_uri: str) -> dict:
        client = self._client(redirect_uri)
        try:
            return dict(
                client.fetch_token(
                    self.metadata()["token_endpoint"],
                    code=code,
                    code_verifier=pending.code_verifier,
                    timeout=self.config.timeout,
                )
            )
        except requests.RequestException as error:
            raise BrokerUnavailable(f"token endpoint: {type(error).__name__}") from None
        except AuthlibBaseError:
            raise IdentificationFailed("token_refused") from None
        except ValueError:
            raise IdentificationFailed("token_refused") from None
        finally:
            client.close()

    def _decrypt(self, value: str) -> str:
        key = load_private_key(self.config.encryption_key_file)
        try:
            decrypted = jwe.decrypt_compact(value, key, algorithms=ENCRYPTION_ALGORITHMS)
            return decrypted.plaintext.decode()
        except (JoseError, ValueError, UnicodeDecodeError):
            raise IdentificationFailed("decrypt") from None

    def _verify(self, value: str) -> dict:
        """Verify a JWS against the provider's keys, refetching them once (key rotation).

        A forced refetch happens at most once a minute, so a stream of bad
        signatures cannot make the portal hammer the broker's JWKS endpoint.
        """
        for refresh in (False, True):
            if refresh and not _refresh_allowed(self.metadata()["jwks_uri"]):
                break
            try:
                keys = self._provider_keys(refresh)
                return dict(jwt.decode(value, keys, algorithms=SIGNING_ALGORITHMS).claims)
            except (JoseError, ValueError):
                continue
        raise IdentificationFailed("signature")

    def _validate_id_token(self, id_token: object, nonce: str) -> dict:
        if not isinstance(id_token, str) or not id_token:
            raise IdentificationFailed("id_token_missing")
        if self.config.ftn:
            if id_token.count(".") != 4:
                raise IdentificationFailed("not_encrypted")
            id_token = self._decrypt(id_token)
        claims = self._verify(id_token)
        registry = JWTClaimsRegistry(
            leeway=CLOCK_LEEWAY_SECONDS,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.config.client_id},
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
        if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != self.config.client_id:
            raise IdentificationFailed("claims_azp")
        return claims

    def _check_acr(self, claims: dict, pending: PendingIdentification) -> None:
        """The assurance level answered must be one asked for (required in the FTN profile)."""
        if not pending.acr_values:
            return
        acr = claims.get("acr")
        if acr is None and not self.config.ftn:
            return  # some plain brokers do not echo acr; FTN brokers must
        if acr not in pending.acr_values:
            raise IdentificationFailed("claims_acr")

    def _userinfo(self, access_token: str, subject: str) -> dict:
        endpoint = self.metadata().get("userinfo_endpoint")
        if not endpoint:
            return {}
        try:
            response = self.http.get(
                endpoint,
                headers={"Authorization": f"Bearer {access_token}"},
                timeout=self.config.timeout,
            )
        except requests.RequestException:
            raise BrokerUnavailable("userinfo endpoint") from None
        if response.status_code != 200:
            raise IdentificationFailed("userinfo")
        if response.headers.get("Content-Type", "").startswith("application/jwt"):
            body = response.text.strip()
            if self.config.ftn:
                if body.count(".") != 4:
                    raise IdentificationFailed("not_encrypted")
                body = self._decrypt(body)
            claims = self._verify(body)
            if claims.get("iss", self.issuer) != self.issuer or claims.get(
                "aud", self.config.client_id
            ) not in (self.config.client_id, [self.config.client_id]):
                raise IdentificationFailed("userinfo_claims")
        elif self.config.ftn:
            raise IdentificationFailed("not_encrypted")
        else:
            try:
                claims = response.json()
            except ValueError:
                raise IdentificationFailed("userinfo") from None
        if not isinstance(claims, dict):
            raise IdentificationFailed("userinfo")
        if claims.get("sub") != subject:
            raise IdentificationFailed("userinfo_subject")
        return claims
