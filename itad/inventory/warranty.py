"""The warranty a sold unit carries: months by sales channel and grade, as an admin sets them.

A term names a channel and a grade, or a channel and any grade (grade NULL). A sale takes the term of its
channel and grade, else its channel's for any grade, else DEFAULT_MONTHS: six months, the warranty the
marketplaces that vet refurbishers (Back Market) require on everything sold. The last day of the warranty is
kept on the sale, so a later change of terms never changes what a buyer was promised.
"""

from __future__ import annotations

import calendar
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad import audit_log
from itad.errors import Invalid
from itad.models import User, WarrantyTerm

DEFAULT_MONTHS = 6
MAX_MONTHS = 60


def months_for(session: Session, channel: str, grade: str | None) -> int:
    terms = {(t.grade): t.months for t in session.scalars(
        sa.select(WarrantyTerm).where(WarrantyTerm.channel == channel))}
    if grade in terms and grade is not None:
        return terms[grade]
    return terms.get(None, DEFAULT_MONTHS)


def until(sold_on: date, months: int) -> date:
    """The last day of a warranty of `months` from `sold_on` (31 Aug + 6 months: 28 or 29 Feb, the day before
    the same date where there is one)."""
    month = sold_on.month - 1 + months
    year, month = sold_on.year + month // 12, month % 12 + 1
    day = min(sold_on.day, calendar.monthrange(year, month)[1])
    return date.fromordinal(date(year, month, day).toordinal() - 1) if months else sold_on


def terms(session: Session) -> list[WarrantyTerm]:
    return list(session.scalars(sa.select(WarrantyTerm).order_by(WarrantyTerm.channel, WarrantyTerm.grade)))


def set_term(session: Session, actor: User, channel: str, grade: str | None, months: int) -> WarrantyTerm:
    channel = (channel or "").strip().lower()
    grade = (grade or "").strip().upper() or None
    if not channel or len(channel) > 40:
        raise Invalid("Name the sales channel (at most 40 characters), e.g. backmarket, trade, direct.",
                      code="invalid_channel")
    if grade is not None and len(grade) > 2:
        raise Invalid("A grade is one or two characters (A, B, C, D), or leave it empty for any grade.",
                      code="invalid_grade")
    if not 0 <= months <= MAX_MONTHS:
        raise Invalid(f"A warranty runs 0 to {MAX_MONTHS} months.", code="invalid_months")
    return audit_log.set_row(session, actor, WarrantyTerm, {"channel": channel, "grade": grade}, {"months": months},
                             action="warranty_term_changed", subject=f"warranty {channel} {grade or 'any grade'}")
