"""Korean business registration numbers (사업자등록번호): ten digits, the last a check digit.

The check digit: multiply the first nine digits by 1, 3, 7, 1, 3, 7, 1, 3, 5 and sum; add
the tens digit of (ninth digit × 5); the check digit is (10 − sum mod 10) mod 10.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


def brn_normalize(value: str) -> str:
    """`101-81-63364` or `101 81 63364` -> `1018163364`: only the ASCII digits are kept, so a
    number written with look-alike digits (full-width ０-９) cannot pass for another."""
    return re.sub(r"[^0-9]", "", value or "")


def brn_check_digit(first_nine: str) -> int:
    digits = [int(c) for c in first_nine]
    total = sum(d * w for d, w in zip(digits, WEIGHTS, strict=True)) + digits[8] * 5 // 10
    return (10 - total % 10) % 10


def brn_is_valid(value: str) -> bool:
    digits = brn_normalize(value)
    return len(digits) == 10 and brn_check_digit(digits[:9]) == int(digits[9])


def validate_brn(value: str) -> None:
    if re.search(r"[^0-9 -]", value or ""):
        raise ValidationError(
            _("Write the business registration number with the digits 0-9 (and dashes)."),
            code="brn_characters",
        )
    digits = brn_normalize(value)
    if len(digits) != 10:
        raise ValidationError(
            _("A business registration number has ten digits."), code="brn_length"
        )
    if not brn_is_valid(digits):
        raise ValidationError(
            _("This business registration number is not valid (its check digit does not match)."),
            code="brn_check",
        )
