"""The worked examples of docs/evaluation.md, recomputed with the platform's code."""

import json
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from core.workdays import working_days_after
from evaluation.estimated_price import estimated_price
from evaluation.scoring import (
    best_value_price_score,
    best_value_total,
    qualification_score,
    technical_score,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "evaluation.md"


def example(name: str) -> dict:
    text = DOC.read_text()
    found = re.search(rf"<!-- example:{name} -->\n```json\n(.*?)\n```", text, re.S)
    assert found, f"docs/evaluation.md has no example {name}"
    return json.loads(found.group(1))


def test_lowest_price_example():
    case = example("lowest-price")
    order = sorted(case["bids"], key=case["bids"].get)
    assert order == case["order"]
    assert next(b for b in order if b not in case["disqualified"]) == case["awarded"]


def test_qualification_review_example():
    case = example("qualification-review")
    bids = case["bids"]
    result = estimated_price(
        case["prices"], [b["picks"] for b in bids.values()], chosen=4,
        floor_rate_pct=Decimal("87.745"),
    )  # fmt: skip
    assert {str(n): c for n, c in result.pick_counts.items() if c} == case["pick_counts"]
    assert result.chosen == case["chosen"]
    assert (result.estimated, result.floor) == (case["estimated"], case["floor"])
    within = sorted((b for b in bids if result.within(bids[b]["amount"])),
                    key=lambda b: bids[b]["amount"])  # fmt: skip
    assert within == case["order"]
    assert set(bids) - set(within) == set(case["out_of_range"])
    awarded = None
    for name in within:
        if name not in case["reviewed"]:
            break
        expected = case["reviewed"][name]
        score = qualification_score(
            amount=bids[name]["amount"], estimated=result.estimated,
            capability=Decimal(expected["capability"]), capability_max=Decimal(70),
            price_max=Decimal(30), price_min=Decimal(2), pass_mark=Decimal(85),
        )  # fmt: skip
        assert (str(score.price), str(score.total), score.passed) == (
            expected["price"],
            expected["total"],
            expected["passed"],
        )
        if score.passed:
            awarded = name
            break
    assert awarded == case["awarded"]


def test_best_value_example():
    case = example("best-value")
    bids = case["bids"]
    technical = {
        name: technical_score([[Decimal(s) for s in scores] for scores in bid["scores"].values()])
        for name, bid in bids.items()
    }
    assert {n: str(t) for n, t in technical.items()} == case["technical"]
    lowest = min(bid["amount"] for bid in bids.values())
    price = {n: best_value_price_score(b["amount"], lowest) for n, b in bids.items()}
    assert {n: str(p) for n, p in price.items()} == case["price"]
    total = {
        n: best_value_total(
            technical[n],
            price[n],
            quality_weight=Decimal(case["weights"]["quality"]),
            price_weight=Decimal(case["weights"]["price"]),
        )  # fmt: skip
        for n in bids
    }
    assert {n: str(t) for n, t in total.items()} == case["total"]
    assert sorted(bids, key=lambda n: -total[n]) == case["order"]


@pytest.mark.parametrize("name", ["standstill"])
def test_standstill_example(name):
    case = example(name)
    ends = working_days_after(datetime.fromisoformat(case["awarded_at"]), case["working_days"])
    assert ends == datetime.fromisoformat(case["ends"])
