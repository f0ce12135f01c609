"""Benchmark of buy-quote accuracy and speed.

    python bench/pricing.py [--seed 7] [--months 36] [--held-out 12] [--url postgresql://...] [--only sqlite]

1. Accuracy. A sales history with the trade's structure is built (seeded, so a run can be repeated):
   models launched over three years, each losing a share of its price every month at its own rate; grade
   premiums (A over B over C over D) and a grade mix; a model whose price drops when its successor in the same
   family launches; thin data for new models (few sales in their first months); each unit bought some time
   between its model's launch and its sale, an older unit more worn (its grade likelier to be low, its battery
   worth less); price noise. Each of the last
   `--held-out` months is quoted from the sales before it (itad.inventory.estimate, with nothing of that month
   known, the grade unknown as at quoting, the purchase date known as an asset list says it), and each sale of the
   month is set against its quote; the same quote without the purchase dates is printed too. Printed beside it,
   from the same run: two baselines, the category's median price over the last 90 days and the model's last
   sale price (the category median where the model never sold). Target: a mean absolute percentage error at
   least 25% lower than the better baseline.
2. Speed, on a fresh SQLite file and a fresh PostgreSQL database (created on --url's server, dropped after). A
   10,000-line asset list (with a purchase date per line) is registered and quoted through the service
   (itad.inventory.quotes: the sales history read, the purchase dates read, every line estimated, the quote and its
   lines written). Target: under 2 s. Floor, same run and
   database: reading the same sales history and inserting 10,000 rows of the quote line's width with a bare
   executemany.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))     # after the project: bench/certificates.py must not shadow it

import databases  # noqa: E402  (bench/databases.py)
from itad.inventory.estimate import Estimator, Sold  # noqa: E402

TARGET_IMPROVEMENT = 0.25
QUOTE_LINES = 10_000
QUOTE_TARGET_S = 2.0
GRADES = (("A", 0.20, math.log(1.15)), ("B", 0.45, 0.0), ("C", 0.25, math.log(0.80)), ("D", 0.10, math.log(0.55)))
CATEGORIES = {
    # category: (families: (make, family word, models per family), launch price range, monthly loss range)
    "laptop": ((("DELL", "LATITUDE", 6), ("HP", "ELITEBOOK", 5), ("LENOVO", "THINKPAD", 6)), (600, 1500), (0.015, 0.035)),
    "phone": ((("APPLE", "IPHONE", 6), ("SAMSUNG", "GALAXY", 5)), (400, 1100), (0.020, 0.045)),
    "tablet": ((("APPLE", "IPAD", 4), ("SAMSUNG", "TAB", 3)), (300, 900), (0.015, 0.030)),
}
# Wear: per year of a unit's age, each grade's odds move by this (log) and the price by WEAR_PRICE (battery, parts).
WEAR_ODDS = {"A": -0.6, "B": 0.0, "C": 0.4, "D": 0.8}
WEAR_PRICE = math.log(0.96)
SUCCESSOR_DROP = (0.12, 0.25)      # a model's price steps down by this share when the next one of its family launches
NOISE = 0.10                       # sd of the log price of a sale around its model, grade and month


@dataclass
class Model:
    category: str
    key: str
    launch: date
    price: float
    monthly_loss: float
    successor_launch: date | None
    drop: float
    popularity: float


def build_models(rng: random.Random, start: date, months: int) -> list[Model]:
    models = []
    for category, (families, (low, high), (loss_low, loss_high)) in CATEGORIES.items():
        for make, word, count in families:
            # Launches spread over the period and the year before it; each model in a family succeeds the last.
            span = (months + 12) * 30
            launches = sorted(start - timedelta(days=360) + timedelta(days=rng.randrange(span)) for _ in range(count))
            for n, launch in enumerate(launches):
                successor = launches[n + 1] if n + 1 < count else None
                models.append(Model(category, f"{make}|{word}-{100 + 10 * n}", launch, rng.uniform(low, high),
                                    rng.uniform(loss_low, loss_high), successor, rng.uniform(*SUCCESSOR_DROP),
                                    rng.uniform(2, 25)))
    return models


def price_of(model: Model, day: date) -> float:
    """The model's grade-B price on a day: depreciation since launch, and the step at its successor's launch."""
    months = (day - model.launch).days / 30.4
    price = model.price * (1 - model.monthly_loss) ** months
    if model.successor_launch and day >= model.successor_launch:
        price *= 1 - model.drop
    return price


def build_sales(rng: random.Random, models: list[Model], start: date, months: int) -> list[Sold]:
    sales = []
    for m in range(months):
        first = _month(start, m)
        days = (_month(start, m + 1) - first).days
        for model in models:
            if model.launch >= first + timedelta(days=days):
                continue
            age = (first - model.launch).days / 30.4
            ramp = min(1.0, max(0.15, age / 3))          # thin data for new models
            for _ in range(_poisson(rng, model.popularity * ramp)):
                day = first + timedelta(days=rng.randrange(days))
                if day < model.launch:
                    continue
                # Bought between the launch and the sale (enterprise fleets buy a model over its first years).
                bought = model.launch + timedelta(days=rng.randrange(max((day - model.launch).days, 1)))
                years = (day - bought).days / 365.25
                grade = rng.choices([g for g, _, _ in GRADES],
                                    [w * math.exp(WEAR_ODDS[g] * years) for g, w, _ in GRADES])[0]
                premium = dict((g, p) for g, _, p in GRADES)[grade]
                price = price_of(model, day) * math.exp(premium + WEAR_PRICE * years + rng.gauss(0, NOISE))
                sales.append(Sold(day, model.category, model.key, grade, round(price, 2), bought))
    return sorted(sales, key=lambda s: s.sold_on)


def _month(start: date, m: int) -> date:
    y, mo = divmod(start.month - 1 + m, 12)
    return date(start.year + y, mo + 1, 1)


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method: lam stays small here.
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def accuracy(sales: list[Sold], start: date, months: int, held_out: int) -> dict[str, list[float]]:
    """Absolute percentage errors of each method over the held-out months' sales."""
    errors: dict[str, list[float]] = {"quote": [], "quote, no age": [], "category median": [],
                                      "model's last sale": []}
    bias: list[float] = []
    for m in range(months - held_out, months):
        first, after = _month(start, m), _month(start, m + 1)
        before = [s for s in sales if s.sold_on < first]
        month = [s for s in sales if first <= s.sold_on < after]
        estimator = Estimator(before, first)
        recent = [s for s in before if (first - s.sold_on).days <= 90]
        category_median = {c: statistics.median([s.price for s in recent if s.category == c])
                           for c in {s.category for s in recent}}
        last_sale: dict[str, float] = {}
        for s in before:
            last_sale[s.model] = s.price
        for s in month:
            quote = estimator.estimate(s.category, s.model, s.purchased).value
            ageless = estimator.estimate(s.category, s.model).value
            median = category_median.get(s.category)
            if quote is None or median is None:
                continue
            errors["quote"].append(abs(quote - s.price) / s.price)
            errors["quote, no age"].append(abs(ageless - s.price) / s.price)
            bias.append((quote - s.price) / s.price)
            errors["category median"].append(abs(median - s.price) / s.price)
            errors["model's last sale"].append(abs(last_sale.get(s.model, median) - s.price) / s.price)
    errors["_bias"] = bias
    return errors


def speed(url: str, sales: list[Sold]) -> tuple[float, float]:
    """(seconds to quote a 10,000-line list through the service, the floor's seconds)."""
    from decimal import Decimal

    import sqlalchemy as sa

    from itad import create_app
    from itad.inventory import quotes
    from itad.models import Batch, Device, InventoryItem, Sale, db
    from tests.factories import World

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "STORAGE_DIR": tempfile.mkdtemp()})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        world = World.build(db.session)
        history = Batch(organization_id=world.globex.org.id, reference="HISTORY", status="closed")
        db.session.add(history)
        db.session.flush()
        # The sales history as rows: a device, its sold stock row and its sale each (bulk, not timed).
        devices = [{"batch_id": history.id, "organization_id": world.globex.org.id, "serial": f"H{i:07d}",
                    "manufacturer": s.model.split("|")[0], "model": s.model.split("|")[1], "category": s.category,
                    "state": "sold", "manifest_row": i + 2,
                    "attributes": {"Purchase Date": s.purchased.isoformat()}} for i, s in enumerate(sales)]
        db.session.execute(sa.insert(Device), devices)
        ids = db.session.scalars(sa.select(Device.id).where(Device.batch_id == history.id).order_by(Device.id)).all()
        db.session.execute(sa.insert(InventoryItem), [
            {"device_id": d, "batch_id": history.id, "organization_id": world.globex.org.id, "sku": s.model,
             "category": s.category, "grade": s.grade, "status": "sold", "currency": "EUR"}
            for d, s in zip(ids, sales)])
        items = dict(db.session.execute(sa.select(InventoryItem.device_id, InventoryItem.id)
                                        .where(InventoryItem.batch_id == history.id)).all())
        db.session.execute(sa.insert(Sale), [
            {"item_id": items[d], "device_id": d, "batch_id": history.id, "organization_id": world.globex.org.id,
             "sku": s.model, "model_key": s.model, "grade": s.grade, "price": Decimal(str(s.price)), "fee": 0,
             "currency": "EUR", "buyer_reference": "b", "sold_on": s.sold_on} for d, s in zip(ids, sales)])
        models = sorted({s.model for s in sales})
        # The list dates each purchase as a US spreadsheet writes it (month first, two-digit year).
        bought = [sales[i * 7 % len(sales)].purchased for i in range(QUOTE_LINES)]
        rows = "Serial,Make,Model,Category,Purchase Date\n" + "".join(
            f"Q{i:07d},{models[i % len(models)].split('|')[0]},{models[i % len(models)].split('|')[1]},"
            f"{next(s.category for s in sales if s.model == models[i % len(models)])},"
            f"{b.month}/{b.day}/{b.year % 100:02d}\n" for i, b in enumerate(bought))
        from itad.intake import service

        batch = service.register_batch(db.session, organization=world.acme.org, actor=world.acme.user,
                                       reference="TO-QUOTE", data=rows.encode(), filename="q.csv",
                                       max_rows=QUOTE_LINES).batch
        db.session.commit()
        as_of = sales[-1].sold_on + timedelta(days=1)

        started = time.perf_counter()
        quote = quotes.quote_batch(db.session, world.admin.user, batch, currency="EUR", as_of=as_of)
        db.session.commit()
        took = time.perf_counter() - started
        assert quote.lines == QUOTE_LINES and quote.aged > QUOTE_LINES // 2, (quote.lines, quote.aged)

        # Floor: the same history read, and 10,000 rows of a quote line's width inserted by executemany.
        scratch = sa.Table("bench_quote_floor", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                           sa.Column("quote_id", sa.Integer), sa.Column("device_id", sa.Integer),
                           sa.Column("expected", sa.Numeric(12, 2)), sa.Column("basis", sa.String(16)),
                           sa.Column("sales_count", sa.Integer))
        scratch.create(db.engine)
        started = time.perf_counter()
        list(db.session.execute(sa.select(Sale.sold_on, Sale.model_key, Sale.grade, Sale.price, InventoryItem.category,
                                          Device.attributes)
                                .join(InventoryItem, InventoryItem.id == Sale.item_id)
                                .join(Device, Device.id == Sale.device_id).where(Sale.currency == "EUR")))
        db.session.execute(scratch.insert(), [{"quote_id": 1, "device_id": i, "expected": Decimal("123.45"),
                                               "basis": "model", "sales_count": 9} for i in range(QUOTE_LINES)])
        db.session.commit()
        floor = time.perf_counter() - started
        scratch.drop(db.engine)
    return took, floor


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--held-out", type=int, default=12)
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
                        help="a PostgreSQL server (admin connection) for the speed part's fresh database")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="the speed part on one database only")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    start = date(2023, 1, 1)
    models = build_models(rng, start, args.months)
    sales = build_sales(rng, models, start, args.months)
    print(f"history: {len(sales):,} sales of {len(models)} models in {len(CATEGORIES)} categories over "
          f"{args.months} months; quoting the last {args.held_out} months from what came before")

    errors = accuracy(sales, start, args.months, args.held_out)
    bias = errors.pop("_bias")
    print(f"  (each method quotes a unit before it is graded; grades alone spread prices by about 20%)")
    mape = {name: statistics.mean(e) for name, e in errors.items()}
    for name, e in errors.items():
        print(f"  {name:<20} MAPE {100 * mape[name]:5.1f}%   median APE {100 * statistics.median(e):5.1f}%   "
              f"({len(e):,} sales)")
    print(f"  quote bias: median signed error {100 * statistics.median(bias):+.1f}%, mean {100 * statistics.mean(bias):+.1f}% "
          "(below zero: quotes ran low)")
    print(f"  the purchase dates lower the quote's MAPE by {100 * (1 - mape['quote'] / mape['quote, no age']):.0f}%")
    better = min(mape["category median"], mape["model's last sale"])
    gain = 1 - mape["quote"] / better
    accurate = gain >= TARGET_IMPROVEMENT
    print(f"accuracy: {100 * gain:.0f}% lower MAPE than the better baseline (target >= "
          f"{100 * TARGET_IMPROVEMENT:.0f}%): {'PASS' if accurate else 'FAIL'}")

    fast = True
    for kind in ("sqlite", "postgresql"):
        if args.only and args.only != kind:
            continue
        with databases.fresh(kind, args.url) as url:
            took, floor = speed(url, sales)
        fast &= took < QUOTE_TARGET_S
        print(f"speed, {kind}: quoting a {QUOTE_LINES:,}-line asset list took {took:.2f} s (target < "
              f"{QUOTE_TARGET_S:.0f} s): {'PASS' if took < QUOTE_TARGET_S else 'FAIL'}; floor (the history read and "
              f"a bare insert of {QUOTE_LINES:,} rows) {floor:.2f} s, ratio {took / floor:.1f}x")
    return 0 if accurate and fast else 1


if __name__ == "__main__":
    sys.exit(main())
