#!/usr/bin/env python3
"""Writes the retail example's sample data: pipelines/retail/sample/*.csv (committed; run this
only to make them again). Deterministic: the same seed gives the same bytes.

A small home-goods retailer over six weeks (2025-03-03 .. 2025-04-13, UTC): customers, products,
orders from three channels (web, app, store; guests check out on the web without an account),
their lines, the payment provider's feed (a refund arrives as a later copy of the payment with
the new status) and weekly stock counts in three warehouses.

Messy on purpose, as exports are (pipelines/retail.yaml handles each):
- malformed records, quarantined by the sources: a sign-up date that is no date, a product row
  cut short, an order time that is no time, an order row with a column missing, a quantity
  written as a word, an amount with its currency, a stock count dated "2025-03-3x" (not a
  decimal comma: Spark's CSV reader takes "12,50" in a decimal column for 1250, unseen);
- exact repeats of rows (a re-export): customers (one with its e-mail in capitals and spaces),
  orders, a stock count; dropped by dedupe steps;
- untidy text: order statuses and channels in any case with spaces, country codes in lower
  case, a category with a trailing space, payment methods with a leading space;
- lines with quantity 0, lines naming a product nobody sells (SKU-9999), the lines and payments
  of the orders that were quarantined, negative stock counts: filtered out by steps (the
  unknown products and negative counts are also reported by warn-level checks).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
from decimal import ROUND_HALF_UP, Decimal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "pipelines", "retail", "sample")
START = dt.date(2025, 3, 3)  # a Monday
DAYS = 42
WAREHOUSES = ("BER", "LON", "NYC")
COUNTRIES = (("DE", 30), ("GB", 25), ("US", 25), ("FR", 10), ("NL", 6), ("AT", 4))
CHANNELS = (("web", 55), ("app", 30), ("store", 15))
CATEGORIES = {
    "Kitchen": ["Chef's knife", "Cast-iron pan", "Espresso cups", "Cutting board", "Salad bowl",
                "Tea kettle", "Spice rack"],
    "Bedding": ["Linen duvet cover", "Cotton sheets", "Wool blanket", "Feather pillow",
                "Weighted blanket", "Mattress topper"],
    "Bath": ["Bath towel set", "Bath mat", "Soap dispenser", "Shower curtain", "Bathrobe",
             "Towel rail"],
    "Lighting": ["Desk lamp", "Floor lamp", "Pendant shade", "LED strip", "Table lamp",
                 "Wall sconce"],
    "Furniture": ["Oak side table", "Bookshelf", "Armchair", "Bar stool", "Coffee table",
                  "Shoe cabinet", "Writing desk"],
    "Decor": ["Ceramic vase", "Wall clock", "Picture frame", "Scented candle", "Throw cushion",
              "Wall mirror"],
    "Garden": ["Planter", "Garden hose", "Pruning shears", "Outdoor lantern", "Bird feeder",
               "Watering can"],
    "Storage": ["Storage basket", "Drawer organiser", "Coat hooks", "Laundry hamper",
                "Storage boxes", "Wine rack"],
}
PRICE_RANGE = {"Kitchen": (9, 120), "Bedding": (25, 180), "Bath": (8, 90),
               "Lighting": (20, 260), "Furniture": (60, 420), "Decor": (7, 110),
               "Garden": (6, 95), "Storage": (9, 140)}
CENT = Decimal("0.01")


def money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    names, weights = zip(*weighted, strict=True)
    return rng.choices(names, weights=weights)[0]


def customers(rng: random.Random, n: int) -> list[dict]:
    rows = []
    first = dt.date(2023, 1, 1)
    span = (START + dt.timedelta(days=DAYS - 3) - first).days
    for i in range(1, n + 1):
        signup = first + dt.timedelta(days=int(span * rng.random() ** 0.7))
        rows.append({"customer_id": f"C{i:04d}", "email": f"customer{i:04d}@example.com",
                     "country": pick(rng, COUNTRIES), "signup_date": signup.isoformat(),
                     "marketing_opt_in": rng.random() < 0.45})
    return rows


def products(rng: random.Random) -> list[dict]:
    rows, number = [], 1001
    for category, names in CATEGORIES.items():
        low, high = PRICE_RANGE[category]
        for name in names:
            price = money(rng.uniform(low, high) // 1 + 0.99)
            cost = money(price * Decimal(str(round(rng.uniform(0.35, 0.65), 2))))
            rows.append({"sku": f"SKU-{number}", "product_name": name, "category": category,
                         "unit_cost": cost, "list_price": price,
                         "active": rng.random() > 0.08})
            number += 1
    return rows


def order_time(rng: random.Random, day: int) -> dt.datetime:
    hour = rng.choices(range(24), weights=[1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 9, 9, 8, 8, 8,
                                           9, 10, 11, 10, 7, 4, 2])[0]
    return dt.datetime.combine(START + dt.timedelta(days=day), dt.time(hour)) + \
        dt.timedelta(seconds=rng.randrange(3600))


def status_of(rng: random.Random, day: int) -> str:
    age = DAYS - 1 - day
    roll = rng.random()
    if roll < 0.05:
        return "cancelled"
    if age > 10 and roll < 0.09:
        return "returned"
    if age <= 1:
        return "placed" if roll < 0.7 else "shipped"
    if age <= 4:
        return "shipped" if roll < 0.7 else "delivered"
    return "delivered"


def untidy(rng: random.Random, text: str) -> str:
    """The text as some exports write it: capitalised, upper case or padded."""
    roll = rng.random()
    if roll < 0.15:
        return text.capitalize()
    if roll < 0.22:
        return f" {text.upper()} "
    return text


def orders_and_lines(rng: random.Random, people: list[dict], catalogue: list[dict],
                     per_day: int) -> tuple[list[dict], list[dict]]:
    orders, lines = [], []
    number = 100001
    # how often each customer buys: some never do, a few buy again and again
    activity = {p["customer_id"]: 0.0 if rng.random() < 0.15 else rng.paretovariate(1.2)
                for p in people}
    for day in range(DAYS):
        weekend = (START + dt.timedelta(days=day)).weekday() >= 5
        for _ in range(per_day + rng.randint(-6, 6) + (5 if weekend else 0)):
            ts = order_time(rng, day)
            channel = pick(rng, CHANNELS)
            known = [p for p in people if p["signup_date"] <= ts.date().isoformat()]
            guest = channel == "web" and rng.random() < 0.12
            buyer = None if guest else \
                rng.choices(known, [activity[p["customer_id"]] for p in known])[0]
            country = buyer["country"] if buyer else pick(rng, COUNTRIES)
            order_id = f"O{number}"
            number += 1
            orders.append({"order_id": order_id,
                           "customer_id": buyer["customer_id"] if buyer else "",
                           "order_ts": ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
                           "channel": untidy(rng, channel),
                           "status": untidy(rng, status_of(rng, day)),
                           "ship_country": country.lower() if rng.random() < 0.1 else country})
            chosen = rng.sample(catalogue, rng.choices([1, 2, 3, 4], [45, 30, 17, 8])[0])
            for line_no, product in enumerate(chosen, start=1):
                quantity = rng.choices([1, 2, 3, 4], [70, 20, 7, 3])[0]
                price = product["list_price"]
                if rng.random() < 0.15:  # a promotion: 10% off the list price
                    price = money(price * Decimal("0.9"))
                discount = Decimal("0.00")
                if rng.random() < 0.12:  # a coupon of 5-20% of the line
                    discount = money(price * quantity * Decimal(rng.choice(["0.05", "0.1",
                                                                            "0.15", "0.2"])))
                lines.append({"order_id": order_id, "line_no": line_no,
                              "sku": product["sku"], "quantity": quantity,
                              "unit_price": price, "discount": discount})
    return orders, lines


def payments(rng: random.Random, orders: list[dict], lines: list[dict]) -> list[dict]:
    """The provider's feed: one row per payment state; a refund is a later row of the same
    payment_id with status refunded."""
    due: dict[str, Decimal] = {}
    for line in lines:
        due[line["order_id"]] = due.get(line["order_id"], Decimal(0)) + \
            line["unit_price"] * line["quantity"] - line["discount"]
    rows, number = [], 500001

    def paid(order: dict, method: str, amount: Decimal, status: str, delay: int) -> dict:
        nonlocal number
        at = dt.datetime.strptime(order["order_ts"], "%Y-%m-%dT%H:%M:%SZ") + \
            dt.timedelta(seconds=delay)
        row = {"payment_id": f"P{number}", "order_id": order["order_id"],
               "paid_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
               "method": f" {method.capitalize()}" if rng.random() < 0.05 else method,
               "amount": money(amount), "status": status,
               "updated_at": at.strftime("%Y-%m-%dT%H:%M:%SZ")}
        number += 1
        rows.append(row)
        return row

    for order in orders:
        status = order["status"].strip().lower()
        amount = due[order["order_id"]]
        method = rng.choices(["card", "paypal", "bank_transfer"], [65, 28, 7])[0]
        if status == "cancelled":
            if rng.random() < 0.5:
                paid(order, method, amount, "failed", rng.randint(20, 600))
            continue
        if status == "placed" and rng.random() < 0.25:  # not paid yet
            continue
        if rng.random() < 0.04:  # a failed attempt before the one that went through
            paid(order, "card", amount, "failed", rng.randint(20, 300))
        if amount > 40 and rng.random() < 0.08:  # part on a gift card
            card = min(Decimal(rng.choice([10, 25, 40])), amount - 1)
            paid(order, "gift_card", card, "captured", rng.randint(300, 900))
            amount -= card
            if status in ("placed", "shipped") and rng.random() < 0.5:  # the rest declined
                paid(order, method, amount, "failed", rng.randint(900, 1800))
                continue
        row = paid(order, method, amount, "captured", rng.randint(300, 1800))
        if status == "returned":  # the refund: the same payment, a later state
            later = dt.datetime.strptime(row["updated_at"], "%Y-%m-%dT%H:%M:%SZ") + \
                dt.timedelta(days=rng.randint(5, 12), seconds=rng.randrange(86400))
            rows.append({**row, "status": "refunded",
                         "updated_at": later.strftime("%Y-%m-%dT%H:%M:%SZ")})
    return rows


def inventory(rng: random.Random, catalogue: list[dict]) -> list[dict]:
    rows = []
    for week in range(DAYS // 7):
        day = START + dt.timedelta(days=7 * week)
        for warehouse in WAREHOUSES:
            for product in catalogue:
                if warehouse == "NYC" and product["category"] == "Furniture":
                    continue  # not stocked there
                reorder = rng.choice([5, 10, 15, 20])
                rows.append({"snapshot_date": day.isoformat(), "warehouse": warehouse,
                             "sku": product["sku"],
                             "qty_on_hand": max(0, int(rng.gauss(reorder * 2.2, reorder))),
                             "reorder_point": reorder})
    return rows


def mess(rng: random.Random, tables: dict[str, list[dict]]) -> dict[str, list[list[str]]]:
    """Every table as rows of text, with the deliberate mistakes the pipeline must handle."""
    text = {name: [[_text(v) for v in row.values()] for row in rows]
            for name, rows in tables.items()}
    heads = {name: list(rows[0]) for name, rows in tables.items()}

    def insert(name: str, row: list[str]) -> None:
        text[name].insert(rng.randrange(1, len(text[name])), row)

    people = text["customers"]
    twin = list(people[17])
    twin[1] = f"  {twin[1].upper()} "
    insert("customers", twin)                           # the same customer, untidy e-mail
    insert("customers", list(people[42]))               # an exact repeat
    insert("customers", ["C9001", "customer9001@example.com", "DE", "31/02/2024", "true"])
    for row in rng.sample(people, 12):
        row[2] = f"{row[2].lower()} "                   # country code in lower case
    goods = text["products"]
    goods[5][2] = f"{goods[5][2]} "                      # a trailing space in a category
    insert("products", ["SKU-1099", "Gift wrap"])       # a row cut short
    orders = text["orders"]
    bad_time, short = orders[120], orders[480]
    bad_time[2] = "not-a-date"                          # quarantined: its lines and payments
    del short[3]                                        # are held back by the semi joins
    for row in rng.sample([r for r in orders if r not in (bad_time, short)], 4):
        insert("orders", list(row))                     # re-exported rows
    lines = text["order_lines"]
    for row in rng.sample(lines, 3):
        insert("order_lines", [row[0], "9", row[2], "0", row[4], "0.00"])   # quantity 0
    for row in rng.sample(lines, 2):
        insert("order_lines", [row[0], "8", "SKU-9999", "1", "19.99", "0.00"])  # unknown sku
    insert("order_lines", [lines[300][0], "7", lines[300][2], "two", lines[300][4], "0.00"])
    insert("payments", ["P599999", orders[10][0], orders[10][2], "card", "12.50 EUR",
                        "captured", orders[10][2]])     # an amount with its currency
    stock = text["inventory"]
    for row in rng.sample(stock, 2):
        row[3] = str(-rng.randint(1, 5))                # a negative count (miscount)
    insert("inventory", list(stock[33]))                # an exact repeat
    insert("inventory", ["2025-03-3x", "BER", stock[0][2], "12", "10"])
    return {name: [heads[name], *rows] for name, rows in text.items()}


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=20250303)
    parser.add_argument("--customers", type=int, default=220)
    parser.add_argument("--orders-per-day", type=int, default=24)
    parser.add_argument("--out", default=OUT)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    people = customers(rng, args.customers)
    catalogue = products(rng)
    orders, lines = orders_and_lines(rng, people, catalogue, args.orders_per_day)
    tables = {"customers": people, "products": catalogue, "orders": orders,
              "order_lines": lines, "payments": payments(rng, orders, lines),
              "inventory": inventory(rng, catalogue)}
    os.makedirs(args.out, exist_ok=True)
    for name, rows in mess(rng, tables).items():
        path = os.path.join(args.out, f"{name}.csv")
        with open(path, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
        print(f"{path}: {len(rows) - 1} rows")


if __name__ == "__main__":
    main()
