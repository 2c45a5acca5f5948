"""A strict OpenID Connect provider implementing the FTN OIDC profile, for tests.

The Finnish Trust Network (FTN) OIDC profile (Traficom recommendation 213/2023 S)
requires much more than plain OpenID Connect: signed request objects, private_key_jwt
client authentication, PKCE with S256, and ID tokens and userinfo responses that are
signed by the provider and then encrypted to the relying party. This provider refuses
anything less, so the portal's FTN client can be tested against it.

It runs as a real HTTP server on 127.0.0.1 (ephemeral port) in a background thread::

    with run_strict_ftn_provider(client_id=..., client_jwks=..., persons=...) as provider:
        provider.issuer  # "http://127.0.0.1:54321"
        provider.refusals  # short reasons, one per refused request
        provider.tamper("wrong_nonce")  # the NEXT token response misbehaves

Every refusal is appended to ``provider.refusals`` as ``"<endpoint>: <reason>"``, e.g.
``"authorize: no request object"`` or ``"token: client_assertion jti replayed"``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Flask, Response, jsonify, request
from joserfc import jwe, jws
from joserfc.errors import JoseError
from joserfc.jwe import JWERegistry
from joserfc.jwk import RSAKey
from joserfc.registry import HeaderParameter
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

__all__ = [
    "ACR_LOA2",
    "ACR_LOA3",
    "CODE_LIFETIME",
    "HEADER_SHAPES",
    "ID_TOKEN_LIFETIME",
    "TAMPER_KINDS",
    "USERINFO_TAMPER_KINDS",
    "StrictFtnProvider",
    "run_strict_ftn_provider",
]

ACR_LOA2 = "http://ftn.ficora.fi/2017/loa2"
ACR_LOA3 = "http://ftn.ficora.fi/2017/loa3"
ACR_VALUES_SUPPORTED = (ACR_LOA2, ACR_LOA3)

SIG_ALG = "RS256"
JWE_ALG = "RSA-OAEP"
JWE_ENC = "A128CBC-HS256"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

CODE_LIFETIME = 60  # seconds; codes are single use
ID_TOKEN_LIFETIME = 300
ACCESS_TOKEN_LIFETIME = 300
TRANSACTION_LIFETIME = 600  # the identification page's transaction

#: What ``tamper(kind)`` accepts; each makes the NEXT token response misbehave once.
TAMPER_KINDS = frozenset(
    {
        "wrong_audience",  # ID token aud is another client
        "bad_signature",  # inner JWS signed by a key not in /jwks (but with the provider's kid)
        "expired",  # ID token exp in the past
        "unencrypted",  # ID token is a plain signed JWS, not a JWE
        "wrong_nonce",  # ID token nonce differs from the request object's
        "missing_nonce",  # ID token has no nonce
        "wrong_issuer",  # ID token iss is another issuer
        "wrong_acr",  # ID token acr is not the one requested
        "alg_none",  # inner JWT is unsigned (alg none), still encrypted
        "wrong_enc_key",  # JWE encrypted to a key that is not the client's
        "foreign_azp",  # ID token names another client as its authorized party
        "future_iat",  # ID token issued an hour from now
        "unknown_kid",  # inner JWS signed by a key whose kid is not in /jwks, even after a refetch
    }
)
#: What ``header_shapes`` may hold: JWE header shapes real brokers send, applied to every
#: encrypted ID token and userinfo answer while set.
HEADER_SHAPES = frozenset(
    {
        "replicated_claims",  # iss, aud and sub copied into the JWE header (RFC 7519 §5.3)
        "unknown_crit",  # the JWE header marks an extension nobody knows as critical
        "disagreeing_iss",  # the JWE header replicates iss, but another issuer than the claim's
    }
)
#: The extension ``unknown_crit`` marks as critical.
UNKNOWN_CRITICAL = "urn:example:broker-extension"
_JWE_REGISTRY = JWERegistry(
    header_registry={UNKNOWN_CRITICAL: HeaderParameter("an extension for tests", "bool")},
    algorithms=[JWE_ALG, JWE_ENC],
    strict_check_header=False,
)
#: What ``tamper_userinfo(kind)`` accepts; each makes the NEXT userinfo response misbehave.
USERINFO_TAMPER_KINDS = frozenset({"wrong_sub", "unencrypted", "bad_signature"})

_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")
_PKCE_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
_PKCE_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")


@cache
def _generated_key(purpose: str) -> RSAKey:
    """An RSA key per purpose, generated once per process to keep tests fast."""
    use = "enc" if purpose.endswith("enc") else "sig"
    params: dict[str, Any] = {"use": use}
    if use == "sig":
        params["alg"] = SIG_ALG
    return RSAKey.generate_key(2048, params, auto_kid=True)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    if not _B64URL.match(text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _s256(verifier: str) -> str:
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _aud_matches(aud: object, accepted: set[str]) -> bool:
    if isinstance(aud, str):
        return aud in accepted
    if isinstance(aud, list) and aud and all(isinstance(a, str) for a in aud):
        return any(a in accepted for a in aud)
    return False


def _pick_client_key(client_jwks: dict, use: str) -> RSAKey:
    keys = [k for k in client_jwks.get("keys", []) if k.get("use") == use]
    if len(keys) != 1:
        raise ValueError(f"client_jwks must hold exactly one key with use={use!r}")
    data = dict(keys[0])
    if data.get("kty") != "RSA":
        raise ValueError(f"the client's {use} key must be an RSA key")
    for private_member in ("d", "p", "q", "dp", "dq", "qi"):
        data.pop(private_member, None)  # only ever hold the public half
    key = RSAKey.import_key(data)
    key.ensure_kid()  # RFC 7638 thumbprint when the JWKS gives no kid
    return key


class _Refused(Exception):  # noqa: N818 - a control-flow signal, not an error
    def __init__(self, reason: str, status: int = 400, error: str = "invalid_request"):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.error = error


@dataclass
class _Transaction:
    params: dict[str, Any]
    expires_at: float


@dataclass
class _Code:
    value: str
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str
    acr: str
    scope: str
    sub: str
    auth_time: int
    expires_at: float


@dataclass
class _AccessToken:
    sub: str
    client_id: str
    code: str
    expires_at: float


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass
class StrictFtnProvider:
    client_id: str
    client_jwks: dict
    persons: dict[str, dict]
    issuer: str = ""
    #: Short reasons, one appended per refused request: "<endpoint>: <reason>".
    refusals: list[str] = field(default_factory=list)
    #: Every request received: {"method", "path", "args", "form", "authorization"}.
    requests_log: list[dict[str, Any]] = field(default_factory=list)
    #: The claims of every request object that passed validation, in order.
    authorization_requests: list[dict[str, Any]] = field(default_factory=list)
    #: ui_locales of the last valid authorization request (None when not given).
    last_ui_locales: str | None = None
    #: If non-empty, redirect_uri must be one of these (otherwise any absolute http(s) URI).
    redirect_uris: list[str] = field(default_factory=list)
    #: The time source (seconds since the epoch); replace it to move time without sleeping.
    clock: Callable[[], float] = time.time
    #: Set by tamper(); consumed by the next token response.
    pending_tamper: str | None = None
    #: Set by tamper_userinfo(); consumed by the next userinfo response.
    pending_userinfo_tamper: str | None = None
    #: Tamper kinds that have been applied, in order.
    applied_tampers: list[str] = field(default_factory=list)
    #: Claims left out of ID tokens and given only by /userinfo (as some brokers do).
    userinfo_only: set[str] = field(default_factory=set)
    #: The provider's signing key (private); /jwks publishes its public half.
    signing_key: RSAKey = field(default_factory=lambda: _generated_key("provider-sig"))
    #: Signing keys replaced by ``rotate_signing_key``; /jwks still publishes them.
    retired_keys: list[RSAKey] = field(default_factory=list)
    #: JWE header shapes applied while set (see HEADER_SHAPES) ...
    header_shapes: set[str] = field(default_factory=set)
    #: ... to these answers: "id_token", "userinfo" or both.
    header_shapes_for: set[str] = field(default_factory=lambda: {"id_token", "userinfo"})
    #: The JWE header's ``cty`` (None leaves it out).
    jwe_cty: str | None = "JWT"

    def __post_init__(self) -> None:
        self.client_sig_key = _pick_client_key(self.client_jwks, "sig")
        self.client_enc_key = _pick_client_key(self.client_jwks, "enc")
        self._lock = threading.RLock()
        self._transactions: dict[str, _Transaction] = {}
        self._codes: dict[str, _Code] = {}
        self._used_codes: set[str] = set()
        self._access_tokens: dict[str, _AccessToken] = {}
        self._seen_jtis: set[str] = set()
        self.app = self._build_app()

    # ------------------------------------------------------------------ public helpers

    @property
    def authorization_endpoint(self) -> str:
        return f"{self.issuer}/authorize"

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/token"

    @property
    def userinfo_endpoint(self) -> str:
        return f"{self.issuer}/userinfo"

    @property
    def jwks_uri(self) -> str:
        return f"{self.issuer}/jwks"

    @property
    def public_jwks(self) -> dict[str, Any]:
        with self._lock:
            keys = [self.signing_key, *self.retired_keys]
        return {"keys": [key.as_dict(private=False) for key in keys]}

    def rotate_signing_key(self) -> RSAKey:
        """Sign with a new key (new kid) from now on; /jwks publishes it next to the old ones."""
        key = RSAKey.generate_key(2048, {"use": "sig", "alg": SIG_ALG}, auto_kid=True)
        with self._lock:
            self.retired_keys.append(self.signing_key)
            self.signing_key = key
        return key

    def tamper(self, kind: str) -> None:
        """Make the NEXT token response misbehave once (see TAMPER_KINDS)."""
        if kind not in TAMPER_KINDS:
            raise ValueError(f"unknown tamper kind {kind!r}; one of {sorted(TAMPER_KINDS)}")
        with self._lock:
            self.pending_tamper = kind

    def tamper_userinfo(self, kind: str) -> None:
        """Make the NEXT userinfo response misbehave once (see USERINFO_TAMPER_KINDS)."""
        if kind not in USERINFO_TAMPER_KINDS:
            raise ValueError(
                f"unknown userinfo tamper kind {kind!r}; one of {sorted(USERINFO_TAMPER_KINDS)}"
            )
        with self._lock:
            self.pending_userinfo_tamper = kind

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.authorization_endpoint,
            "token_endpoint": self.token_endpoint,
            "userinfo_endpoint": self.userinfo_endpoint,
            "jwks_uri": self.jwks_uri,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "scopes_supported": ["openid", "profile"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": [SIG_ALG],
            "request_object_signing_alg_values_supported": [SIG_ALG],
            "request_parameter_supported": True,
            "request_uri_parameter_supported": False,
            "require_request_uri_registration": False,
            "id_token_signing_alg_values_supported": [SIG_ALG],
            "id_token_encryption_alg_values_supported": [JWE_ALG],
            "id_token_encryption_enc_values_supported": [JWE_ENC],
            "userinfo_signing_alg_values_supported": [SIG_ALG],
            "userinfo_encryption_alg_values_supported": [JWE_ALG],
            "userinfo_encryption_enc_values_supported": [JWE_ENC],
            "acr_values_supported": list(ACR_VALUES_SUPPORTED),
            "code_challenge_methods_supported": ["S256"],
            "ui_locales_supported": ["fi", "sv", "en"],
            "claims_parameter_supported": False,
            "authorization_response_iss_parameter_supported": True,
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "acr",
                "hetu",
                "given_name",
                "family_name",
                "name",
                "birthdate",
            ],
        }

    # ------------------------------------------------------------------ internals

    def _now(self) -> float:
        return self.clock()

    def _refuse(self, where: str, reason: str) -> None:
        with self._lock:
            self.refusals.append(f"{where}: {reason}")

    def _log_request(self) -> None:
        entry = {
            "method": request.method,
            "path": request.path,
            "args": request.args.to_dict(flat=True),
            "form": request.form.to_dict(flat=True) if request.method == "POST" else {},
            "authorization": request.headers.get("Authorization"),
        }
        with self._lock:
            self.requests_log.append(entry)

    def _verify_client_jwt(self, token: str, what: str) -> dict[str, Any]:
        """Verify a compact JWS signed RS256 by the client's sig key; return its claims."""
        parts = token.split(".")
        if len(parts) == 5:
            raise _Refused(f"{what} is encrypted (not supported)")
        if len(parts) != 3:
            raise _Refused(f"malformed {what}")
        try:
            header = json.loads(_b64url_decode(parts[0]))
        except ValueError:
            raise _Refused(f"malformed {what}") from None
        if not isinstance(header, dict):
            raise _Refused(f"malformed {what}")
        alg = header.get("alg")
        if alg is None or str(alg).lower() == "none" or not parts[2]:
            raise _Refused(f"unsigned {what} (alg none)")
        if alg != SIG_ALG:
            raise _Refused(f"{what} alg {alg} not allowed")
        kid = header.get("kid")
        if kid is not None and kid != self.client_sig_key.kid:
            raise _Refused(f"{what} signed with unknown kid")
        try:
            obj = jws.deserialize_compact(token, self.client_sig_key, algorithms=[SIG_ALG])
        except (JoseError, ValueError):
            raise _Refused(f"bad {what} signature") from None
        try:
            claims = json.loads(obj.payload or b"")
        except ValueError:
            raise _Refused(f"malformed {what} payload") from None
        if not isinstance(claims, dict):
            raise _Refused(f"malformed {what} payload")
        now = self._now()
        if "exp" not in claims:
            raise _Refused(f"{what} missing exp")
        if not _is_number(claims["exp"]):
            raise _Refused(f"{what} invalid exp")
        if claims["exp"] <= now:
            raise _Refused(f"{what} expired")
        if "nbf" in claims and (not _is_number(claims["nbf"]) or claims["nbf"] > now):
            raise _Refused(f"{what} not yet valid (nbf)")
        if "iat" in claims and (not _is_number(claims["iat"]) or claims["iat"] > now + 5):
            raise _Refused(f"{what} iat in the future")
        return claims

    def _sign(self, claims: dict[str, Any], key: RSAKey | None = None, kid: str = "") -> str:
        key = key or self.signing_key
        header = {"alg": SIG_ALG, "typ": "JWT", "kid": kid or self.signing_key.kid}
        payload = json.dumps(claims, separators=(",", ":"), ensure_ascii=False)
        return jws.serialize_compact(header, payload, key, algorithms=[SIG_ALG])

    def _encrypt(
        self, inner: str, claims: dict[str, Any], what: str, key: RSAKey | None = None
    ) -> str:
        key = key or self.client_enc_key
        header: dict[str, Any] = {"alg": JWE_ALG, "enc": JWE_ENC, "kid": self.client_enc_key.kid}
        if self.jwe_cty:
            header["cty"] = self.jwe_cty
        unknown = set(self.header_shapes) - HEADER_SHAPES
        if unknown:
            raise ValueError(f"unknown header shapes {sorted(unknown)}; see HEADER_SHAPES")
        shapes = self.header_shapes if what in self.header_shapes_for else set()
        if "replicated_claims" in shapes:
            header.update({name: claims[name] for name in ("iss", "aud", "sub")})
        if "disagreeing_iss" in shapes:
            header["iss"] = "https://evil.example"
        if "unknown_crit" in shapes:
            header.update({"crit": [UNKNOWN_CRITICAL], UNKNOWN_CRITICAL: True})
        return jwe.encrypt_compact(header, inner, key, registry=_JWE_REGISTRY)

    # ------------------------------------------------------------------ authorize

    def _validate_authorization_request(self) -> dict[str, Any]:
        if "request_uri" in request.args:
            raise _Refused("request_uri not supported")
        token = request.args.get("request", "")
        if not token:
            raise _Refused("no request object")
        claims = self._verify_client_jwt(token, "request object")
        if claims.get("iss") != self.client_id:
            raise _Refused("request object iss mismatch")
        if not _aud_matches(claims.get("aud"), {self.issuer}):
            raise _Refused("request object aud mismatch")
        if "request" in claims or "request_uri" in claims:
            raise _Refused("request object must not nest request/request_uri")

        query_client_id = request.args.get("client_id")
        if not query_client_id:
            raise _Refused("query client_id missing")
        if query_client_id != claims.get("client_id"):
            raise _Refused("query client_id mismatch")

        for name in (
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
        ):
            value = claims.get(name)
            if not isinstance(value, str) or not value.strip():
                raise _Refused(f"missing {name}")

        if claims["client_id"] != self.client_id:
            raise _Refused("unknown client_id")
        if claims["response_type"] != "code":
            raise _Refused("invalid response_type")
        if "openid" not in claims["scope"].split():
            raise _Refused("invalid scope (openid missing)")
        if claims["code_challenge_method"] != "S256":
            raise _Refused("invalid code_challenge_method")
        if not _PKCE_CHALLENGE.match(claims["code_challenge"]):
            raise _Refused("invalid code_challenge")
        acrs = claims["acr_values"].split()
        if not acrs or any(acr not in ACR_VALUES_SUPPORTED for acr in acrs):
            raise _Refused("invalid acr_values")
        redirect_uri = claims["redirect_uri"]
        parts = urlsplit(redirect_uri)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
            raise _Refused("invalid redirect_uri")
        if self.redirect_uris and redirect_uri not in self.redirect_uris:
            raise _Refused("unregistered redirect_uri")

        # OAuth parameters repeated in the query must agree with the request object.
        q_response_type = request.args.get("response_type")
        if q_response_type is not None and q_response_type != claims["response_type"]:
            raise _Refused("query response_type mismatch")
        q_scope = request.args.get("scope")
        if q_scope is not None and "openid" not in q_scope.split():
            raise _Refused("query scope mismatch")
        for name in ("redirect_uri", "state", "nonce", "code_challenge"):
            if name in request.args and request.args[name] != claims[name]:
                raise _Refused(f"query {name} mismatch")

        ui_locales = claims.get("ui_locales", request.args.get("ui_locales"))
        if ui_locales is not None and not isinstance(ui_locales, str):
            raise _Refused("invalid ui_locales")
        params = dict(claims)
        params["ui_locales"] = ui_locales
        params["acr"] = acrs[0]
        return params

    def _authorize(self) -> Response:
        try:
            params = self._validate_authorization_request()
        except _Refused as refusal:
            self._refuse("authorize", refusal.reason)
            return _html_page(
                "Refused",
                f"<h1>Request refused</h1><p id='reason'>{html.escape(refusal.reason)}</p>",
                status=400,
            )
        tx = secrets.token_urlsafe(24)
        with self._lock:
            self.authorization_requests.append(params)
            self.last_ui_locales = params["ui_locales"]
            self._transactions[tx] = _Transaction(params, self._now() + TRANSACTION_LIFETIME)
        buttons = "\n".join(
            f'<li><button type="submit" name="sub" value="{html.escape(sub)}">'
            f"{html.escape(_display_name(sub, claims))}</button></li>"
            for sub, claims in self.persons.items()
        )
        body = (
            "<h1>Test identification</h1>"
            f"<p>Service: <span id='spname'>{html.escape(params['ftn_spname'])}</span></p>"
            f'<form method="post" action="/authorize/decide">'
            f'<input type="hidden" name="tx" value="{tx}">'
            f"<ul>{buttons}</ul>"
            '<button type="submit" name="action" value="cancel">Cancel</button>'
            "</form>"
        )
        lang = (params["ui_locales"] or "en").split()[0]
        return _html_page("Test identification", body, lang=lang)

    def _decide(self) -> Response:
        tx = request.form.get("tx", "")
        with self._lock:
            transaction = self._transactions.pop(tx, None)
        if transaction is None or transaction.expires_at <= self._now():
            self._refuse("decide", "unknown or expired transaction")
            return _html_page("Refused", "<p>Unknown or expired transaction</p>", status=400)
        params = transaction.params
        if request.form.get("action") == "cancel":
            return _redirect(
                params["redirect_uri"],
                {"error": "access_denied", "state": params["state"], "iss": self.issuer},
            )
        sub = request.form.get("sub", "")
        if sub not in self.persons:
            self._refuse("decide", "unknown person")
            return _html_page("Refused", "<p>Unknown person</p>", status=400)
        code = secrets.token_urlsafe(32)
        now = self._now()
        with self._lock:
            self._codes[code] = _Code(
                value=code,
                client_id=params["client_id"],
                redirect_uri=params["redirect_uri"],
                code_challenge=params["code_challenge"],
                nonce=params["nonce"],
                acr=params["acr"],
                scope=params["scope"],
                sub=sub,
                auth_time=int(now),
                expires_at=now + CODE_LIFETIME,
            )
        return _redirect(
            params["redirect_uri"], {"code": code, "state": params["state"], "iss": self.issuer}
        )

    # ------------------------------------------------------------------ token

    def _authenticate_client(self) -> str:
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("basic"):
            raise _Refused("client_secret_basic not allowed", 401, "invalid_client")
        if "client_secret" in request.form:
            raise _Refused("client_secret_post not allowed", 401, "invalid_client")
        if request.form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
            raise _Refused("client_assertion_type missing or wrong", 401, "invalid_client")
        assertion = request.form.get("client_assertion", "")
        if not assertion:
            raise _Refused("client_assertion missing", 401, "invalid_client")
        try:
            claims = self._verify_client_jwt(assertion, "client_assertion")
        except _Refused as refusal:
            raise _Refused(refusal.reason, 401, "invalid_client") from None
        if claims.get("iss") != self.client_id:
            raise _Refused("client_assertion iss mismatch", 401, "invalid_client")
        if claims.get("sub") != self.client_id:
            raise _Refused("client_assertion sub mismatch", 401, "invalid_client")
        if not _aud_matches(claims.get("aud"), {self.token_endpoint, self.issuer}):
            raise _Refused("client_assertion aud mismatch", 401, "invalid_client")
        form_client_id = request.form.get("client_id")
        if form_client_id is not None and form_client_id != self.client_id:
            raise _Refused("client_id mismatch", 401, "invalid_client")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise _Refused("client_assertion jti missing", 401, "invalid_client")
        with self._lock:
            if jti in self._seen_jtis:
                raise _Refused("client_assertion jti replayed", 401, "invalid_client")
            self._seen_jtis.add(jti)
        return self.client_id

    def _redeem_code(self, client_id: str) -> _Code:
        if request.form.get("grant_type") != "authorization_code":
            raise _Refused("unsupported grant_type", 400, "unsupported_grant_type")
        code_value = request.form.get("code", "")
        if not code_value:
            raise _Refused("code missing")
        with self._lock:
            code = self._codes.pop(code_value, None)
            if code is None:
                if code_value in self._used_codes:
                    # RFC 6749 4.1.2: revoke what the code already produced.
                    for token, info in list(self._access_tokens.items()):
                        if info.code == code_value:
                            del self._access_tokens[token]
                    raise _Refused("code reused", 400, "invalid_grant")
                raise _Refused("unknown code", 400, "invalid_grant")
            self._used_codes.add(code_value)  # any attempt consumes the code
        if code.expires_at <= self._now():
            raise _Refused("code expired", 400, "invalid_grant")
        if code.client_id != client_id:
            raise _Refused("code issued to another client", 400, "invalid_grant")
        if request.form.get("redirect_uri") != code.redirect_uri:
            raise _Refused("redirect_uri mismatch", 400, "invalid_grant")
        verifier = request.form.get("code_verifier", "")
        if not verifier:
            raise _Refused("code_verifier missing", 400, "invalid_grant")
        if not _PKCE_VERIFIER.match(verifier):
            raise _Refused("code_verifier malformed", 400, "invalid_grant")
        if not secrets.compare_digest(_s256(verifier), code.code_challenge):
            raise _Refused("PKCE verification failed", 400, "invalid_grant")
        return code

    def _token(self) -> Response:
        try:
            client_id = self._authenticate_client()
            code = self._redeem_code(client_id)
        except _Refused as refusal:
            self._refuse("token", refusal.reason)
            return _oauth_error(refusal)
        now = int(self._now())
        with self._lock:
            tamper_kind, self.pending_tamper = self.pending_tamper, None
            if tamper_kind:
                self.applied_tampers.append(tamper_kind)
        claims: dict[str, Any] = {
            **{k: v for k, v in self.persons[code.sub].items() if k not in self.userinfo_only},
            "iss": self.issuer,
            "sub": code.sub,
            "aud": client_id,
            "exp": now + ID_TOKEN_LIFETIME,
            "iat": now,
            "auth_time": code.auth_time,
            "nonce": code.nonce,
            "acr": code.acr,
        }
        id_token = self._build_id_token(claims, tamper_kind)
        access_token = secrets.token_urlsafe(32)
        with self._lock:
            self._access_tokens[access_token] = _AccessToken(
                sub=code.sub,
                client_id=client_id,
                code=code.value,
                expires_at=now + ACCESS_TOKEN_LIFETIME,
            )
        response = jsonify(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": ACCESS_TOKEN_LIFETIME,
                "scope": code.scope,
                "id_token": id_token,
            }
        )
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
        return response

    def _build_id_token(self, claims: dict[str, Any], tamper_kind: str | None) -> str:
        sign_key: RSAKey | None = None
        enc_key: RSAKey | None = None
        match tamper_kind:
            case "wrong_audience":
                claims["aud"] = "someone-else"
            case "bad_signature":
                sign_key = _generated_key("rogue-sig")
            case "expired":
                claims["iat"] = claims["iat"] - 2 * ID_TOKEN_LIFETIME
                claims["auth_time"] = claims["iat"]
                claims["exp"] = claims["iat"] + ID_TOKEN_LIFETIME
            case "wrong_nonce":
                claims["nonce"] = secrets.token_urlsafe(16)
            case "missing_nonce":
                del claims["nonce"]
            case "wrong_issuer":
                claims["iss"] = "https://evil.example"
            case "foreign_azp":
                claims["azp"] = "someone-else"
            case "future_iat":
                claims["iat"] = claims["iat"] + 3600
                claims["exp"] = claims["iat"] + ID_TOKEN_LIFETIME
            case "wrong_acr":
                claims["acr"] = ACR_LOA2 if claims["acr"] == ACR_LOA3 else ACR_LOA3
            case "wrong_enc_key":
                enc_key = RSAKey.import_key(_generated_key("rogue-enc").as_dict(private=False))
            case "unknown_kid":
                sign_key = _generated_key("unpublished-sig")
        if tamper_kind == "alg_none":
            header = {"alg": "none", "typ": "JWT"}
            inner = (
                _b64url(json.dumps(header).encode())
                + "."
                + _b64url(json.dumps(claims).encode())
                + "."
            )
        else:
            kid = sign_key.kid if tamper_kind == "unknown_kid" and sign_key else ""
            inner = self._sign(claims, sign_key, kid)
        if tamper_kind == "unencrypted":
            return inner
        return self._encrypt(inner, claims, "id_token", enc_key)

    # ------------------------------------------------------------------ userinfo

    def _userinfo(self) -> Response:
        auth = request.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        if "access_token" in request.args or "access_token" in request.form:
            return self._userinfo_refused("access_token outside the Authorization header")
        if scheme.lower() != "bearer" or not token.strip():
            return self._userinfo_refused("no bearer token")
        with self._lock:
            info = self._access_tokens.get(token.strip())
        if info is None:
            return self._userinfo_refused("unknown access token")
        if info.expires_at <= self._now():
            return self._userinfo_refused("access token expired")
        with self._lock:
            tamper_kind, self.pending_userinfo_tamper = self.pending_userinfo_tamper, None
            if tamper_kind:
                self.applied_tampers.append(f"userinfo:{tamper_kind}")
        claims = {
            **self.persons[info.sub],
            "iss": self.issuer,
            "aud": info.client_id,
            "sub": info.sub,
        }
        sign_key = None
        if tamper_kind == "wrong_sub":
            claims["sub"] = "someone-else"
        elif tamper_kind == "bad_signature":
            sign_key = _generated_key("rogue-sig")
        body = self._sign(claims, sign_key)
        if tamper_kind != "unencrypted":
            body = self._encrypt(body, claims, "userinfo")
        return Response(body, 200, {"Content-Type": "application/jwt", "Cache-Control": "no-store"})

    def _userinfo_refused(self, reason: str) -> Response:
        self._refuse("userinfo", reason)
        response = jsonify({"error": "invalid_token", "error_description": reason})
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response

    # ------------------------------------------------------------------ app

    def _build_app(self) -> Flask:
        app = Flask(__name__)
        app.before_request(self._log_request)
        app.add_url_rule(
            "/.well-known/openid-configuration",
            "configuration",
            lambda: jsonify(self.metadata()),
        )
        app.add_url_rule("/jwks", "jwks", lambda: jsonify(self.public_jwks))
        app.add_url_rule("/authorize", "authorize", self._authorize, methods=["GET"])
        app.add_url_rule("/authorize/decide", "decide", self._decide, methods=["POST"])
        app.add_url_rule("/token", "token", self._token, methods=["POST"])
        app.add_url_rule("/userinfo", "userinfo", self._userinfo, methods=["GET", "POST"])
        return app


def _display_name(sub: str, claims: dict) -> str:
    name = " ".join(str(claims[k]) for k in ("given_name", "family_name") if claims.get(k))
    return f"{name or sub} ({sub})"


def _html_page(title: str, body: str, status: int = 200, lang: str = "en") -> Response:
    page = (
        f'<!doctype html><html lang="{html.escape(lang)}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body>{body}</body></html>"
    )
    return Response(page, status, {"Content-Type": "text/html; charset=utf-8"})


def _redirect(redirect_uri: str, params: dict[str, str]) -> Response:
    parts = urlsplit(redirect_uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    location = urlunsplit(parts._replace(query=urlencode(query)))
    return Response("", 302, {"Location": location, "Cache-Control": "no-store"})


def _oauth_error(refusal: _Refused) -> Response:
    response = jsonify({"error": refusal.error, "error_description": refusal.reason})
    response.status_code = refusal.status
    response.headers["Cache-Control"] = "no-store"
    if refusal.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_client"'
    return response


@contextmanager
def run_strict_ftn_provider(
    *, client_id: str, client_jwks: dict, persons: dict[str, dict]
) -> Iterator[StrictFtnProvider]:
    """Run a StrictFtnProvider on 127.0.0.1 (ephemeral port) for the duration of the block."""
    provider = StrictFtnProvider(client_id=client_id, client_jwks=client_jwks, persons=persons)
    server: BaseWSGIServer = make_server(
        "127.0.0.1", 0, provider.app, threaded=True, request_handler=_QuietHandler
    )
    provider.issuer = f"http://127.0.0.1:{server.port}"
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.02},  # how fast shutdown() is noticed, not a startup wait
        name="strict-ftn-provider",
        daemon=True,
    )
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
