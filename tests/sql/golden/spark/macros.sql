-- add_days('d', 7)
DATE_ADD(CAST(d AS DATE), CAST(7 AS INT))

-- count_if('cond')
COUNT(CASE WHEN cond THEN 1 END)

-- date_trunc_to('week', 'event_ts')
CAST(DATE_TRUNC('week', event_ts) AS DATE)

-- day_of_month('d')
CAST(EXTRACT(DAY FROM d) AS INT)

-- days_between('later', 'earlier')
DATEDIFF(CAST(later AS DATE), CAST(earlier AS DATE))

-- hour_of('ts')
CAST(EXTRACT(HOUR FROM ts) AS INT)

-- iso_week('d')
CAST(EXTRACT(WEEK FROM d) AS INT)

-- iso_year('d')
CAST(EXTRACT(YEAROFWEEK FROM d) AS INT)

-- month_of('d')
CAST(EXTRACT(MONTH FROM d) AS INT)

-- order_nulls_last('x')
x ASC NULLS LAST

-- order_nulls_last('x', desc=True)
x DESC NULLS LAST

-- pct('num', 'den')
ROUND(CAST(100 * (CAST(num AS DOUBLE) / NULLIF(CAST(den AS DOUBLE), 0)) AS DOUBLE), 2)

-- percentile('x', 0.5)
PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY CAST(x AS DOUBLE))

-- round_half_up('x', 2)
ROUND(CAST(x AS DOUBLE), 2)

-- safe_div('num', 'den')
(CAST(num AS DOUBLE) / NULLIF(CAST(den AS DOUBLE), 0))

-- seconds_between('later_ts', 'earlier_ts')
(CAST(UNIX_MICROS(CAST(later_ts AS TIMESTAMP)) - UNIX_MICROS(CAST(earlier_ts AS TIMESTAMP)) AS DOUBLE) / 1000000)

-- string_agg_ordered('page', "' > '", 'event_ts')
LISTAGG(CAST(page AS STRING), ' > ') WITHIN GROUP (ORDER BY event_ts NULLS LAST)

-- to_bigint('x')
CAST(x AS BIGINT)

-- to_date('x')
CAST(x AS DATE)

-- to_double('x')
CAST(x AS DOUBLE)

-- to_int('x')
CAST(x AS INT)

-- to_text('x')
CAST(x AS STRING)

-- weekday('d')
CAST(EXTRACT(DAYOFWEEK_ISO FROM d) AS INT)
