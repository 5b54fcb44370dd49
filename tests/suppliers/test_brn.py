from hypothesis import given
from hypothesis import strategies as st

from suppliers.brn import brn_check_digit, brn_format, brn_is_valid, brn_normalize

nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


def test_known_numbers():
    assert brn_is_valid("101-81-63364")
    assert brn_is_valid("2148712348")
    assert not brn_is_valid("1018163365")
    assert not brn_is_valid("101816336")
    assert not brn_is_valid("")


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
