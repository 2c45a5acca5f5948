"""What a signed-in person may see: anything not linked to them answers 404, never 403."""

from __future__ import annotations

from flask import abort


def linked_or_404[T](item: T | None) -> T:
    """The scoped query's answer, or 404: another customer's thing looks like nothing at all."""
    if item is None:
        abort(404)
    return item
