"""The security tests' fixtures (defined with their helpers in tests/support/security.py)."""

from tests.support.security import (  # noqa: F401  (fixtures pytest finds by name)
    anna,
    build,
    clock,
    member,
    quick_hashing,
)
