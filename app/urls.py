"""Same-site redirect targets: the ``next`` parameter may only point inside the portal."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a local path (``/account/services?x=1``), else None.

    Refuses absolute URLs, scheme-relative ``//host`` paths, backslash tricks
    that browsers normalise to ``//`` and anything with control characters.
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
