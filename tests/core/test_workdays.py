"""Korean working days: weekends and public holidays (substitutes included) do not count."""

from datetime import date, datetime

import pytest

from core.workdays import KST, is_working_day, working_days_after


def kst(*args) -> datetime:
    return datetime(*args, tzinfo=KST)


def test_weekends_and_holidays_are_not_working_days():
    assert is_working_day(date(2027, 3, 2))  # a Tuesday
    assert not is_working_day(date(2027, 3, 6))  # a Saturday
    assert not is_working_day(date(2027, 3, 1))  # 삼일절
    assert not is_working_day(date(2027, 2, 9))  # 설날 substitute holiday
    assert not is_working_day(date(2026, 10, 5))  # 개천절 substitute holiday


def test_five_working_days_after_a_friday_end_a_week_later_at_midnight():
    assert working_days_after(kst(2027, 3, 5, 15, 0), 5) == kst(2027, 3, 13)


def test_a_holiday_in_the_period_moves_its_end():
    # the award on Friday 2027-02-05; 설날 6-9 Feb (the 9th a substitute) does not count
    assert working_days_after(kst(2027, 2, 5, 10, 0), 5) == kst(2027, 2, 17)


def test_days_are_counted_in_korea():
    # 23:30 UTC on a Thursday is already Friday in Seoul
    assert working_days_after(datetime.fromisoformat("2027-03-04T23:30:00+00:00"), 1) == kst(
        2027, 3, 9
    )


def test_zero_days_end_with_the_day_itself():
    assert working_days_after(kst(2027, 3, 5, 9, 0), 0) == kst(2027, 3, 6)


def test_negative_periods_are_refused():
    with pytest.raises(ValueError, match="negative"):
        working_days_after(kst(2027, 3, 5), -1)
