"""Request references: what a customer reads out on the phone to customer service.

Nine digits: eight random ones (the first never 0, so the number keeps its
length in any spreadsheet) and a Luhn check digit, so a mistyped digit or two
swapped neighbours are caught before anything is looked up. Random rather than
a sequence, so a reference tells nothing about how many requests there are;
the table's unique constraint makes it unique across the portal.
"""

from __future__ import annotations

import secrets

from stdnum import luhn

LENGTH = 9


def new_reference() -> str:
    body = str(secrets.randbelow(9 * 10**7) + 10**7)
    return body + luhn.calc_check_digit(body)


def is_reference(value: str) -> bool:
    """Whether ``value`` is shaped like a reference (digits, length, check digit)."""
    return len(value) == LENGTH and value.isascii() and value.isdigit() and luhn.is_valid(value)
