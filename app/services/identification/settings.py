"""The broker's settings and the state kept across the round trip to it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from app.services.identification.errors import BrokerMisconfigured

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
PROFILES = ("plain", "ftn")


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
            timeout=float(config["OIDC_TIMEOUT"]),  # type: ignore[arg-type]
        )

    @property
    def ftn(self) -> bool:
        return self.profile == "ftn"

    def check(self) -> None:
        """Refuse settings that cannot work, before any customer meets them."""
        if not self.issuer:
            raise BrokerMisconfigured("SELFIE_OIDC_ISSUER is not set")
        if self.profile not in PROFILES:
            raise BrokerMisconfigured(f"SELFIE_OIDC_PROFILE must be one of {', '.join(PROFILES)}")
        check_issuer(self.issuer)
        if self.ftn and not (self.signing_key_file and self.encryption_key_file):
            raise BrokerMisconfigured("the FTN profile needs signing and encryption key files")


def check_issuer(issuer: str) -> None:
    """An http issuer is accepted only on loopback; anything else must be https."""
    parts = urlsplit(issuer)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return
    raise BrokerMisconfigured("SELFIE_OIDC_ISSUER must be an https URL (http only on loopback)")


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
