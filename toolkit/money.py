"""Money arithmetic: ``Decimal`` only, rounded ROUND_HALF_UP to the fen, as Excel's ROUND does.

Every amount that enters unionkit passes through :func:`to_money`; every computed amount leaves
through :func:`round_fen`. Binary floats never carry money.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


def round_fen(amount: Decimal) -> Decimal:
    """Round to 0.01 yuan, halves away from zero (Chinese accounting, Excel ROUND)."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def to_money(value: object) -> Decimal:
    """Turn an int, a Decimal or a numeric string into a Decimal amount (not yet rounded).

    Floats are refused here on purpose: a reader that got a float from a spreadsheet must turn it
    into a Decimal via :func:`decimal_from_cell`, which knows about binary noise.
    """
    if isinstance(value, bool | float):
        raise TypeError(f"money must not be {type(value).__name__}: {value!r}")
    try:
        return Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc


def decimal_from_cell(number: float | int) -> Decimal:
    """Recover the decimal a person typed from the IEEE double a spreadsheet stored.

    Excel keeps 15 significant digits; ``repr`` gives the shortest string that round-trips the
    double, which is what the person typed (``0.1`` stays ``0.1``, not 0.1000000000000000055...).
    """
    if isinstance(number, int):
        return Decimal(number)
    return Decimal(repr(number))  # not money math: reading a stored double back as typed


def dues_for_wage(wage: Decimal, rate: Decimal, unit: Decimal = Decimal("10")) -> Decimal:
    """Monthly dues: the wage without its tail under ``unit`` yuan, times ``rate``, to the fen.

    工资尾数不足十元的不计交会费: 3,089.50 → base 3,080 → 15.40. A negative wage owes nothing.
    """
    if wage <= 0:
        return ZERO
    base = (wage / unit).to_integral_value(rounding=ROUND_DOWN) * unit
    return round_fen(base * rate)


def fund_due(payroll: Decimal, rate: Decimal) -> Decimal:
    """The union fund (工会经费): ``rate`` (2%) of total payroll, to the fen."""
    return round_fen(payroll * rate)


def split_fund(fund: Decimal, upper_share: Decimal) -> tuple[Decimal, Decimal]:
    """Split the fund into (retained by the branch, remitted upward); the two add up exactly."""
    upper = round_fen(fund * upper_share)
    return fund - upper, upper


def excel_number(amount: Decimal) -> float:
    """The value to store in an xlsx number cell (the format holds IEEE doubles only).

    This is the single place money leaves Decimal, at the file boundary; amounts to the fen
    round-trip exactly through :func:`decimal_from_cell`.
    """
    return float(amount)  # not money math: file boundary, see docstring
