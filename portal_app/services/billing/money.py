"""Invoice arithmetic in integer minor units (cents), exactly.

The rule, stated once (and shown on invoices as "amounts rounded half up per line"):

1. A line's amount is quantity × unit price, rounded half up to the minor unit.
2. An invoice discount (a percentage of the subtotal, or a fixed amount no larger than it)
   is spread over the lines in proportion to their amounts; the parts are whole minor units
   and add up exactly to the discount (largest remainder first, earlier lines win ties).
3. Each line's tax is (amount − its share of the discount) × its tax rate, rounded half up.
   Tax is charged after the discount, line by line.
4. Total = subtotal − discount + Σ line taxes. Every figure is an integer; nothing is lost
   or invented by rounding.

No Reflex, no database: pure functions, used by the invoice services and the PDF.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from portal_app.errors import Invalid

# ISO 4217 minor-unit exponents that are not 2 (everything else uses cents).
_EXPONENT = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "HUF": 2, "BHD": 3, "KWD": 3, "OMR": 3,
             "JOD": 3, "TND": 3}
CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "NZD", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "JPY",
              "SGD", "HKD", "INR", "ZAR", "BRL", "MXN", "AED", "KWD", "BHD")
MAX_QUANTITY = Decimal("1000000")
MAX_UNIT_MINOR = 10 ** 12          # ten billion dollars in cents: more is a typo
MAX_RATE = Decimal("100")
# A negative amount shown to a person (a discount, a refund, an overpaid balance) is written
# with the minus sign U+2212, never the hyphen: format_amount is the one place that writes
# it, for the pages and the invoice PDF alike (its font, DejaVu Sans, has the glyph).
MINUS = "\u2212"


def exponent(currency: str) -> int:
    return _EXPONENT.get(currency.upper(), 2)


def round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_decimal(text: object, label: str, field_name: str) -> Decimal:
    """"1,000.5" → Decimal("1000.5"): a quantity, a tax rate or a percentage as typed
    (empty reads as 0). Refuses nonsense, NaN and infinities with a message a person
    understands; the caller checks the range and the decimals it allows."""
    raw = str(text if text is not None else "").strip().replace(",", "").replace(" ", "")
    try:
        value = Decimal(raw or "0")
    except InvalidOperation:
        raise Invalid(f"{label} must be a number.", field_name) from None
    if not value.is_finite():
        raise Invalid(f"{label} must be a number.", field_name)
    return value


def exponent_of(value: Decimal) -> int:
    """Decimal("1.25") → -2. parse_decimal refuses NaN and infinities, the only values whose
    exponent is a letter ('n', 'N', 'F') rather than a number."""
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int):
        raise TypeError(f"not a finite number: {value}")
    return exponent


def parse_amount(text: object, currency: str, label: str = "Amount", field_name: str = "amount") -> int:
    """"1,234.50" → 123450 (for a 2-decimal currency). Refuses more decimals than the
    currency has, negatives and nonsense, with a message a person understands."""
    raw = str(text if text is not None else "").strip().replace(",", "").replace(" ", "")
    digits = exponent(currency)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise Invalid(f"{label} must be a number like 1250.00.", field_name) from None
    if not value.is_finite():
        raise Invalid(f"{label} must be a number like 1250.00.", field_name)
    if value < 0:
        raise Invalid(f"{label} cannot be negative.", field_name)
    exp = value.as_tuple().exponent  # an int: a finite Decimal's ('n', 'N', 'F' are NaN and Infinity)
    if isinstance(exp, int) and -exp > digits:
        raise Invalid(f"{label} can have at most {digits} decimals in {currency.upper()}.", field_name)
    minor = int(value.scaleb(digits))
    if minor > MAX_UNIT_MINOR:
        raise Invalid(f"{label} is too large.", field_name)
    return minor


def format_amount(minor: int, currency: str) -> str:
    """123450, "USD" → "1,234.50 USD" (symbol-free: the same on every locale); -5000 →
    "−50.00 USD" (MINUS). A discount is shown as what it takes off: format_amount(-discount)."""
    digits = exponent(currency)
    sign = MINUS if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10 ** digits) if digits else (abs(minor), 0)
    text = f"{whole:,}" + (f".{frac:0{digits}d}" if digits else "")
    return f"{sign}{text} {currency.upper()}"


def plain_amount(minor: int, currency: str) -> str:
    """123450, "USD" → "1234.50": what an input shows for parse_amount to read back."""
    digits = exponent(currency)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10 ** digits) if digits else (abs(minor), 0)
    return f"{sign}{whole}" + (f".{frac:0{digits}d}" if digits else "")


@dataclass(frozen=True)
class Line:
    quantity: Decimal
    unit_minor: int
    tax_rate: Decimal = Decimal(0)   # percent, e.g. Decimal("8.875")

    def __post_init__(self):
        if not (Decimal(0) < self.quantity <= MAX_QUANTITY):
            raise Invalid("Quantity must be more than 0 and at most 1,000,000.", "quantity")
        if not (0 <= self.unit_minor <= MAX_UNIT_MINOR):
            raise Invalid("Unit price must be between 0 and 10,000,000,000.", "unit_price")
        if not (Decimal(0) <= self.tax_rate <= MAX_RATE):
            raise Invalid("Tax rate must be between 0 and 100 %.", "tax_rate")

    @property
    def amount(self) -> int:
        return round_half_up(self.quantity * self.unit_minor)


@dataclass(frozen=True)
class Discount:
    percent: Decimal | None = None   # 0..100
    amount_minor: int | None = None  # fixed

    def of(self, subtotal: int) -> int:
        if self.percent is not None:
            if not (Decimal(0) <= self.percent <= Decimal(100)):
                raise Invalid("A discount must be between 0 and 100 %.", "discount")
            return round_half_up(subtotal * self.percent / 100)
        if self.amount_minor is not None:
            if self.amount_minor < 0:
                raise Invalid("A discount cannot be negative.", "discount")
            if self.amount_minor > subtotal:
                raise Invalid("The discount is larger than the invoice's subtotal.", "discount")
            return self.amount_minor
        return 0


@dataclass(frozen=True)
class Totals:
    subtotal: int
    discount: int
    tax: int
    total: int
    line_amounts: tuple[int, ...]
    line_discounts: tuple[int, ...]
    line_taxes: tuple[int, ...]
    tax_by_rate: dict[str, int] = field(default_factory=dict)   # "8.875" -> tax in minor units


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split `total` minor units over `weights` proportionally, as whole units that add up
    exactly (largest remainder method; earlier weights win ties)."""
    base = sum(weights)
    if total == 0 or base == 0:
        return [0] * len(weights)
    shares = [total * w // base for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % base), i))
    for i in remainders[: total - sum(shares)]:
        shares[i] += 1
    return shares


def compute(lines: list[Line], discount: Discount | None = None) -> Totals:
    amounts = [ln.amount for ln in lines]
    subtotal = sum(amounts)
    disc = (discount or Discount()).of(subtotal)
    parts = allocate(disc, amounts)
    taxes = [round_half_up((a - d) * ln.tax_rate / 100) for ln, a, d in zip(lines, amounts, parts, strict=True)]
    by_rate: dict[str, int] = {}
    for ln, t in zip(lines, taxes, strict=True):
        if ln.tax_rate:
            key = format(ln.tax_rate.normalize(), "f")
            by_rate[key] = by_rate.get(key, 0) + t
    tax = sum(taxes)
    return Totals(subtotal=subtotal, discount=disc, tax=tax, total=subtotal - disc + tax,
                  line_amounts=tuple(amounts), line_discounts=tuple(parts), line_taxes=tuple(taxes),
                  tax_by_rate=by_rate)
