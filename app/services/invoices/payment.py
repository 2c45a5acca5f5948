"""Finnish payment details as pure functions: reference numbers, IBAN and the virtual bar code.

python-stdnum covers the RF creditor reference (ISO 11649) and IBAN; what it
lacks is the Finnish national reference (viitenumero, 7-3-1 check digit) and
the banks' virtual bar code (virtuaaliviivakoodi, "Pankkiviivakoodi-opas"
version 5.3 of Finanssiala): the 54 digits a customer pastes into an online
bank's payment form so that account, amount, reference and due date are
filled in without typing mistakes.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from stdnum import iban as stdnum_iban
from stdnum import iso11649
from stdnum.exceptions import ValidationError
from stdnum.iso7064 import mod_97_10

WEIGHTS = (7, 3, 1)


class PaymentDetailError(ValueError):
    """A reference, IBAN or amount that cannot be used; ``str()`` says why in plain words."""


def compact(value: str) -> str:
    """Remove the spaces that printed references and IBANs are grouped with."""
    return "".join(value.split()).upper()


def national_check_digit(base: str) -> int:
    """The 7-3-1 check digit of a reference's base digits (weights from the right)."""
    total = sum(int(d) * WEIGHTS[i % 3] for i, d in enumerate(reversed(base)))
    return (10 - total % 10) % 10


def is_national_reference(value: str) -> bool:
    digits = compact(value)
    return (
        digits.isdigit()
        and 4 <= len(digits) <= 20
        and national_check_digit(digits[:-1]) == int(digits[-1])
    )


def validate_reference(value: str) -> str:
    """A Finnish national reference or an RF creditor reference, compacted; else an error."""
    reference = compact(value)
    if reference.startswith("RF"):
        try:
            return iso11649.validate(reference)
        except ValidationError as error:
            raise PaymentDetailError(f"invalid RF creditor reference ({error})") from None
    if not reference.isdigit() or not 4 <= len(reference) <= 20:
        raise PaymentDetailError("a reference has 4-20 digits or starts with RF")
    if not is_national_reference(reference):
        raise PaymentDetailError("the reference's check digit is wrong")
    return reference


def validate_iban(value: str) -> str:
    """An IBAN, compacted; else an error."""
    try:
        return stdnum_iban.validate(value)
    except ValidationError as error:
        raise PaymentDetailError(f"invalid IBAN ({error})") from None


def format_reference(reference: str) -> str:
    """Printed form: national in groups of five from the right, RF in groups of four."""
    if reference.startswith("RF"):
        return iso11649.format(reference)
    digits = reference.lstrip("0")
    head = len(digits) % 5
    groups = [digits[:head]] if head else []
    groups += [digits[i : i + 5] for i in range(head, len(digits), 5)]
    return " ".join(groups)


def format_iban(value: str) -> str:
    return stdnum_iban.format(value)


def virtual_barcode(iban: str, reference: str, amount: Decimal, due: date | None) -> str:
    """The 54-digit virtual bar code: version 4 for a national reference, 5 for RF.

    Layout: version (1), the IBAN's check digits and BBAN (16), euros (6),
    cents (2), then version 4: reserve ``000`` (3) and the reference
    right-aligned (20); version 5: the RF check digits (2) and the reference
    body right-aligned (21); then the due date as YYMMDD (6, zeros when none).
    An amount that does not fit (or is not positive) is given as zeros, as
    the specification says, and the payer fills it in.
    """
    account = compact(iban)
    if not account.startswith("FI") or len(account) != 18:
        raise PaymentDetailError("the virtual bar code needs a Finnish IBAN")
    cents = int((amount * 100).to_integral_value()) if amount > 0 else 0
    if cents > 99_999_999:
        cents = 0
    reference = compact(reference)
    if reference.startswith("RF"):
        version, body = "5", reference[2:4] + reference[4:].rjust(21, "0")
    else:
        version, body = "4", "000" + reference.rjust(20, "0")
    due_part = due.strftime("%y%m%d") if due else "000000"
    code = f"{version}{account[2:]}{cents:08d}{body}{due_part}"
    if len(code) != 54 or not code.isdigit():
        raise PaymentDetailError("the reference does not fit the virtual bar code")
    return code


def national_reference(base: str) -> str:
    """Billing's base digits with their 7-3-1 check digit appended (a national reference)."""
    return f"{base}{national_check_digit(base)}"


def rf_reference(body: str) -> str:
    """The RF creditor reference (ISO 11649) of ``body``: ``RF`` + two check digits + body."""
    return f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}"
