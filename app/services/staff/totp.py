"""The staff's second factor: RFC 6238 time-based codes (pyotp) and their QR code (segno).

A code is accepted for the current 30-second step and one step either side
(clocks drift), and a step once used is never accepted again: the caller
stores the step returned by :func:`matching_step` and passes it back as
``last_step``.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
import segno

#: Steps either side of now that still count (phone clocks drift, people type slowly).
DRIFT_STEPS = 1
CODE_DIGITS = 6


def new_secret() -> str:
    """A random base32 secret of 160 bits (RFC 4226's recommended length)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_data_uri(uri: str) -> str:
    """The QR code of ``uri`` as an SVG ``data:`` URI: an ``<img>`` the CSP allows."""
    return segno.make(uri, error="m").svg_data_uri(scale=4, border=4)


def grouped(secret: str) -> str:
    """``ABCDEFGH…`` → ``ABCD EFGH …``: easier to read aloud and to type by hand."""
    return " ".join(secret[index : index + 4] for index in range(0, len(secret), 4))


def matching_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to, or None: wrong, too old, or already used."""
    code = "".join(code.split())
    if len(code) != CODE_DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        expected = totp.generate_otp(step)
        if hmac.compare_digest(expected, code) and (last_step is None or step > last_step):
            return step
    return None
