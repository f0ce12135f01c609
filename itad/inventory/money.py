"""Amounts of money: Decimal with two places, a currency code beside them, one rounding rule.

Rounding is ROUND_HALF_UP to the cent (commercial rounding: what a client checks with a calculator),
applied once to each total or median, never to every line and then summed. Floats are refused
outright: 0.1 + 0.2 is not a price.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ROUNDING = ROUND_HALF_UP
ROUNDING_RULE = "ROUND_HALF_UP to 0.01, once per total"
CURRENCY = re.compile(r"^[A-Z]{3}$")


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUNDING)


# The amount columns hold twelve digits, two of them decimals.
MAX_AMOUNT = Decimal(10) ** 10


def parse_amount(value: object) -> Decimal:
    """A stored or submitted amount as Decimal with two places. Strings and Decimals only."""
    if isinstance(value, float) or isinstance(value, bool):
        raise ValueError("send amounts as strings such as \"199.00\", never as floating-point numbers")
    try:
        amount = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount; use digits with at most two decimals, e.g. \"199.00\"") from None
    if not amount.is_finite():
        raise ValueError("an amount must be a finite number")
    if amount < 0:
        raise ValueError("an amount cannot be negative")
    if amount >= MAX_AMOUNT:
        raise ValueError(f"an amount is below {MAX_AMOUNT:,} (ten digits before the decimal point)")
    if amount != amount.quantize(CENT, rounding=ROUNDING):
        raise ValueError(f"{value} has more than two decimals")
    return to_cents(amount)


def fmt(amount: Decimal | None) -> str:
    """The form amounts take in JSON and CSV: a plain string with two decimals ("1234.50")."""
    return "" if amount is None else f"{to_cents(amount):.2f}"
