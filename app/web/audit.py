"""The audit trail as the web layer writes it: the client comes from the request.

Views name the event and its details only; where the request came from
(behind ProxyFix, the real address) is filled in here, once. The CLI and
services call ``audit.record`` with the client they know.
"""

from flask import request

from app.services.accounts import audit


def current_client() -> audit.Client:
    """The requesting client as the audit trail records it."""
    return audit.Client(ip=request.remote_addr or "", user_agent=request.user_agent.string or "")


def audit_event(event: audit.Event, **details) -> None:
    """Record ``event`` for the current request; ``details`` as ``audit.record`` takes them."""
    audit.record(event, current_client(), **details)
