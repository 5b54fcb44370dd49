"""The estimated price of a qualification review with multiple reserve prices (적격심사,
복수예비가격), from the lot's revealed reserve prices and the picks of its opened bids.

The rules, which docs/evaluation.md shows with a worked example, and which anyone can apply
to the published data:

1. Every opened bid of the lot picked some of the numbered reserve prices (two of fifteen
   by default). Count how often each number was picked; a number nobody picked counts 0.
2. The `chosen` most-picked numbers (four by default) are averaged. Tie rule: numbers are
   ranked by their count, highest first, and among equal counts the lower number ranks
   first. So the result never depends on the order in which bids arrived or were opened.
3. The estimated price E is the average of their prices rounded down to the whole won
   (fractions of a won are dropped, as in KONEPS).
4. A bid is within range when E × floor rate ≤ amount ≤ E. The comparison is exact (no
   rounding); the lowest whole-won amount within range is published as the floor.

Pure arithmetic: no database, so it is the same code the tests and the public check use.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from math import ceil


@dataclass(frozen=True)
class EstimatedPrice:
    pick_counts: dict[int, int]  # reserve price number -> times picked
    chosen: list[int]  # the numbers averaged, ascending
    estimated: int  # E, whole won
    floor_rate_pct: Decimal
    floor: int  # the lowest whole-won amount within range

    def within(self, amount: int) -> bool:
        return self.floor <= amount <= self.estimated


def pick_counts(picks_of_bids: Iterable[Sequence[int]], *, count: int) -> dict[int, int]:
    """How often each number 1..count was picked (every number present, 0 if never)."""
    counts = dict.fromkeys(range(1, count + 1), 0)
    for picks in picks_of_bids:
        for number in picks:
            if number not in counts:
                raise ValueError(f"reserve price number {number} is not between 1 and {count}")
            counts[number] += 1
    return counts


def most_picked(counts: dict[int, int], *, chosen: int) -> list[int]:
    """The `chosen` numbers ranked first by count, ties to the lower number; ascending."""
    if not 1 <= chosen <= len(counts):
        raise ValueError("cannot choose more reserve prices than there are")
    ranked = sorted(counts, key=lambda number: (-counts[number], number))
    return sorted(ranked[:chosen])


def floor_amount(estimated: int, floor_rate_pct: Decimal) -> int:
    """The lowest whole won at or above E × rate, computed exactly."""
    return ceil(Fraction(estimated) * Fraction(floor_rate_pct) / 100)


def estimated_price(
    prices: Sequence[int],
    picks_of_bids: Iterable[Sequence[int]],
    *,
    chosen: int,
    floor_rate_pct: Decimal,
) -> EstimatedPrice:
    """E and its range for one lot. `prices[0]` is reserve price number 1."""
    counts = pick_counts(picks_of_bids, count=len(prices))
    numbers = most_picked(counts, chosen=chosen)
    estimated = sum(prices[number - 1] for number in numbers) // chosen
    return EstimatedPrice(
        pick_counts=counts,
        chosen=numbers,
        estimated=estimated,
        floor_rate_pct=Decimal(floor_rate_pct),
        floor=floor_amount(estimated, Decimal(floor_rate_pct)),
    )
