"""The broker's discovery document and signing keys, cached by the app's broker.

Each app owns one :class:`Discovery` (through its broker), so a fresh app
starts with a fresh cache and nothing is shared between tests or apps.
Several request threads use it at once: the cache and the refetch
throttle change only under a lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import requests
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from app.services.identification.errors import BrokerUnavailable

METADATA_TTL_SECONDS = 3600
#: A signature that fails with cached keys refetches them at most this often.
KEYS_REFRESH_INTERVAL_SECONDS = 60


class Discovery:
    """Discovery document and JWKS of one issuer, refreshed hourly or on demand."""

    def __init__(
        self,
        issuer: str,
        http: requests.Session,
        timeout: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.issuer_url = issuer
        self.http = http
        self.timeout = timeout
        self.clock = clock
        self._lock = threading.Lock()
        self._items: dict[str, tuple[float, dict]] = {}
        self._last_refetch: float | None = None

    def get_json(self, url: str) -> dict:
        """GET a JSON document; an unreachable or failing broker is :class:`BrokerUnavailable`."""
        try:
            response = self.http.get(url, timeout=self.timeout)
        except requests.RequestException as error:
            raise BrokerUnavailable(f"GET {url}: {type(error).__name__}") from None
        if response.status_code >= 500:
            raise BrokerUnavailable(f"GET {url}: HTTP {response.status_code}")
        try:
            response.raise_for_status()
            return response.json()
        except (requests.HTTPError, ValueError):
            raise BrokerUnavailable(f"GET {url}: unusable answer") from None

    def _cached(self, url: str, *, refresh: bool = False) -> dict:
        now = self.clock()
        with self._lock:
            hit = self._items.get(url)
        if hit and hit[0] > now and not refresh:
            return hit[1]
        value = self.get_json(url)  # outside the lock: a slow broker must not queue every thread
        with self._lock:
            self._items[url] = (now + METADATA_TTL_SECONDS, value)
        return value

    def metadata(self) -> dict:
        """The discovery document; it must name the configured issuer."""
        document = self._cached(f"{self.issuer_url}/.well-known/openid-configuration")
        if str(document.get("issuer", "")).rstrip("/") != self.issuer_url:
            raise BrokerUnavailable("discovery document names another issuer")
        return document

    @property
    def issuer(self) -> str:
        """The issuer exactly as the broker spells it (tokens must carry this value)."""
        return str(self.metadata()["issuer"])

    def _keys(self, refresh: bool) -> KeySet:
        jwks = self._cached(self.metadata()["jwks_uri"], refresh=refresh)
        try:
            return KeySet.import_key_set(jwks)
        except (JoseError, ValueError, KeyError):
            raise BrokerUnavailable("provider keys unusable") from None

    def _refetch_allowed(self) -> bool:
        now = self.clock()
        with self._lock:
            if self._last_refetch is not None and (
                now - self._last_refetch < KEYS_REFRESH_INTERVAL_SECONDS
            ):
                return False
            self._last_refetch = now
            return True

    def key_sets(self) -> Iterator[KeySet]:
        """The cached keys, then (if a signature failed with them) the keys fetched anew.

        The refetch (key rotation at the broker) happens at most once a
        minute, so a stream of bad signatures cannot make the portal hammer
        the broker's JWKS endpoint.
        """
        yield self._keys(refresh=False)
        if self._refetch_allowed():
            yield self._keys(refresh=True)
