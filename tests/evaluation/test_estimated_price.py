"""The estimated price of a qualification review: its arithmetic holds for any reserve
prices and any picks (hypothesis), and the tie rule is the documented one."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bidding.reserve_prices import reserve_prices_draw
from evaluation.estimated_price import estimated_price, floor_amount, most_picked, pick_counts

FLOOR = Decimal("87.745")
bases = st.integers(min_value=1_000_000, max_value=10**12)
picks = st.lists(st.integers(1, 15), min_size=2, max_size=2, unique=True).map(sorted)


@st.composite
def lots(draw):
    base = draw(bases)
    prices = reserve_prices_draw(base, count=15, range_pct=Decimal(2))
    return base, prices, draw(st.lists(picks, max_size=60))


@given(lots(), st.randoms())
def test_the_order_of_the_bids_never_matters(lot, random):
    _, prices, bids = lot
    shuffled = list(bids)
    random.shuffle(shuffled)
    first = estimated_price(prices, bids, chosen=4, floor_rate_pct=FLOOR)
    assert estimated_price(prices, shuffled, chosen=4, floor_rate_pct=FLOOR) == first


@given(lots())
def test_the_estimate_lies_within_the_reserve_range(lot):
    base, prices, bids = lot
    result = estimated_price(prices, bids, chosen=4, floor_rate_pct=FLOOR)
    assert min(prices) <= result.estimated <= max(prices)
    assert base * Decimal("0.98") - 1 <= result.estimated <= base * Decimal("1.02")
    chosen_prices = [prices[n - 1] for n in result.chosen]
    assert result.estimated == sum(chosen_prices) // 4  # rounded down to the won
    assert sum(chosen_prices) / 4 - result.estimated < 1


@given(lots())
def test_the_chosen_are_the_most_picked_and_ties_go_to_the_lower_number(lot):
    _, prices, bids = lot
    result = estimated_price(prices, bids, chosen=4, floor_rate_pct=FLOOR)
    counts = result.pick_counts
    assert sum(counts.values()) == 2 * len(bids)
    assert len(result.chosen) == 4
    for inside in result.chosen:
        for outside in set(counts) - set(result.chosen):
            assert (counts[inside], -inside) > (counts[outside], -outside)


@given(st.integers(1, 10**13), st.decimals(min_value=50, max_value=100, places=3))
def test_the_floor_is_the_lowest_whole_won_within_range(estimated, rate):
    floor = floor_amount(estimated, rate)
    exact = Fraction(estimated) * Fraction(rate) / 100
    assert floor >= exact
    assert floor - 1 < exact


def test_a_worked_tie():
    # numbers 2, 5 and 9 are each picked three times, 7 and 11 twice: 2, 5, 9 and then 7
    counts = pick_counts([[2, 5], [2, 9], [5, 9], [2, 7], [5, 9], [7, 11], [11, 12]], count=15)
    assert most_picked(counts, chosen=4) == [2, 5, 7, 9]


def test_nobody_picking_takes_the_first_numbers():
    assert most_picked(pick_counts([], count=15), chosen=4) == [1, 2, 3, 4]


def test_a_bid_within_range_and_outside_it():
    prices = [100_000_000] * 15
    result = estimated_price(prices, [[1, 2]], chosen=4, floor_rate_pct=FLOOR)
    assert (result.estimated, result.floor) == (100_000_000, 87_745_000)
    assert result.within(87_745_000)
    assert result.within(100_000_000)
    assert not result.within(87_744_999)
    assert not result.within(100_000_001)


def test_a_pick_outside_the_numbers_is_an_error():
    with pytest.raises(ValueError, match="between 1 and 15"):
        pick_counts([[0, 3]], count=15)
