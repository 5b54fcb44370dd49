"""Score formulas of the evaluation methods, exact and documented (docs/evaluation.md).

Scores are computed as exact fractions and rounded once, half up, to four decimal places
(KONEPS rounds at the fifth decimal); every comparison (the pass mark, the ranking) uses the
rounded score that is published, so anyone recomputing from the published figures reaches
the same decision.

Qualification review, price score (the procurement service's goods formula):

    price = max(price_min, price_max − 2 × | 88 − 100 × P / E |)

P the bid, E the estimated price: the full price score at 88 % of E, two points less per
percentage point away from it, never below price_min. The total is the capability score the
officer enters (0 to capability_max, with its evidence) plus the price score; the bid passes
when the total reaches the pass mark.

Best value, price score and total:

    price     = 100 × L / P                     (L the lowest price among the ranked bids)
    technical = Σ over criteria of the mean of the members' scores for it; with five or
                more members, each criterion's single highest and single lowest score are
                left out first (outliers), as is usual for Korean evaluation committees
    total     = technical × quality weight / 100 + price × price weight / 100

Ranking: highest total; ties to the higher technical score, then the lower price, then the
earlier receipt.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

PLACES = Decimal("0.0001")
TARGET_PCT = 88
OUTLIER_MEMBERS = 5


def rounded(value: Fraction | int) -> Decimal:
    """An exact score rounded half up to four decimals."""
    value = Fraction(value)
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        PLACES, rounding=ROUND_HALF_UP
    )


def qualification_price_score(
    amount: int, estimated: int, *, price_max: Decimal, price_min: Decimal
) -> Decimal:
    if amount <= 0 or estimated <= 0:
        raise ValueError("amounts are positive")
    distance = abs(TARGET_PCT - Fraction(100 * amount, estimated))
    return rounded(max(Fraction(price_min), Fraction(price_max) - 2 * distance))


@dataclass(frozen=True)
class QualificationScore:
    capability: Decimal
    price: Decimal
    total: Decimal
    passed: bool


def qualification_score(
    *, amount: int, estimated: int, capability: Decimal, capability_max: Decimal,
    price_max: Decimal, price_min: Decimal, pass_mark: Decimal,
) -> QualificationScore:  # fmt: skip
    if not 0 <= capability <= capability_max:
        raise ValueError(f"the capability score is between 0 and {capability_max}")
    price = qualification_price_score(amount, estimated, price_max=price_max, price_min=price_min)
    total = rounded(Fraction(capability) + Fraction(price))
    return QualificationScore(Decimal(capability), price, total, total >= pass_mark)


def criterion_mean(scores: Sequence[Decimal]) -> Fraction:
    """The committee's mark for one criterion of one bid: the mean of the members' scores,
    without the single highest and lowest when five or more members scored."""
    if not scores:
        raise ValueError("no member scored this criterion")
    kept = sorted(Fraction(score) for score in scores)
    if len(kept) >= OUTLIER_MEMBERS:
        kept = kept[1:-1]
    return sum(kept, Fraction(0)) / len(kept)


def technical_score(scores_by_criterion: Sequence[Sequence[Decimal]]) -> Decimal:
    return rounded(sum((criterion_mean(scores) for scores in scores_by_criterion), Fraction(0)))


def best_value_price_score(amount: int, lowest: int) -> Decimal:
    if not 0 < lowest <= amount:
        raise ValueError("the lowest price is positive and no higher than the bid")
    return rounded(Fraction(100 * lowest, amount))


def best_value_total(
    technical: Decimal, price: Decimal, *, quality_weight: Decimal, price_weight: Decimal
) -> Decimal:
    if quality_weight + price_weight != 100:
        raise ValueError("the weights add up to 100")
    return rounded(
        Fraction(technical) * Fraction(quality_weight) / 100
        + Fraction(price) * Fraction(price_weight) / 100
    )
