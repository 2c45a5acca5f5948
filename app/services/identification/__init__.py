"""Strong identification through an OpenID Connect broker of the Finnish Trust Network.

Plain Python: no ``request`` and no ``session``. The web layer keeps the
pending request and the result in the registration record.

``settings`` (configuration, pending state), ``discovery`` (the broker's
metadata and keys, cached), ``tokens`` (decrypt → verify → validate claims,
pure functions) and ``broker`` (the round trip) keep each concern apart.
"""

from app.services.identification.broker import Broker
from app.services.identification.claims import Identified
from app.services.identification.errors import (
    BrokerMisconfigured,
    BrokerUnavailable,
    IdentificationCancelled,
    IdentificationFailed,
)
from app.services.identification.methods import Method, load_methods
from app.services.identification.settings import BrokerConfig, PendingIdentification

__all__ = [
    "Broker",
    "BrokerConfig",
    "BrokerMisconfigured",
    "BrokerUnavailable",
    "IdentificationCancelled",
    "IdentificationFailed",
    "Identified",
    "Method",
    "PendingIdentification",
    "load_methods",
]
