"""Returns over the API: take a sold unit back under its warranty, list returns, and the quality report (return
rates by grade, category, model or grading technician, month by month). Operators only: a client reads what a
return did on its settlement and on the device's page."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from itad.api import bp
from itad.api.contract import OPERATOR_ROLES, current_user, operation
from itad.api.schemas import Out
from itad.inventory import returns
from itad.inventory.routes import AmountIn, AmountOut
from itad.models import db
from itad.periods import period

class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason_code: str = Field(description="defective, not_as_described, cosmetic, battery, locked, damaged_in_transit, "
                                         "changed_mind, other", max_length=24)
    reason: str | None = Field(None, max_length=returns.MAX_REASON, description="the buyer's words; needed for other")
    returned_on: date = Field(description="the day the unit came back to us")
    refund: AmountIn | None = Field(None, description="what the buyer got back; default the whole price")
    fee_returned: AmountIn | None = Field(None, description="what the sales channel gave back of its fee; default "
                                                            "all of it on a full refund, else nothing")


class ReturnOut(Out):
    id: int
    sale_id: int
    device_id: int
    batch_id: int
    reason_code: str
    reason: str | None
    returned_on: date
    refund: AmountOut
    fee_returned: AmountOut
    currency: str
    created_at: datetime


class ReturnList(BaseModel):
    items: list[ReturnOut]


class QualityQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    by: str = Field("grade", pattern="^(grade|category|model|technician)$")
    start: date | None = Field(None, description="first sale day counted; default a year before end")
    end: date | None = Field(None, description="last sale day counted; default today")


class RateOut(BaseModel):
    sales: int
    returns: int
    rate: float | None = Field(description="returns / sales")
    grading_returns: int = Field(description="returns for a reason that questions the grading")
    grading_rate: float | None
    under_warranty: int = Field(description="sales not returned whose warranty still runs: they may yet come back")
    reasons: dict[str, int]


class QualityGroupOut(RateOut):
    group: str
    by_month: dict[str, RateOut]


class QualityOut(BaseModel):
    by: str
    start: date
    end: date
    as_of: date
    months: list[str]
    overall: RateOut
    groups: list[QualityGroupOut]


def _rate(r: returns.Rate) -> dict:
    return {"sales": r.sales, "returns": r.returns, "rate": r.rate, "grading_returns": r.grading_returns,
            "grading_rate": r.grading_rate, "under_warranty": r.under_warranty, "reasons": dict(r.reasons)}


@bp.post("/sales/<int:sale_id>/return")
@operation("Take a sold unit back under its warranty (workflow: sold -> returned), with the reason and the refund",
           roles=OPERATOR_ROLES, body=ReturnIn, response=ReturnOut, status=201, tags=("inventory",),
           errors=(404, 409, 422))
def record_return(sale_id: int, body: ReturnIn):
    row = returns.record_return(db.session, current_user(), returns.get_sale(db.session, sale_id),
                                reason_code=body.reason_code, reason=body.reason, returned_on=body.returned_on,
                                refund=body.refund, fee_returned=body.fee_returned)
    return ReturnOut.model_validate(row)


@bp.get("/returns")
@operation("Returns, newest first (the latest 200)", roles=OPERATOR_ROLES, response=ReturnList, tags=("inventory",))
def list_returns():
    return ReturnList(items=[ReturnOut.model_validate(r) for r, _, _ in returns.returns(db.session)])


@bp.get("/quality/returns")
@operation("Return rates of the units sold in a period, by grade, category, model or grading technician, by month",
           roles=OPERATOR_ROLES, query=QualityQuery, response=QualityOut, tags=("inventory",), errors=(422,))
def quality_report(query: QualityQuery):
    start, end = period(query.start, query.end)
    report = returns.quality(db.session, by=query.by, start=start, end=end)
    return QualityOut(by=report.by, start=report.start, end=report.end, as_of=report.as_of, months=report.months,
                      overall=RateOut(**_rate(report.overall)),
                      groups=[QualityGroupOut(group=g, **_rate(r), by_month={
                          m: RateOut(**_rate(report.cells[(g, m)])) for m in report.months if (g, m) in report.cells})
                          for g, r in report.groups.items()])
