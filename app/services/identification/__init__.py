"""Strong identification through an OpenID Connect broker of the Finnish Trust Network.

Plain Python: no ``request`` and no ``session``. The web layer keeps the
pending request and the result in the registration record.
"""

from app.services.identification.broker import (
    Broker,
    BrokerUnavailable,
    IdentificationCancelled,
    IdentificationFailed,
    PendingIdentification,
)
from app.services.identification.claims import Identified
from app.services.identification.methods import Method, load_methods

__all__ = [
    "Broker",
    "BrokerUnavailable",
    "IdentificationCancelled",
    "IdentificationFailed",
    "Identified",
    "Method",
    "PendingIdentification",
    "load_methods",
]
