"""Money: KRW amounts are whole won, held as integers; never floats."""

from decimal import ROUND_HALF_UP, Decimal


def format_krw(amount: int | Decimal | None) -> str:
    """`1234567` -> `₩1,234,567`, no decimals (the won has no minor unit in practice)."""
    if amount is None:
        return ""
    won = Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"₩{won:,}"
