"""The desk tests' fixtures (defined with their helpers in tests/support/staff.py and
tests/support/security.py)."""

from tests.support.security import (  # noqa: F401  (fixtures pytest finds by name)
    build,
    member,
    quick_hashing,
)
from tests.support.staff import staff_clock  # noqa: F401
