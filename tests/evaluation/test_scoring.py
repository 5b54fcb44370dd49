"""Score formulas: bounded, monotone where they should be, exact at the documented points,
and rounded once to four decimals (hypothesis for the properties)."""

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from evaluation.scoring import (
    best_value_price_score,
    best_value_total,
    criterion_mean,
    qualification_price_score,
    qualification_score,
    rounded,
    technical_score,
)

MAX, MIN = Decimal(30), Decimal(2)
amounts = st.integers(min_value=1, max_value=10**12)
scores = st.decimals(min_value=0, max_value=20, places=2)


def price(amount, estimated):
    return qualification_price_score(amount, estimated, price_max=MAX, price_min=MIN)


def test_the_price_score_is_full_at_88_percent_and_falls_two_points_a_point():
    assert price(88_000_000, 100_000_000) == Decimal("30.0000")
    assert price(87_745_000, 100_000_000) == Decimal("29.4900")
    assert price(90_000_000, 100_000_000) == Decimal("26.0000")
    assert price(100_000_000, 100_000_000) == Decimal("6.0000")
    assert price(50_000_000, 100_000_000) == MIN  # never below the minimum


@given(amounts, amounts)
def test_the_price_score_stays_within_its_bounds(amount, estimated):
    assert MIN <= price(amount, estimated) <= MAX


@given(st.integers(880, 10_000), st.integers(1, 500))
def test_above_88_percent_a_higher_bid_never_scores_more(permille, step):
    estimated = 1_000_000_000
    low = estimated * permille // 1000
    assert price(low + step, estimated) <= price(low, estimated)


def test_a_bid_passes_at_the_pass_mark_and_fails_below_it():
    common = {"amount": 88_000_000, "estimated": 100_000_000, "capability_max": Decimal(70),
              "price_max": MAX, "price_min": MIN, "pass_mark": Decimal(85)}  # fmt: skip
    assert qualification_score(capability=Decimal(55), **common).passed
    assert not qualification_score(capability=Decimal("54.99"), **common).passed
    with pytest.raises(ValueError, match="between 0 and 70"):
        qualification_score(capability=Decimal(71), **common)


def test_outliers_are_left_out_from_five_members():
    assert criterion_mean([Decimal(x) for x in (10, 12, 14)]) == 12
    assert criterion_mean([Decimal(x) for x in (0, 12, 13, 14, 20)]) == 13


@given(st.lists(scores, min_size=1, max_size=9))
def test_a_criterion_mean_lies_between_the_members_scores(member_scores):
    assert min(member_scores) <= criterion_mean(member_scores) <= max(member_scores)


@given(st.lists(st.lists(scores, min_size=3, max_size=7), min_size=1, max_size=6))
def test_the_technical_score_is_the_rounded_sum_of_the_criteria(criteria):
    exact = sum(criterion_mean(c) for c in criteria)
    assert abs(technical_score(criteria) - Decimal(exact.numerator) / exact.denominator) <= Decimal(
        "0.00005"
    )


@given(amounts, amounts)
def test_the_lowest_price_scores_100_and_others_less(a, b):
    lowest, other = sorted((a, b))
    assert best_value_price_score(lowest, lowest) == 100
    assert 0 <= best_value_price_score(other, lowest) <= 100


@given(st.decimals(0, 100, places=4), st.decimals(0, 100, places=4), st.integers(0, 100))
def test_the_total_weighs_technical_and_price(technical, price_score, quality):
    total = best_value_total(
        technical, price_score, quality_weight=Decimal(quality), price_weight=Decimal(100 - quality)
    )
    assert min(technical, price_score) - Decimal("0.0001") <= total
    assert total <= max(technical, price_score) + Decimal("0.0001")


def test_weights_must_add_up_to_100():
    with pytest.raises(ValueError, match="100"):
        best_value_total(
            Decimal(1), Decimal(1), quality_weight=Decimal(80), price_weight=Decimal(30)
        )


@given(st.fractions(min_value=0, max_value=1000))
def test_rounding_is_half_up_at_four_places(value):
    assume(value.denominator < 10**9)
    result = rounded(value)
    assert abs(result - Decimal(value.numerator) / Decimal(value.denominator)) <= Decimal("0.00005")
