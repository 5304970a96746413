{#-
  Cross-dialect SQL macros: one name per idea, one variant per dialect where Spark SQL and
  PostgreSQL differ. Arguments are SQL expression strings ('amount', "'-'", 'count(*)'); each
  macro returns one SQL expression. A public macro `x` calls dispatch('x'), which picks
  `<dialect>__x` (spark__x, postgres__x), else `default__x`.
  Proven on both engines by tests/framework/test_sql_macros.py.
-#}

{#- ---- casts: sql_type('double') is DOUBLE on Spark, double precision on PostgreSQL ---- -#}
{%- macro to_double(x) -%}{{ dispatch('to_double')(x) }}{%- endmacro -%}
{%- macro default__to_double(x) -%}CAST({{ x }} AS {{ sql_type('double') }}){%- endmacro -%}

{%- macro to_bigint(x) -%}{{ dispatch('to_bigint')(x) }}{%- endmacro -%}
{%- macro default__to_bigint(x) -%}CAST({{ x }} AS {{ sql_type('bigint') }}){%- endmacro -%}

{%- macro to_int(x) -%}{{ dispatch('to_int')(x) }}{%- endmacro -%}
{%- macro default__to_int(x) -%}CAST({{ x }} AS {{ sql_type('int') }}){%- endmacro -%}

{%- macro to_text(x) -%}{{ dispatch('to_text')(x) }}{%- endmacro -%}
{%- macro default__to_text(x) -%}CAST({{ x }} AS {{ sql_type('string') }}){%- endmacro -%}

{%- macro to_date(x) -%}{{ dispatch('to_date')(x) }}{%- endmacro -%}
{%- macro default__to_date(x) -%}CAST({{ x }} AS {{ sql_type('date') }}){%- endmacro -%}

{#- ---- arithmetic: always double, never integer division; x / 0 is NULL ---- -#}
{%- macro safe_div(num, den) -%}{{ dispatch('safe_div')(num, den) }}{%- endmacro -%}
{%- macro default__safe_div(num, den) -%}
({{ to_double(num) }} / NULLIF({{ to_double(den) }}, 0))
{%- endmacro -%}

{#- Half up = half away from zero, applied to the decimal a double prints as (its shortest
    round-trip digits: 2.675 -> 2.68, 1.005 -> 1.01, -1.5 -> -2), not to its exact binary value.
    Spark's ROUND on a double does exactly that (BigDecimal.valueOf); PostgreSQL has no
    round(double, int), so the double goes through its text (shortest digits) to numeric. -#}
{%- macro round_half_up(x, n) -%}{{ dispatch('round_half_up')(x, n) }}{%- endmacro -%}
{%- macro spark__round_half_up(x, n) -%}ROUND({{ to_double(x) }}, {{ n }}){%- endmacro -%}
{%- macro postgres__round_half_up(x, n) -%}
CAST(ROUND(CAST(CAST({{ to_double(x) }} AS text) AS numeric), {{ n }}) AS double precision)
{%- endmacro -%}

{%- macro pct(num, den, n=2) -%}{{ dispatch('pct')(num, den, n) }}{%- endmacro -%}
{%- macro default__pct(num, den, n) -%}
{{ round_half_up('100 * ' ~ safe_div(num, den), n) }}
{%- endmacro -%}

{#- ---- dates and times (the sessions run in UTC on both engines) ---- -#}
{%- macro date_trunc_to(unit, x) -%}{{ dispatch('date_trunc_to')(unit, x) }}{%- endmacro -%}
{%- macro default__date_trunc_to(unit, x) -%}
{%- if unit not in ('week', 'month', 'quarter', 'year') -%}
{{ fail("date_trunc_to: unit must be 'week', 'month', 'quarter' or 'year', not " ~ (unit | string)) }}
{%- endif -%}
CAST(DATE_TRUNC('{{ unit }}', {{ x }}) AS {{ sql_type('date') }})
{%- endmacro -%}

{%- macro iso_week(d) -%}{{ dispatch('iso_week')(d) }}{%- endmacro -%}
{%- macro default__iso_week(d) -%}CAST(EXTRACT(WEEK FROM {{ d }}) AS {{ sql_type('int') }}){%- endmacro -%}

{%- macro iso_year(d) -%}{{ dispatch('iso_year')(d) }}{%- endmacro -%}
{%- macro spark__iso_year(d) -%}CAST(EXTRACT(YEAROFWEEK FROM {{ d }}) AS INT){%- endmacro -%}
{%- macro postgres__iso_year(d) -%}CAST(EXTRACT(ISOYEAR FROM {{ d }}) AS integer){%- endmacro -%}

{#- Monday = 1 .. Sunday = 7 (Spark's dayofweek counts from Sunday, PostgreSQL's dow from 0) -#}
{%- macro weekday(d) -%}{{ dispatch('weekday')(d) }}{%- endmacro -%}
{%- macro spark__weekday(d) -%}CAST(EXTRACT(DAYOFWEEK_ISO FROM {{ d }}) AS INT){%- endmacro -%}
{%- macro postgres__weekday(d) -%}CAST(EXTRACT(ISODOW FROM {{ d }}) AS integer){%- endmacro -%}

{%- macro hour_of(ts) -%}{{ dispatch('hour_of')(ts) }}{%- endmacro -%}
{%- macro default__hour_of(ts) -%}CAST(EXTRACT(HOUR FROM {{ ts }}) AS {{ sql_type('int') }}){%- endmacro -%}

{%- macro day_of_month(d) -%}{{ dispatch('day_of_month')(d) }}{%- endmacro -%}
{%- macro default__day_of_month(d) -%}CAST(EXTRACT(DAY FROM {{ d }}) AS {{ sql_type('int') }}){%- endmacro -%}

{%- macro month_of(d) -%}{{ dispatch('month_of')(d) }}{%- endmacro -%}
{%- macro default__month_of(d) -%}CAST(EXTRACT(MONTH FROM {{ d }}) AS {{ sql_type('int') }}){%- endmacro -%}

{%- macro add_days(d, n) -%}{{ dispatch('add_days')(d, n) }}{%- endmacro -%}
{%- macro spark__add_days(d, n) -%}DATE_ADD(CAST({{ d }} AS DATE), CAST({{ n }} AS INT)){%- endmacro -%}
{%- macro postgres__add_days(d, n) -%}(CAST({{ d }} AS date) + CAST({{ n }} AS integer)){%- endmacro -%}

{%- macro days_between(later, earlier) -%}{{ dispatch('days_between')(later, earlier) }}{%- endmacro -%}
{%- macro spark__days_between(later, earlier) -%}
DATEDIFF(CAST({{ later }} AS DATE), CAST({{ earlier }} AS DATE))
{%- endmacro -%}
{%- macro postgres__days_between(later, earlier) -%}
(CAST({{ later }} AS date) - CAST({{ earlier }} AS date))
{%- endmacro -%}

{#- exact to the microsecond on both: an integer of microseconds (Spark) or an exact numeric
    epoch (PostgreSQL), then one rounding to double -#}
{%- macro seconds_between(later_ts, earlier_ts) -%}
{{ dispatch('seconds_between')(later_ts, earlier_ts) }}
{%- endmacro -%}
{%- macro spark__seconds_between(later_ts, earlier_ts) -%}
(CAST(UNIX_MICROS(CAST({{ later_ts }} AS TIMESTAMP)) - UNIX_MICROS(CAST({{ earlier_ts }} AS TIMESTAMP)) AS DOUBLE) / 1000000)
{%- endmacro -%}
{%- macro postgres__seconds_between(later_ts, earlier_ts) -%}
CAST(EXTRACT(EPOCH FROM CAST({{ later_ts }} AS timestamptz)) - EXTRACT(EPOCH FROM CAST({{ earlier_ts }} AS timestamptz)) AS double precision)
{%- endmacro -%}

{#- ---- aggregates ---- -#}
{#- NULL values are skipped; a group of only NULLs gives NULL. order_by: one key or a list
    ('ts', ['ts DESC', 'page']); each key gets NULLS LAST unless it says NULLS already. -#}
{%- macro string_agg_ordered(expr, sep, order_by) -%}
{{ dispatch('string_agg_ordered')(expr, sep, order_by) }}
{%- endmacro -%}
{%- macro spark__string_agg_ordered(expr, sep, order_by) -%}
LISTAGG(CAST({{ expr }} AS STRING), {{ sep }}) WITHIN GROUP (ORDER BY {{ order_keys(order_by) }})
{%- endmacro -%}
{%- macro postgres__string_agg_ordered(expr, sep, order_by) -%}
STRING_AGG(CAST({{ expr }} AS text), {{ sep }} ORDER BY {{ order_keys(order_by) }})
{%- endmacro -%}

{#- exact, linear interpolation between the closest ranks (never an approximate function); an
    aggregate only: PostgreSQL refuses it with OVER (...), so group, then join back -#}
{%- macro percentile(expr, p) -%}{{ dispatch('percentile')(expr, p) }}{%- endmacro -%}
{%- macro default__percentile(expr, p) -%}
PERCENTILE_CONT({{ p }}) WITHIN GROUP (ORDER BY {{ to_double(expr) }})
{%- endmacro -%}

{%- macro count_if(cond) -%}{{ dispatch('count_if')(cond) }}{%- endmacro -%}
{%- macro default__count_if(cond) -%}COUNT(CASE WHEN {{ cond }} THEN 1 END){%- endmacro -%}

{#- ---- ordering: Spark sorts NULL first ascending, PostgreSQL last; say it ---- -#}
{%- macro order_nulls_last(expr, desc=False) -%}{{ dispatch('order_nulls_last')(expr, desc) }}{%- endmacro -%}
{%- macro default__order_nulls_last(expr, desc) -%}
{{ expr }} {{ 'DESC' if desc else 'ASC' }} NULLS LAST
{%- endmacro -%}
