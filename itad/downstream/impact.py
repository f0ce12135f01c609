"""The factors of the environmental summary: per category, the CO2e a unit reused instead of a new one avoids, and
the published source of the figure. An admin's factor replaces the default; every change is audited.

The defaults are the per-unit avoided emissions that PUC published (2019), from the reuse model of TU Berlin
("Energie- und CO2-Bilanz von PCs - Relevanz fuer Reuse-Strategien", 2005) and the EuP preparatory study
TREN/D1/40-2005 Lot 3 (2007): desktop PC 109 kg, laptop 69 kg, monitor 41 kg, smartphone 27 kg CO2e, comparing three
years of reuse with buying new, transport and refurbishment included. Categories without a factor are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad import audit_log
from itad.errors import Invalid, bounded
from itad.models import ImpactFactor, User

PUC = ("PUC, 'CO2-uitstoot' (2019), https://www.puc.be/2019/12/15/c02-uitstoot/, after TU Berlin (2005) and the EuP "
       "preparatory study TREN/D1/40-2005 Lot 3 (2007)")


@dataclass(frozen=True)
class Factor:
    category: str
    co2e_avoided_kg: Decimal
    source: str
    set_by_admin: bool = False


DEFAULTS = {c: Factor(c, Decimal(kg).quantize(Decimal("0.01")), PUC) for c, kg in (
    ("desktop", "109"), ("pc", "109"), ("laptop", "69"), ("notebook", "69"), ("monitor", "41"), ("phone", "27"),
    ("smartphone", "27"))}


def factors(session: Session) -> dict[str, Factor]:
    out = dict(DEFAULTS)
    for row in session.scalars(sa.select(ImpactFactor)):
        out[row.category] = Factor(row.category, Decimal(str(row.co2e_avoided_kg)), row.source, True)
    return out


def set_factor(session: Session, actor: User, category: str, co2e_avoided_kg: Decimal, source: str) -> ImpactFactor:
    key = (category or "").strip().lower()
    if not key or len(key) > 60:
        raise Invalid("Name the category (at most 60 characters).", code="invalid_category")
    if co2e_avoided_kg < 0 or co2e_avoided_kg > 100_000:
        raise Invalid("The CO2e a reused unit avoids is between 0 and 100,000 kg.", code="invalid_factor")
    source = bounded(source, "source", 500)
    if not source:
        raise Invalid("A factor is printed with its published source: give it.", code="source_required")
    return audit_log.set_row(session, actor, ImpactFactor, {"category": key},
                             {"co2e_avoided_kg": co2e_avoided_kg, "source": source},
                             action="impact_factor_changed", subject=f"impact factor {key}")
