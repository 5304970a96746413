-- add_days('d', 7)
(CAST(d AS date) + CAST(7 AS integer))

-- count_if('cond')
COUNT(CASE WHEN cond THEN 1 END)

-- date_trunc_to('week', 'event_ts')
CAST(DATE_TRUNC('week', event_ts) AS date)

-- day_of_month('d')
CAST(EXTRACT(DAY FROM d) AS integer)

-- days_between('later', 'earlier')
(CAST(later AS date) - CAST(earlier AS date))

-- hour_of('ts')
CAST(EXTRACT(HOUR FROM ts) AS integer)

-- iso_week('d')
CAST(EXTRACT(WEEK FROM d) AS integer)

-- iso_year('d')
CAST(EXTRACT(ISOYEAR FROM d) AS integer)

-- month_of('d')
CAST(EXTRACT(MONTH FROM d) AS integer)

-- order_nulls_last('x')
x ASC NULLS LAST

-- order_nulls_last('x', desc=True)
x DESC NULLS LAST

-- pct('num', 'den')
CAST(ROUND(CAST(CAST(CAST(100 * (CAST(num AS double precision) / NULLIF(CAST(den AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision)

-- percentile('x', 0.5)
PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY CAST(x AS double precision))

-- round_half_up('x', 2)
CAST(ROUND(CAST(CAST(CAST(x AS double precision) AS text) AS numeric), 2) AS double precision)

-- safe_div('num', 'den')
(CAST(num AS double precision) / NULLIF(CAST(den AS double precision), 0))

-- seconds_between('later_ts', 'earlier_ts')
CAST(EXTRACT(EPOCH FROM CAST(later_ts AS timestamptz)) - EXTRACT(EPOCH FROM CAST(earlier_ts AS timestamptz)) AS double precision)

-- string_agg_ordered('page', "' > '", 'event_ts')
STRING_AGG(CAST(page AS text), ' > ' ORDER BY event_ts NULLS LAST)

-- to_bigint('x')
CAST(x AS bigint)

-- to_date('x')
CAST(x AS date)

-- to_double('x')
CAST(x AS double precision)

-- to_int('x')
CAST(x AS integer)

-- to_text('x')
CAST(x AS text)

-- weekday('d')
CAST(EXTRACT(ISODOW FROM d) AS integer)
