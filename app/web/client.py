"""The requesting client as the audit trail records it (behind ProxyFix, the real one)."""

from flask import request

from app.services.accounts.audit import Client


def client_info() -> Client:
    return Client(ip=request.remote_addr or "", user_agent=request.user_agent.string or "")
