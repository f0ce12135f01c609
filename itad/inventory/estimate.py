"""What a unit not yet received will most likely sell for: the expected recovery value of a buy quote.

Pure (no SQL, no Flask): it reads a history of sales and answers for (category, make, model) lines at a date,
so the same code quotes a batch in the server and a held-out month in bench/pricing.py.

How, and why:
- Prices are compared in logarithms: a model loses a share of its price each month, and a grade is worth a
  share more or less than another (A about 15% over B), so effects add up in log space.
- Grade. A quote is made before anyone has graded the units, so a line's value is that of the model at the
  category's usual grade mix. Each grade's premium is learnt per category from the sales themselves (a sale's
  log price against the mean of its model in its month), and each sale is made grade-neutral before the
  model's price is estimated.
- Time. Each model's grade-neutral price is fitted as a straight line in time (its depreciation), by weighted
  least squares where a sale's weight halves every HALF_LIFE_DAYS: recent sales count most, so the quote follows
  a falling market, and a model whose price dropped when its successor launched is quoted at the new level once
  a few sales show it. The line is read HORIZON_DAYS after the quote date, when the units will be sold.
- Thin data. A model's slope is pulled towards its family's (make and the first word of the model: "DELL|
  LATITUDE"), the more the fewer sales it has; a model with no sale is quoted from its family, then from its
  category, and the answer says which (`basis`), with how many sales it rests on.
- The premiums are centred on each category's grade mix, so a grade-neutral price is the price of a unit of the
  usual mix: the quote, for units nobody has graded yet.
- Age. Where the asset list says when a unit was bought (itad.inventory.purchase_dates) and sales of units whose
  purchase dates are known exist, the unit's age moves its quote. Within a model, an older unit has more wear: its
  likely grade mix is lower (batteries, cosmetics), and so its price. That wear is learnt per category from units of
  one model sold in the same month (a sale's log price against its cell's mean, against its purchase date against
  theirs) and a model-level quote moves by it, from the model's units' average purchase date to the line's. Where a
  model has no sale, its family's or category's price is read at the line's purchase date as well as at the horizon
  (a weighted least-squares plane through those sales: a unit bought last year is a recent model, one bought five
  years ago an old one), when at least MIN_AGED_SALES of them span MIN_PURCHASE_SPAN_DAYS of purchase dates; else
  the wear applies there too. A line without a purchase date, or history without any, is quoted as before, and
  `age_factor` says None. A purchase date outside those of the sales is read at the nearest one (no extrapolation).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Iterable

HALF_LIFE_DAYS = 45.0
LOOKBACK_DAYS = 365
HORIZON_DAYS = 21          # from the quote to the sale, on average
SLOPE_PRIOR = 6.0          # sales' worth of weight the family's slope carries against a model's own
MIN_FIT_SPAN_DAYS = 20     # below this a model's own slope is not fitted (the family's is used)
MIN_AGED_SALES = 20        # sales with a purchase date a family's or category's age plane, or the wear, needs
MIN_PURCHASE_SPAN_DAYS = 180


@dataclass(frozen=True)
class Sold:
    """One past sale, as the estimate reads it."""
    sold_on: date
    category: str
    model: str             # model key: "MAKE|MODEL"
    grade: str | None
    price: float
    purchased: date | None = None       # when the unit was bought, where its asset list said


@dataclass(frozen=True)
class Estimate:
    value: float | None     # the price expected at the category's grade mix; None when nothing is known
    basis: str              # "model", "family", "category" or "none"
    sales: int              # how many sales it rests on
    age_factor: float | None = None     # what the unit's age multiplied the quote by; None: its age was not used


def family_of(model: str) -> str:
    """'DELL|LATITUDE-5490' -> 'DELL|LATITUDE'; 'APPLE|IPHONE-12-PRO' -> 'APPLE|IPHONE'."""
    make, _, name = model.partition("|")
    word = re.match(r"[A-Z]+", name)
    return f"{make}|{word.group(0) if word else name}"


class Estimator:
    """The history up to `as_of` (sales on that day and later are ignored), indexed once; `estimate` is then
    cheap per line, and cached per (category, model)."""

    def __init__(self, sales: Iterable[Sold], as_of: date, *, half_life: float = HALF_LIFE_DAYS,
                 lookback: int = LOOKBACK_DAYS, horizon: int = HORIZON_DAYS):
        self.as_of, self.half_life, self.horizon = as_of, half_life, horizon
        start = as_of.toordinal() - lookback
        rows = [s for s in sales if start <= s.sold_on.toordinal() < as_of.toordinal() and s.price > 0]
        self.premium = _premiums(rows)
        # Grade-neutral points: (days before as_of, log price less its grade's premium).
        self.points: dict[str, dict[str, list[tuple[float, float]]]] = {
            "model": defaultdict(list), "family": defaultdict(list), "category": defaultdict(list)}
        # The same with the purchase date where known: (days before as_of, purchase day's ordinal, y).
        self.aged: dict[str, dict[str, list[tuple[float, float, float]]]] = {
            "model": defaultdict(list), "family": defaultdict(list), "category": defaultdict(list)}
        for s in rows:
            x = float(s.sold_on.toordinal() - as_of.toordinal())
            y = math.log(s.price) - self.premium.get((s.category, s.grade), 0.0)
            self.points["model"][s.model].append((x, y))
            self.points["family"][family_of(s.model)].append((x, y))
            self.points["category"][s.category].append((x, y))
            if s.purchased is not None:
                point = (x, float(s.purchased.toordinal()), y)
                self.aged["model"][s.model].append(point)
                self.aged["family"][family_of(s.model)].append(point)
                self.aged["category"][s.category].append(point)
        self.wear = _wear(rows)
        self._family_slope: dict[str, float] = {}
        self._cache: dict[tuple[str, str], Estimate] = {}
        self._planes: dict[tuple[str, str], tuple | None] = {}      # per (basis, group name), as read
        self._spans: dict[tuple[str, str], tuple[float, float, float] | None] = {}

    def estimate(self, category: str, model: str, purchased: date | None = None) -> Estimate:
        key = (category, model)
        if key not in self._cache:
            self._cache[key] = self._estimate(category, model)
        found = self._cache[key]
        if purchased is None or found.value is None:
            return found
        return self._aged(found, category, model, float(purchased.toordinal()))

    def _aged(self, found: Estimate, category: str, model: str, bought: float) -> Estimate:
        """The estimate moved by the unit's age (see the module's docstring), or as it was where age cannot say."""
        name = model if found.basis == "model" else category if found.basis == "category" else family_of(model)
        span = self._span(found.basis, name)
        if span is None:
            return found
        earliest, latest, usual = span
        # Never read beyond the purchase dates the history holds: an older unit than any sold is read as the oldest.
        bought = min(max(bought, earliest), latest)
        if found.basis != "model":
            plane = self._plane(found.basis, name)
            if plane is not None:
                mx, mp, my, bt, bv = plane
                value = math.exp(my + bt * (self.horizon - mx) + bv * (bought - mp))
                return Estimate(value, found.basis, found.sales, value / found.value)
        wear = self.wear.get(category)
        if wear is None:
            return found
        factor = math.exp(wear * (bought - usual))
        return Estimate(found.value * factor, found.basis, found.sales, factor)

    def _span(self, basis: str, name: str) -> tuple[float, float, float] | None:
        """(earliest, latest, recency-weighted mean) purchase day of the group's sales with one; None without."""
        key = (basis, name)
        if key not in self._spans:
            aged = self.aged[basis].get(name)
            if aged:
                weights = _weights(aged, self.half_life)
                usual = sum(w * p for w, (_, p, _) in zip(weights, aged)) / sum(weights)
                self._spans[key] = (min(p for _, p, _ in aged), max(p for _, p, _ in aged), usual)
            else:
                self._spans[key] = None
        return self._spans[key]

    def _plane(self, basis: str, name: str):
        """(mean x, mean purchase, mean y, slope in time, slope in purchase date) of the group's aged sales, weighted
        by recency; None where they are too few, span too few purchase days, or say newer units are worth less."""
        key = (basis, name)
        if key not in self._planes:
            self._planes[key] = _plane(self.aged[basis].get(name) or [], self.half_life)
        return self._planes[key]

    def _estimate(self, category: str, model: str) -> Estimate:
        family = family_of(model)
        for basis, name in (("model", model), ("family", family), ("category", category)):
            points = self.points[basis].get(name)
            if points:
                level = self._level(points, self._slope_prior(family, category))
                return Estimate(math.exp(level), basis, len(points))
        return Estimate(None, "none", 0)

    def _slope_prior(self, family: str, category: str) -> float:
        """The family's depreciation (else the category's; else none): what a model's own slope is pulled to."""
        if family not in self._family_slope:
            points = self.points["family"].get(family) or self.points["category"].get(category)
            fitted = _fit(points, self.half_life) if points else None
            self._family_slope[family] = fitted[2] if fitted and fitted[3] >= MIN_FIT_SPAN_DAYS else 0.0
        return self._family_slope[family]

    def _level(self, points: list[tuple[float, float]], prior_slope: float) -> float:
        """The weighted line through the points, its slope shrunk towards the prior, read at the horizon."""
        mean_x, mean_y, slope, span, weight = _fit(points, self.half_life)
        own = slope if span >= MIN_FIT_SPAN_DAYS else prior_slope
        shrunk = (weight * own + SLOPE_PRIOR * prior_slope) / (weight + SLOPE_PRIOR)
        return mean_y + shrunk * (self.horizon - mean_x)


def _weights(points, half_life: float) -> list[float]:
    """A sale's weight halves every `half_life` days before the quote (a point's first value: days before it)."""
    return [0.5 ** (-point[0] / half_life) for point in points]


def _fit(points, half_life: float) -> tuple[float, float, float, float, float]:
    """(weighted means of x and y, weighted least-squares slope, span of x in days, effective number of sales)."""
    w = _weights(points, half_life)
    total = sum(w)
    mx = sum(wi * x for wi, (x, _) in zip(w, points)) / total
    my = sum(wi * y for wi, (_, y) in zip(w, points)) / total
    sxx = sum(wi * (x - mx) ** 2 for wi, (x, _) in zip(w, points))
    sxy = sum(wi * (x - mx) * (y - my) for wi, (x, y) in zip(w, points))
    xs = [x for x, _ in points]
    effective = total * total / sum(wi * wi for wi in w)
    return mx, my, (sxy / sxx if sxx > 0 else 0.0), max(xs) - min(xs), effective


def _plane(points: list[tuple[float, float, float]], half_life: float):
    if len(points) < MIN_AGED_SALES:
        return None
    purchases = [p for _, p, _ in points]
    if max(purchases) - min(purchases) < MIN_PURCHASE_SPAN_DAYS:
        return None
    w = _weights(points, half_life)
    total = sum(w)
    mx = sum(wi * x for wi, (x, _, _) in zip(w, points)) / total
    mp = sum(wi * p for wi, (_, p, _) in zip(w, points)) / total
    my = sum(wi * y for wi, (_, _, y) in zip(w, points)) / total
    sxx = sum(wi * (x - mx) ** 2 for wi, (x, _, _) in zip(w, points))
    spp = sum(wi * (p - mp) ** 2 for wi, (_, p, _) in zip(w, points))
    sxp = sum(wi * (x - mx) * (p - mp) for wi, (x, p, _) in zip(w, points))
    sxy = sum(wi * (x - mx) * (y - my) for wi, (x, _, y) in zip(w, points))
    spy = sum(wi * (p - mp) * (y - my) for wi, (_, p, y) in zip(w, points))
    det = sxx * spp - sxp * sxp
    if det <= 1e-9 * (sxx * spp or 1.0):
        return None
    bt = (sxy * spp - spy * sxp) / det
    bv = (spy * sxx - sxy * sxp) / det
    return (mx, mp, my, bt, bv) if bv > 0 else None


def _wear(rows: list[Sold]) -> dict[str, float]:
    """{category: log price per day of purchase date, within one model sold in one month}: above zero, a unit bought
    later (less worn) sells for more. Learnt only where MIN_AGED_SALES such sales exist; never below zero."""
    cells: dict[tuple[str, int, int], list[Sold]] = defaultdict(list)
    for s in rows:
        if s.purchased is not None:
            cells[(s.model, s.sold_on.year, s.sold_on.month)].append(s)
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for cell in cells.values():
        if len(cell) < 2:
            continue
        mean_p = sum(s.purchased.toordinal() for s in cell) / len(cell)
        mean_y = sum(math.log(s.price) for s in cell) / len(cell)
        for s in cell:
            d = s.purchased.toordinal() - mean_p
            acc = sums[s.category]
            acc[0] += d * (math.log(s.price) - mean_y)
            acc[1] += d * d
            acc[2] += 1
    return {c: max(sdr / sdd, 0.0) for c, (sdr, sdd, n) in sums.items() if n >= MIN_AGED_SALES and sdd > 0}


def _premiums(rows: list[Sold]) -> dict[tuple[str, str | None], float]:
    """{(category, grade): the grade's log premium over its model-month mean, centred on the category's mix}."""
    cell: dict[tuple[str, int, int], list[float]] = defaultdict(list)
    for s in rows:
        cell[(s.model, s.sold_on.year, s.sold_on.month)].append(math.log(s.price))
    means = {k: sum(v) / len(v) for k, v in cell.items()}
    diffs: dict[tuple[str, str | None], list[float]] = defaultdict(list)
    counts: dict[str, dict[str | None, int]] = defaultdict(lambda: defaultdict(int))
    for s in rows:
        if len(cell[(s.model, s.sold_on.year, s.sold_on.month)]) > 1:
            diffs[(s.category, s.grade)].append(math.log(s.price) - means[(s.model, s.sold_on.year, s.sold_on.month)])
        counts[s.category][s.grade] += 1
    raw = {k: sum(v) / len(v) for k, v in diffs.items() if v}
    mix = {c: {g: n / sum(by.values()) for g, n in by.items()} for c, by in counts.items()}
    # Premiums relative to the category's mix, so that the mix itself has no premium on average.
    premium: dict[tuple[str, str | None], float] = {}
    for category, shares in mix.items():
        centre = sum(share * raw.get((category, g), 0.0) for g, share in shares.items())
        for g in shares:
            premium[(category, g)] = raw.get((category, g), 0.0) - centre
    return premium
