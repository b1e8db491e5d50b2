"""Field types every API reads the same way: strict integers and money in cents."""
from __future__ import annotations

import re

from marshmallow import fields, validate

# PostgreSQL's BIGINT; a bound of its own keeps a huge number from ever reaching the database.
LARGEST = 2**63 - 1
CENTS_MESSAGE = "give a whole number of cents, e.g. 250 for 2.50 €"
_DIGITS = re.compile(r"-?[0-9]{1,19}")


class Integer(fields.Integer):
    """A whole number, never a silent change: 2.5, 2.0, "2" and true are refused, not truncated or cast.

    In a query string every value is text: `text=True` reads plain decimal digits ("12", "-3") there,
    and nothing else ("2.5", " 2", "+2", "1e3").
    """

    default_error_messages = {
        "invalid": "give a whole number, e.g. 2 (not 2.5, \"2\" or true)",
        "too_large": "give a number between -9223372036854775807 and 9223372036854775807",
    }

    def __init__(self, *, text: bool = False, **kwargs):
        super().__init__(strict=True, **kwargs)
        self.text = text

    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, str):
            if not self.text or not _DIGITS.fullmatch(value):
                raise self.make_error("invalid")
            value = int(value)
        elif not isinstance(value, int):
            raise self.make_error("invalid")
        if not -LARGEST <= value <= LARGEST:
            raise self.make_error("too_large")
        return value

    def _deserialize(self, value, attr, data, **kwargs):
        return self._validated(value)


def Cents(minimum: int = 0, maximum: int = 10_000_000, **kwargs) -> Integer:
    """Money as an integer number of cents: 2.5 or "2,50" are refused with a message saying so."""
    return Integer(validate=validate.Range(minimum, maximum), error_messages={"invalid": CENTS_MESSAGE},
                   **kwargs)

