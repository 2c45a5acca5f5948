"""The identification round trip with the OpenID Connect broker (plain OIDC and FTN).

Authlib builds the authorization request (PKCE S256, state, nonce) and
exchanges the code; :mod:`tokens` opens and checks what comes back, and
:mod:`discovery` caches the broker's metadata and keys. With the FTN
profile (Traficom recommendation 213/2023 S) the client authenticates with
``private_key_jwt``, sends a signed request object and accepts only
encrypted ID tokens and userinfo answers.

``create_app`` builds one :class:`Broker` per app (see :func:`init_app`);
views ask for it with :func:`current_broker`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc import jwt

from app.services.identification import tokens
from app.services.identification.claims import ClaimError, Identified, map_claims
from app.services.identification.discovery import Discovery
from app.services.identification.errors import (
    BrokerUnavailable,
    IdentificationCancelled,
    IdentificationFailed,
)
from app.services.identification.keys import load_private_key
from app.services.identification.methods import Method
from app.services.identification.settings import BrokerConfig, PendingIdentification

#: How long an identification may take at the broker before the callback is refused.
PENDING_MAX_AGE_SECONDS = 15 * 60


class Broker:
    """One identification round trip: :meth:`start`, then :meth:`finish` on the callback.

    ``clock`` (seconds since the epoch) is injectable so tests move time
    without patching the ``time`` module.
    """

    def __init__(
        self,
        config: BrokerConfig,
        http: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
    ):
        config.check()
        self.config = config
        self.http = http or requests.Session()
        self.clock = clock
        self.discovery = Discovery(config.issuer, self.http, config.timeout)

    @property
    def issuer(self) -> str:
        return self.discovery.issuer

    def close(self) -> None:
        """Close the kept-alive connections to the broker."""
        self.http.close()

    def _decryption_key(self):
        return load_private_key(self.config.encryption_key_file) if self.config.ftn else None

    def _client(self, redirect_uri: str) -> OAuth2Session:
        if not self.config.ftn:
            return OAuth2Session(
                self.config.client_id,
                self.config.client_secret,
                redirect_uri=redirect_uri,
                scope="openid profile",
                code_challenge_method="S256",
            )
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
            PrivateKeyJWT(self.discovery.metadata()["token_endpoint"], headers={"kid": key.kid})
        )
        return client

    def start(
        self, method: Method, redirect_uri: str, locale: str
    ) -> tuple[str, PendingIdentification]:
        """The URL to send the customer to, and what to remember until the callback."""
        endpoint = self.discovery.metadata()["authorization_endpoint"]
        pending = PendingIdentification(
            state=generate_token(43),
            nonce=generate_token(43),
            code_verifier=generate_token(64),
            method=method.id,
            started_at=int(self.clock()),
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
        now = int(self.clock())
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
        outer = {
            "client_id": self.config.client_id,
            "response_type": "code",
            "scope": params.get("scope", "openid"),
            "request": jwt.encode(header, claims, key),
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
        if self.clock() - pending.started_at > PENDING_MAX_AGE_SECONDS:
            raise IdentificationFailed("expired")
        if params.get("error") == "access_denied":
            raise IdentificationCancelled()
        if params.get("error"):
            raise IdentificationFailed("broker_error")
        if not params.get("code"):
            raise IdentificationFailed("code")
        token = self._exchange(str(params["code"]), pending, redirect_uri)
        claims = self._id_token_claims(token.get("id_token"), pending)
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
                    self.discovery.metadata()["token_endpoint"],
                    code=code,
                    code_verifier=pending.code_verifier,
                    timeout=self.config.timeout,
                )
            )
        except requests.RequestException as error:
            raise BrokerUnavailable(f"token endpoint: {type(error).__name__}") from None
        except (AuthlibBaseError, ValueError):
            raise IdentificationFailed("token_refused") from None
        finally:
            client.close()

    def _id_token_claims(self, id_token: object, pending: PendingIdentification) -> dict:
        if not isinstance(id_token, str) or not id_token:
            raise IdentificationFailed("id_token_missing")
        claims = tokens.open_token(id_token, self.discovery.key_sets(), self._decryption_key())
        tokens.validate_id_token_claims(
            claims,
            issuer=self.issuer,
            client_id=self.config.client_id,
            nonce=pending.nonce,
            now=int(self.clock()),
        )
        tokens.check_acr(claims, pending.acr_values, required=self.config.ftn)
        return claims

    def _userinfo(self, access_token: str, subject: str) -> dict:
        endpoint = self.discovery.metadata().get("userinfo_endpoint")
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
        signed = response.headers.get("Content-Type", "").startswith("application/jwt")
        if signed:
            body = response.text.strip()
            claims: object = tokens.open_token(
                body, self.discovery.key_sets(), self._decryption_key()
            )
        elif self.config.ftn:
            raise IdentificationFailed("not_encrypted")
        else:
            try:
                claims = response.json()
            except ValueError:
                raise IdentificationFailed("userinfo") from None
        return tokens.validate_userinfo_claims(
            claims,
            issuer=self.issuer,
            client_id=self.config.client_id,
            subject=subject,
            signed=signed,
        )
