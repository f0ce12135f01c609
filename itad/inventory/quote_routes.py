"""Buy quotes over the API: quote a batch from its asset list, read the latest quote and its lines, and the
accuracy of past quotes against what the units sold for (a client: its own batches; an admin: any)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from itad import batches
from itad.api import bp
from itad.api.contract import current_user, operation
from itad.api.schemas import Out, PageQuery
from itad.errors import NotFound
from itad.inventory import quotes
from itad.inventory.routes import CURRENCY_FIELD, AmountOut
from itad.models import db


class QuoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    currency: str = CURRENCY_FIELD


class QuoteOut(Out):
    id: int
    batch_id: int
    currency: str
    as_of: date
    total: AmountOut = Field(description="the sum of the priced lines")
    lines: int
    unpriced: int = Field(description="lines nothing in the sales history could price")
    aged: int = Field(description="lines whose value the unit's age (its purchase date in the asset list) moved")
    bases: dict[str, int] = Field(description="how many lines rest on the model's sales, its family's, its "
                                              "category's, or none")
    method: str
    created_at: datetime


class QuoteLineOut(Out):
    id: int
    device_id: int
    category: str | None
    model_key: str
    expected: AmountOut | None
    basis: str
    sales_count: int
    purchased_on: date | None = Field(description="the purchase date the asset list gives, where it could be read")
    age_factor: Decimal | None = Field(description="what the unit's age multiplied its value by; null: age not used")
    age_note: str | None = Field(description="why a purchase date written in the list was not used")


class QuoteLinePage(BaseModel):
    items: list[QuoteLineOut]
    next_cursor: int | None


class ErrorsOut(Out):
    sales: int
    mape: float | None = Field(description="mean absolute percentage error, as a share (0.2 = 20%)")
    median_ape: float | None
    bias: float | None = Field(description="median signed error: above zero, quotes ran high")
    quoted: AmountOut
    realised: AmountOut


class AccuracyOut(Out):
    overall: ErrorsOut
    by_category: dict[str, ErrorsOut]
    by_model: dict[str, ErrorsOut]
    by_month: dict[str, ErrorsOut]
    by_basis: dict[str, ErrorsOut]


def _latest(batch_id: int):
    found = quotes.latest(db.session, current_user(), batch_id)
    if found is None:
        raise NotFound(f"Batch {batch_id} has no quote yet.")
    return found


@bp.post("/batches/<int:batch_id>/quote")
@operation("Quote the batch from its asset list: each line's expected recovery value from recent sales "
           "(model, else family, else category; the basis is kept) and the total", roles=("client", "admin"),
           body=QuoteIn, response=QuoteOut, status=201, tags=("quotes",), errors=(404, 409, 422))
def make_quote(batch_id: int, body: QuoteIn):
    batch = batches.get_batch(db.session, current_user(), batch_id)
    return QuoteOut.model_validate(quotes.quote_batch(db.session, current_user(), batch, currency=body.currency))


@bp.get("/batches/<int:batch_id>/quote")
@operation("The batch's latest quote", roles=("client", "admin"), response=QuoteOut, tags=("quotes",),
           errors=(404,))
def get_quote(batch_id: int):
    return QuoteOut.model_validate(_latest(batch_id))


@bp.get("/batches/<int:batch_id>/quote/lines")
@operation("The lines of the batch's latest quote", roles=("client", "admin"), query=PageQuery,
           response=QuoteLinePage, tags=("quotes",), errors=(404,))
def get_quote_lines(batch_id: int, query: PageQuery):
    found = quotes.lines_of(db.session, _latest(batch_id), limit=query.limit, after=query.cursor)
    return QuoteLinePage(items=[QuoteLineOut.model_validate(r) for r in found.rows], next_cursor=found.after)


@bp.get("/quotes/accuracy")
@operation("How accurate quotes proved: each sale against the latest quote of its batch made before it, "
           "overall and by category, model, month of sale and basis", roles=("client", "admin"),
           response=AccuracyOut, tags=("quotes",))
def quote_accuracy():
    user = current_user()
    report = quotes.accuracy(db.session, organization_id=None if user.role == "admin" else user.organization_id)
    return AccuracyOut.model_validate(report)
