"""Money in forms: an amount as people type it ("199" or "199.00"), read as Decimal with the
inventory's own rule (itad.inventory.money.parse_amount: no floats, at most two decimals, never
negative), and shown back with two decimals."""

from __future__ import annotations

from wtforms import StringField
from wtforms.validators import StopValidation

from itad.inventory.money import fmt, parse_amount


class AmountField(StringField):
    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if self.raw:
            self.data = parse_amount(self.raw)  # its ValueError becomes this field's error message

    def _value(self):
        return getattr(self, "raw", None) or fmt(self.data)

    def pre_validate(self, form):
        # An unreadable amount says why (parse_amount's message); DataRequired would replace that
        # message with its own "required", so the chain stops here.
        if self.process_errors:
            raise StopValidation()
