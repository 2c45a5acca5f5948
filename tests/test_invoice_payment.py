"""References, IBAN and the virtual bar code against the banks' published examples.

The examples are the nine test invoices of Finanssiala's "Pankkiviivakoodi-opas"
(Bank Bar Code Guide), version 5.3, for symbol version 4 (national reference)
and version 5 (RF creditor reference).
"""

from datetime import date
from decimal import Decimal

import pytest

from app.services.invoices.payment import (
    PaymentDetailError,
    format_reference,
    is_national_reference,
    validate_iban,
    validate_reference,
    virtual_barcode,
)

# (IBAN, amount, reference, due date, virtual bar code) — symbol version 4.
VERSION_4 = [
    ("FI79 4405 2020 0360 82", "4883.15", "86851 62596 19897", date(2010, 6, 12),
     "479440520200360820048831500000000868516259619897100612"),
    ("FI58 1017 1000 0001 22", "482.99", "55958 22432 94671", date(2012, 1, 31),
     "458101710000001220004829900000000559582243294671120131"),
    ("FI02 5000 4640 0013 02", "693.80", "69 87567 20834 35364", date(2011, 7, 24),
     "402500046400013020006938000000069875672083435364110724"),
    ("FI15 6601 0001 5306 41", "7444.54", "7 75847 47906 47489", date(2019, 12, 19),
     "415660100015306410074445400000007758474790647489191219"),
    ("FI16 8000 1400 0502 67", "935.85", "78 77767 96566 28687", None,
     "416800014000502670009358500000078777679656628687000000"),
    ("FI73 3131 3001 0000 58", "0.00", "8 68624", date(2013, 8, 9),
     "473313130010000580000000000000000000000000868624130809"),
    ("FI83 3301 0001 1007 75", "150000.20", "92125 37425 25398 97737", date(2016, 5, 25),
     "483330100011007751500002000092125374252539897737160525"),
    ("FI39 3636 3002 0924 92", "1.03", "5907 38390", date(2023, 3, 11),
     "439363630020924920000010300000000000000590738390230311"),
    ("FI92 3939 0001 0033 91", "0.02", "13 57914", date(2099, 12, 24),
     "492393900010033910000000200000000000000001357914991224"),
]  # fmt: skip

# The same invoices with RF creditor references — symbol version 5.
VERSION_5 = [
    ("FI79 4405 2020 0360 82", "4883.15", "RF09 8685 1625 9619 897", date(2010, 6, 12),
     "579440520200360820048831509000000868516259619897100612"),
    ("FI58 1017 1000 0001 22", "482.99", "RF06 5595 8224 3294 671", date(2010, 1, 31),
     "558101710000001220004829906000000559582243294671100131"),
    ("FI02 5000 4640 0013 02", "693.80", "RF61 6987 5672 0839", date(2011, 7, 24),
     "502500046400013020006938061000000000698756720839110724"),
    ("FI15 6601 0001 5306 41", "7444.54", "RF84 7758 4747 9064 7489", date(2019, 12, 19),
     "515660100015306410074445484000007758474790647489191219"),
    ("FI16 8000 1400 0502 67", "935.85", "RF60 7877 7679 6566 2868 7", None,
     "516800014000502670009358560000078777679656628687000000"),
    ("FI73 3131 3001 0000 58", "0.00", "RF10 8686 24", date(2013, 8, 9),
     "573313130010000580000000010000000000000000868624130809"),
    ("FI83 3301 0001 1007 75", "150000.20", "RF71 9212 5374 2525 3989 7737", date(2016, 5, 25),
     "583330100011007751500002071092125374252539897737160525"),
    ("FI39 3636 3002 0924 92", "1.03", "RF66 5907 3839 0", date(2023, 3, 11),
     "539363630020924920000010366000000000000590738390230311"),
    ("FI92 3939 0001 0033 91", "0.02", "RF95 1357 914", date(2099, 12, 24),
     "592393900010033910000000295000000000000001357914991224"),
]  # fmt: skip


@pytest.mark.parametrize(("iban", "amount", "reference", "due", "expected"), VERSION_4)
def test_version_4_matches_the_guides_examples(iban, amount, reference, due, expected):
    code = virtual_barcode(validate_iban(iban), validate_reference(reference), Decimal(amount), due)
    assert code == expected
    assert len(code) == 54


@pytest.mark.parametrize(("iban", "amount", "reference", "due", "expected"), VERSION_5)
def test_version_5_matches_the_guides_examples(iban, amount, reference, due, expected):
    code = virtual_barcode(validate_iban(iban), validate_reference(reference), Decimal(amount), due)
    assert code == expected


@pytest.mark.parametrize("reference", [r[2] for r in VERSION_4] + ["1232", "12345 67907"])
def test_the_guides_national_references_have_valid_check_digits(reference):
    assert is_national_reference(reference)


@pytest.mark.parametrize(
    ("reference", "reason"),
    [
        ("86851 62596 19898", "check digit"),  # last digit changed
        ("1231", "check digit"),
        ("123", "4-20 digits"),
        ("1234567890123456789012", "4-20 digits"),
        ("12A45", "4-20 digits"),
        ("RF10 8686 25", "RF creditor reference"),
        ("RF", "RF creditor reference"),
    ],
)
def test_a_bad_reference_is_refused_with_a_reason(reference, reason):
    with pytest.raises(PaymentDetailError, match=reason):
        validate_reference(reference)


@pytest.mark.parametrize("iban", ["FI79 4405 2020 0360 83", "FI79 4405", "XX00 1234", "hello"])
def test_a_malformed_iban_is_refused(iban):
    with pytest.raises(PaymentDetailError, match="invalid IBAN"):
        validate_iban(iban)


def test_a_foreign_iban_has_no_virtual_barcode():
    with pytest.raises(PaymentDetailError, match="Finnish IBAN"):
        virtual_barcode("SE4550000000058398257466", "1232", Decimal("1"), None)


def test_an_amount_too_large_for_the_code_is_left_for_the_payer():
    code = virtual_barcode("FI7944052020036082", "1232", Decimal("1000000.00"), None)
    assert code[17:25] == "00000000"


@pytest.mark.parametrize(
    ("reference", "printed"),
    [("868516259619897", "86851 62596 19897"), ("1232", "1232"), ("RF108686 24", "RF10 8686 24")],
)
def test_references_print_in_the_banks_groups(reference, printed):
    assert format_reference(compact_ref(reference)) == printed


def compact_ref(value: str) -> str:
    return "".join(value.split())
