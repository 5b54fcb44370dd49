import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.templatetags.jangteo import brn as brn_format
from suppliers.brn import brn_check_digit, brn_is_valid, brn_normalize

nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


# Worked by hand from the rule (weights 1,3,7,1,3,7,1,3,5, plus the tens of 9th digit x 5):
# 124-81-0099? : 1+6+28+8+3+0+0+27+45 = 118, plus 9*5//10 = 4 -> 122 -> check 8.
KNOWN_VALID = [
    "124-81-00998",
    "101-81-63364",
    "2148712348",
    "1208112342",
    "2208811225",
    "1058700010",
]


def test_known_numbers():
    for number in KNOWN_VALID:
        assert brn_is_valid(number), number
    assert brn_check_digit("124810099") == 8
    assert not brn_is_valid("124-81-00996")
    assert not brn_is_valid("1018163365")
    assert not brn_is_valid("101816336")
    assert not brn_is_valid("")


def test_look_alike_digits_do_not_pass_for_a_number():
    from django.core.exceptions import ValidationError

    from suppliers.brn import validate_brn

    full_width = "１０１-８１-６３３６４"
    assert brn_normalize(full_width) == ""
    with pytest.raises(ValidationError) as error:
        validate_brn(full_width)
    assert error.value.code == "brn_characters"


def test_separators_are_ignored_and_restored():
    assert brn_normalize(" 101-81-63364 ") == "1018163364"
    assert brn_format("1018163364") == "101-81-63364"


@given(nine_digits)
def test_the_computed_check_digit_makes_a_valid_number(first_nine):
    assert brn_is_valid(first_nine + str(brn_check_digit(first_nine)))


@given(nine_digits, st.integers(min_value=1, max_value=9))
def test_any_other_check_digit_is_refused(first_nine, shift):
    wrong = (brn_check_digit(first_nine) + shift) % 10
    assert not brn_is_valid(first_nine + str(wrong))
