"""The scaffold `etl init NAME` writes without samples: a small orders example that uses every
section once (a CSV source with a schema file and checks, a transform step with a variable, a
SQL step, sinks with keys and column checks, a view, a query, a report, four tests), reading
the sample it ships. Each file's text, with __NAME__ standing for the pipeline's name."""

from __future__ import annotations

from framework.scaffold import parts

ORDERS_CSV = """\
order_id,customer_id,country,amount,ordered_at
o-1001,c-01,DE,19.90,2026-01-05 09:12:00
o-1002,c-02,FR,5.00,2026-01-05 10:40:00
o-1003,c-01,DE,42.50,2026-01-05 18:03:00
o-1004,c-03,US,0.00,2026-01-06 08:00:00
o-1005,c-04,US,12.00,2026-01-06 12:30:00
o-1006,c-02,FR,7.25,2026-01-06 21:15:00
o-1007,c-05,DE,99.00,2026-01-07 07:45:00
o-1008,c-03,US,15.50,2026-01-07 13:05:00
o-1009,c-06,FR,3.10,2026-01-07 16:20:00
o-1010,c-01,DE,8.80,2026-01-08 11:11:00
o-1011,c-07,US,64.00,2026-01-08 19:30:00
o-1012,c-05,DE,23.40,2026-01-08 22:59:59
"""

ORDERS_SCHEMA = """\
# The columns of sample/orders.csv, in the order of its header, with Spark SQL types.
columns:
  order_id: string
  customer_id: string
  country: string
  amount: decimal(10,2)
  ordered_at: timestamp
"""

PIPELINE_BODY = """\
description: Orders to daily revenue per country (an example to change into your own)

vars:                           # ${name} anywhere below; `etl run ... --var min_amount=10`
  min_amount: 0                 # orders at or below it are left out

""" + parts.SPARK_AND_OPTIMIZATIONS + "\n" + parts.GENERATORS + """
sources:
  orders:
    path: ${pipeline_dir}/sample/orders.csv   # shipped beside this file; your own data: a
    format: csv                               # path under --data-dir (input/orders/*.csv)
    schema: schemas/orders.yaml               # declared types: no inference pass
    on_malformed: quarantine                  # fail (default) | drop | quarantine
    checks:                                   # on the rows read, before any step
      - not_null: order_id
      - unique: order_id

steps:
  - id: valid_orders
    description: orders above the minimum amount
    transform: filter                         # a registered transform (`etl transforms filter`)
    input: orders
    params: {condition: "amount > ${min_amount}"}

  - id: daily_revenue
    description: revenue and orders per country and day
    sql: |                                    # Spark SQL; ref() names a source or step
      SELECT country, to_date(ordered_at) AS order_date,
             CAST(sum(amount) AS decimal(18,2)) AS revenue, count(*) AS orders
      FROM {{ ref('valid_orders') }}
      GROUP BY country, to_date(ordered_at)
    checks:
      - expression: "revenue > 0"

  # - id: orders_per_customer                 # more transforms: join, aggregate, dedupe, ...
  #   transform: aggregate
  #   input: valid_orders
  #   params: {group_by: [customer_id], aggregations: {orders: "count(*)", spent: "sum(amount)"}}

sinks:
  fact_daily_revenue:
    from: daily_revenue
    description: one country and day
    primary_key: [country, order_date]
    partition_by: [order_date]
    columns:                                  # descriptions, and checks on the staged table
      country: {description: the customer's country, not_null: true}
      order_date: {description: the UTC day of the orders, not_null: true}
      revenue: {description: the orders' amounts added up, range: {min: 0}}
      orders: {description: how many orders, range: {min: 1}}
  fact_orders:
    from: valid_orders
    description: one order above the minimum
    primary_key: [order_id]
    columns:
      order_id: {description: the order's id, not_null: true, unique: true}
    checks:
      - relationship: {column: country, to: fact_daily_revenue.country}

""" + parts.WAREHOUSE + """
sql:                                          # the analysts' SQL: `etl sql render`, `etl sql run`
  templates: sql                              # views/ and queries/ (macros, DDL: built in)

report: report.yaml                           # built after `etl run`; `etl report` rebuilds it
"""

VIEW = """\
-- name: v_country_revenue
-- kind: view
-- question: How much does each country bring, and how much per order?
-- grain: one row per country
-- tables: fact_daily_revenue
SELECT
    country,
    SUM(revenue) AS revenue,
    SUM(orders) AS orders,
    {{ round_half_up(safe_div('SUM(revenue)', 'SUM(orders)'), 2) }} AS revenue_per_order
FROM {{ rel('fact_daily_revenue') }}
GROUP BY country
"""

QUERY = """\
-- name: daily_revenue
-- question: How do revenue and orders develop day by day?
-- grain: one row per day
-- tables: fact_daily_revenue
SELECT order_date, SUM(revenue) AS revenue, SUM(orders) AS orders
FROM {{ rel('fact_daily_revenue') }}
GROUP BY order_date
ORDER BY order_date
"""

REPORT = """\
# The report `etl run` builds after a run (`etl report` builds it again): cards and sections,
# each naming a query or view of the pipeline's sql: section.
title: __NAME__
subtitle: Revenue per day and country

cards:
  - label: Revenue
    query: daily_revenue
    column: revenue
    agg: sum
    format: currency
  - label: Orders
    query: daily_revenue
    column: orders
    agg: sum
    format: integer

sections:
  - id: daily
    title: Revenue per day
    query: daily_revenue
    charts:
      - id: daily_revenue
        kind: line
        title: Revenue per day
        x: order_date
        y: revenue
        x_label: Day (UTC)
        y_label: Revenue
        format: currency
  - id: countries
    title: Revenue per country
    query: v_country_revenue
    charts:
      - id: country_revenue
        kind: bar
        title: Revenue per country
        x: country
        y: revenue
        x_label: Country
        y_label: Revenue
        format: currency
"""

TESTS = """\
# Tests of __NAME__.yaml: `etl test __NAME__/__NAME__.yaml`. Each gives rows for what its
# target reads (a source's rows get its schema; columns left out are null) and the rows the
# target must compute, worked out by hand. README: Testing a pipeline.
tests:
  - name: orders above the minimum amount are kept
    target: valid_orders
    given:
      orders:
        - {order_id: o1, amount: "10.00"}
        - {order_id: o2, amount: "0.00"}
        - {order_id: o3, amount: "0.01"}
    expect:
      - {order_id: o1}
      - {order_id: o3}

  - name: a higher minimum leaves out more
    target: valid_orders
    vars: {min_amount: 5}
    given:
      orders:
        - {order_id: o1, amount: "10.00"}
        - {order_id: o2, amount: "5.00"}
        - {order_id: o3, amount: "0.01"}
    expect:
      - {order_id: o1}

  - name: revenue per country and UTC day
    target: daily_revenue
    given:
      valid_orders:
        - {order_id: o1, country: DE, amount: "19.90", ordered_at: "2026-01-05 09:00:00"}
        - {order_id: o2, country: DE, amount: "42.50", ordered_at: "2026-01-05 18:00:00"}
        - {order_id: o3, country: FR, amount: "5.00", ordered_at: "2026-01-05 23:59:59"}
        - {order_id: o4, country: FR, amount: "7.25", ordered_at: "2026-01-06 00:00:00"}
    expect:
      key: [country, order_date]
      extra_columns: fail
      rows:
        - {country: DE, order_date: "2026-01-05", revenue: "62.40", orders: 2}
        - {country: FR, order_date: "2026-01-05", revenue: "5.00", orders: 1}
        - {country: FR, order_date: "2026-01-06", revenue: "7.25", orders: 1}

  - name: the daily table as published
    target: fact_daily_revenue
    given:
      daily_revenue:
        - {country: DE, order_date: "2026-01-05", revenue: "62.40", orders: 2}
    expect:
      - {country: DE, order_date: "2026-01-05", revenue: "62.40", orders: 2}
"""


def files(name: str) -> dict[str, str]:
    """Path in the folder -> text."""
    pipeline = parts.head(name, "an example pipeline over sample orders") + PIPELINE_BODY
    out = {
        f"{name}.yaml": pipeline,
        f"{name}.tests.yaml": TESTS,
        "schemas/orders.yaml": ORDERS_SCHEMA,
        "sql/views/v_country_revenue.sql": VIEW,
        "sql/queries/daily_revenue.sql": QUERY,
        "report.yaml": REPORT,
        "sample/orders.csv": ORDERS_CSV,
        "README.md": parts.readme(name, "An example over `sample/orders.csv`: change it into "
                                        "your pipeline, or start again with `etl init NAME "
                                        "--from <folder of CSV files>`."),
    }
    return {path: text.replace("__NAME__", name) for path, text in out.items()}
