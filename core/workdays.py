"""Korean working days, for periods the rules count in them (the standstill after an award).

A working day is a weekday that is not a public holiday of the Republic of Korea, with the
substitute holidays, from the maintained `holidays` library (its data is updated as the
government announces days). Days are Korean days: a period is counted in Asia/Seoul.

A period of N working days after a moment starts on the next day and ends when the N-th
working day ends: at midnight KST after it. So an award at 15:00 on a Friday with a
5-working-day standstill ends at 00:00 on the Saturday a week later, unless a holiday falls
in between, which moves the end one working day further for each.
"""

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

KST = ZoneInfo("Asia/Seoul")


@lru_cache(maxsize=64)
def _holidays_of(year: int) -> frozenset[date]:
    return frozenset(holidays.KR(years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays_of(day.year)


def working_days_after(moment: datetime, days: int) -> datetime:
    """The end (an aware datetime, KST) of `days` full working days after `moment`'s day."""
    if days < 0:
        raise ValueError("a period has no negative length")
    day = moment.astimezone(KST).date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        counted += is_working_day(day)
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=KST)
