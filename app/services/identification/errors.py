"""What can go wrong with an identification, as the web layer needs to tell it apart."""


class BrokerUnavailable(Exception):
    """The broker could not be reached or answered with a server error."""


class BrokerMisconfigured(Exception):
    """The settings cannot work (for instance an http issuer that is not loopback)."""


class IdentificationCancelled(Exception):
    """The customer cancelled at the broker (``error=access_denied``)."""


class IdentificationFailed(Exception):
    """The answer cannot be trusted or used.

    ``reason`` is a short code naming the check that refused (it becomes the
    audit detail), never personal data.
    """

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)
