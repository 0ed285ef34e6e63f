"""Money: Decimal, rounded half-up to the cent at the end of each component; French display."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
THOUSANDS = "\xa0"  # no-break space, as Django's French THOUSAND_SEPARATOR
ZERO = Decimal("0.00")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def euros(value: Decimal) -> str:
    """1234.5 -> « 1 234,50 € » (a no-break space between the thousands)."""
    sign = "-" if value < 0 else ""
    whole, _, frac = f"{abs(cents(value)):.2f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{THOUSANDS.join(groups)},{frac} €"


def number(value: Decimal) -> str:
    """A quantity in French: 64.95 -> « 64,95 », 80 -> « 80 »."""
    text = f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"
    return text.replace(".", ",")
