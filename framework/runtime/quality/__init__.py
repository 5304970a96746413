"""Data-quality checks run on a DataFrame: the engine behind `checks:` on sources, steps and
sinks (the rules themselves: framework.checks).

For one checked table, `run_checks`:
  1. caches it (unless the plan already has, or it makes one job at most), so every job below
     reads it once from memory;
  2. runs ONE aggregate pass of its own (`rules.tallies`): the row count, the failing rows of
     every row-wise and uniqueness rule (column rules included: pandera does not count them),
     the newest value of each freshness column, the orphans of each relationship -- one Spark
     job (plus the reads of the relationships' keys). What Spark can observe (the rows, the
     row-wise rules, freshness: `observed_tallies`) is better counted by a query that reads the
     rows anyway -- a source's counting pass, an overwrite sink's write -- and handed in as
     `observed`: then the pass counts only the rest (uniqueness, relationships), or is skipped;
  3. validates column rules through pandera's PySpark backend (`pandera_rules`): its verdict
     and message, a job per rule -- by default only the rules step 2 found failing rows for,
     and the type rule (no job); ETL_QUALITY_PANDERA=all validates every one;
  4. counts each query's rows (`spark.sql(text, this=df, **other tables)`) -- a relationship's
     orphans are counted by the pass (the other table's distinct keys left-joined first);
  5. writes up to 20 failing rows of each failed or warned check (`samples`);
and returns one result record per check (the run record's `quality` list). Which check failed
is decided by `CheckSpec.status` from the counted failing rows and the thresholds.
"""

from __future__ import annotations

import string
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from framework.checks import COLUMN_RULES, CheckSpec, Threshold
from framework.checks import summary_line as checks_summary
from framework.errors import EtlError, did_you_mean, printable
from framework.masking import hide
from framework.runtime.quality import pandera_rules, rules, samples

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame


@dataclass(frozen=True)
class Target:
    """What is checked and where its results go."""

    task: str  # the plan task's key: "sink:fact_events"
    at: str  # source | step | sink
    table: str  # the source's or step's id, the sink's table
    data_dir: str
    run_id: str
    started: float  # the run's start, epoch seconds (freshness is measured from it)
    frames: Callable[[str], DataFrame]  # another table by sink name or source/step id
    sample_rows: int = samples.SAMPLE_ROWS
    secrets: tuple[str, ...] = ()  # the pipeline's secret values: kept out of the samples


@dataclass
class _Count:
    failing: int
    rows: int
    engine: str
    seconds: float = 0.0
    detail: str | None = None
    sample: DataFrame | None = None


def run_checks(df: DataFrame, checks: Sequence[CheckSpec], target: Target,
               cache: bool = True, observed: Mapping[str, Any] | None = None) -> list[dict]:
    """Run `checks` on `df`; one result record per check, in the order given. `df` is cached
    while checked when `cache` says so and it is not already (a staged Parquet table is not:
    each job reads only the columns it needs from the files, cheaper than caching them all).
    `observed`: the metrics of an Observation of `observed_tallies(...)` on a query that
    computed exactly `df`'s rows (a read's counting pass, an overwrite's write): the rules it
    counted are not counted again, and the aggregate pass runs only when a rule Spark cannot
    observe (a distinct count, a relationship's join) is left."""
    if not checks:
        return []
    _require_columns(df, checks, target)
    cached = cache and not df.is_cached and jobs(checks, observed) > 1
    if cached:
        df = df.persist()
    try:
        counts = _aggregate(df, checks, target, observed)
        for i, check in enumerate(checks):
            if check.rule in COLUMN_RULES and pandera_rules.wanted(check, counts[i].failing):
                _pandera(df, check, counts[i])
            elif check.rule == "query":
                counts[i] = _query(df, check, counts[i].rows, target)
        return _results(df, checks, counts, target)
    finally:
        if cached:
            df.unpersist()


def observed_tallies(df: DataFrame, checks: Sequence[CheckSpec], target: Target,
                     where: Column | None = None) -> list[Column]:
    """The aggregates to observe (`DataFrame.observe`) on the query that reads or writes `df`'s
    rows anyway, so the row-wise rules, freshness and the row count cost no pass of their own;
    give the Observation's metrics to `run_checks(observed=...)`. `where`: only the rows it
    holds for are `df`'s (a read's good records among the malformed ones). Every check is
    checked first (its columns exist, Spark accepts its expression: analysis, no job), so a
    broken check stops the task before any work."""
    from pyspark.sql import functions as F

    _require_columns(df, checks, target)
    wanted = [(i, c) for i, c in enumerate(checks) if rules.observable(c)]
    tallies = [t for i, c in wanted for t in rules.tallies(i, c)]  # row_count needs none
    if tallies and not _observable(df, tallies):
        try:
            _ = df.agg(*tallies).schema
        except Exception as exc:  # noqa: BLE001 (AnalysisException, ParseException, ...)
            raise _which_failed(df, checks, target, exc) from exc
        # Spark takes them in an aggregation but not in an observation (a non-deterministic
        # expression, say): those are left to the aggregate pass
        wanted = [(i, c) for i, c in wanted
                  if not rules.tallies(i, c) or _observable(df, rules.tallies(i, c))]
    rows = F.count(F.lit(1)) if where is None else F.count_if(where)
    return [rows.alias(OBSERVED_ROWS), *[t for i, c in wanted for t in rules.tallies(i, c, where)]]


def _observable(df: DataFrame, tallies: list[Column]) -> bool:
    """Spark's analysis accepts these aggregates in an observation of `df` (no job)."""
    try:
        _ = df.observe("__etl_probe", *tallies).schema
    except Exception:  # noqa: BLE001 (AnalysisException, ParseException, ...)
        return False
    return True


OBSERVED_ROWS = "__etl_checked_rows"


def jobs(checks: Sequence[CheckSpec], observed: Mapping[str, Any] | None) -> int:
    """About how many Spark jobs `run_checks` makes (caching the table pays from two)."""
    passes = observed is None or any(
        c.rule not in ("query", "type", "row_count") and f"q{i}" not in observed
        for i, c in enumerate(checks))
    return int(passes) + sum(c.rule == "query" for c in checks)


def _require_columns(df: DataFrame, checks: Sequence[CheckSpec], target: Target) -> None:
    """Every column a check names is in the table: all the missing ones in one error."""
    have = set(df.columns)
    problems = [f"{check.name}{_at(check)}: no column {printable(c)!r} in {target.table!r}"
                + (f" ({did_you_mean(c, have)})" if did_you_mean(c, have) else "")
                for check in checks for c in rules.columns_of(check) if c not in have]
    if problems:
        raise EtlError(f"{target.task}: checks name columns the table does not have:\n  "
                       + "\n  ".join(problems),
                       hint=f"the table's columns are {', '.join(df.columns)}; fix the checks")


def _at(check: CheckSpec) -> str:
    return f" ({check.loc})" if check.loc else ""


# -- 2. the one aggregate pass -------------------------------------------------------------------


def _aggregate(df: DataFrame, checks: Sequence[CheckSpec], target: Target,
               observed: Mapping[str, Any] | None = None) -> list[_Count]:
    """Every count in one Spark job: the rows, each rule's failing rows, each freshness
    column's newest value, and each relationship's orphans -- the other table's distinct keys
    left-joined first (distinct, so no row is repeated; small key sets are broadcast). What
    `observed` holds is taken from it; no job when nothing is left to count."""
    from pyspark.sql import functions as F

    seen = set() if observed is None else {
        i for i, c in enumerate(checks) if f"q{i}" in observed or c.rule == "row_count"}
    exprs = [] if observed is not None else [F.count(F.lit(1)).alias("rows")]
    joined, orphans = df, {}
    for i, check in enumerate(checks):
        if i in seen:
            continue
        exprs += rules.tallies(i, check)
        if check.rule == "relationship":
            key, found = rules.col(check.params["column"]), F.col(f"__etl_key{i}")
            orphans[i] = _keys(check, target, f"__etl_key{i}")
            joined = joined.join(orphans[i], key == found, "left")
            exprs.append(F.count_if(key.isNotNull() & found.isNull()).alias(f"q{i}"))
    t0 = time.monotonic()
    row: dict[str, Any] = {}
    if exprs:
        try:
            row = joined.agg(*exprs).first().asDict()
        except Exception as exc:
            raise _which_failed(df, checks, target, exc) from exc
    seconds = time.monotonic() - t0
    if observed is not None:
        row.update({f"q{i}": observed.get(f"q{i}") for i in seen},
                   rows=observed[OBSERVED_ROWS])
    rows = int(row["rows"])
    counted = [i for i in range(len(checks)) if i not in seen
               and (f"q{i}" in row or checks[i].rule == "row_count")]
    share = round(seconds / max(len(counted), 1), 3)
    counts = []
    for i, check in enumerate(checks):
        failing, detail = rules.table_verdict(check, row.get(f"q{i}"), rows, target.started)
        counts.append(_Count(failing, rows, "observed" if i in seen else "aggregate",
                             share if i in counted else 0.0, detail or None))
        if i in orphans and failing:  # the rows to show: found again only when there are some
            key = rules.col(check.params["column"])
            counts[i].sample = df.filter(key.isNotNull()).join(
                orphans[i], key == F.col(f"__etl_key{i}"), "left_anti")
    return counts


def _which_failed(df: DataFrame, checks: Sequence[CheckSpec], target: Target,
                  exc: Exception) -> Exception:
    """The aggregate pass did not run: find the check whose expression Spark refuses."""
    for i, check in enumerate(checks):
        if not rules.tallies(i, check):  # nothing Spark could refuse (row_count: the rows)
            continue
        try:
            _ = df.agg(*rules.tallies(i, check)).schema  # analysis only, no job
        except Exception as bad:  # noqa: BLE001 (AnalysisException, ParseException, ...)
            return EtlError(f"{target.task}: check {check.name}{_at(check)} cannot run: "
                            f"{printable(_reason(bad))}",
                            hint="fix the check's expression (Spark SQL, over the table's "
                                 f"columns: {', '.join(df.columns)})")
    return exc


def _reason(exc: BaseException) -> str:
    """What Spark said, in a line: a JVM error's Java exception (Py4J's own first line only
    says which call failed), else the first line of the message."""
    java = getattr(exc, "java_exception", None)
    text = ""
    if java is not None:
        try:
            text = str(java.toString())
        except Exception:  # noqa: BLE001 (the JVM may be gone)
            text = ""
    text = text or str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:400]


# -- 3. pandera ----------------------------------------------------------------------------------


def _pandera(df: DataFrame, check: CheckSpec, count: _Count) -> None:
    verdict = pandera_rules.validate(df, check)
    count.engine, count.seconds = "pandera", round(count.seconds + verdict.seconds, 3)
    if check.rule == "type":  # a column of another type fails as a whole
        count.failing = 0 if verdict.passed else count.rows
        count.detail = verdict.message
    elif verdict.passed != (count.failing == 0):  # never expected: say so rather than hide it
        count.detail = (f"pandera {'passed' if verdict.passed else 'failed'} it, but "
                        f"{count.failing} failing row(s) were counted"
                        + (f": {verdict.message}" if verdict.message else ""))
    else:
        count.detail = verdict.message


# -- 4. relationships and queries ----------------------------------------------------------------


def _keys(check: CheckSpec, target: Target, alias: str) -> DataFrame:
    """The distinct keys of a relationship's other table (`to: <table>.<column>`), as `alias`."""
    table, _, other_col = str(check.params["to"]).rpartition(".")
    other = target.frames(table)
    if other_col not in other.columns:
        raise EtlError(f"{target.task}: check {check.name}{_at(check)}: {table!r} has no column "
                       f"{printable(other_col)!r}",
                       hint=did_you_mean(other_col, other.columns,
                                         f"its columns are {', '.join(other.columns)}"))
    return other.select(rules.col(other_col).alias(alias)).distinct()


def _query(df: DataFrame, check: CheckSpec, rows: int, target: Target) -> _Count:
    """The query's rows are the failing ones; `{this}` is the checked table."""
    text = str(check.params["sql"])
    names = {f for _, f, _, _ in string.Formatter().parse(text) if f and f != "this"}
    frames = {name: target.frames(name) for name in sorted(names)}
    try:
        found = df.sparkSession.sql(text, this=df, **frames)
        t0 = time.monotonic()
        failing = found.count()
    except Exception as exc:
        raise EtlError(f"{target.task}: check {check.name}{_at(check)} cannot run: "
                       f"{printable(_reason(exc))}",
                       hint="fix the query: Spark SQL returning the failing rows, {this} for "
                            "the checked table, {<id>} for another source, step or sink") from exc
    return _Count(failing, rows, "query", round(time.monotonic() - t0, 3), sample=found)


# -- 5. results and samples ----------------------------------------------------------------------


def _results(df: DataFrame, checks: Sequence[CheckSpec], counts: list[_Count],
             target: Target) -> list[dict]:
    out = []
    names = samples.slugs(hide(c.name, target.secrets) for c in checks)
    for check, count, slug in zip(checks, counts, names, strict=True):
        status = check.status(count.failing, count.rows)
        path = None
        if status != "passed" and count.failing:
            frame = count.sample if count.sample is not None else rules.sample_frame(check, df)
            if frame is not None:
                where = samples.folder(target.data_dir, target.table, target.run_id)
                path = samples.write(frame, where, slug, target.sample_rows, target.secrets)
        out.append(result(target, check, status, count.failing, count.rows, count.engine,
                          count.seconds, path, count.detail))
    return out


def result(target: Target, check: CheckSpec, status: str, failing: int, rows: int, engine: str,
           seconds: float, samples_path: str | None = None, detail: str | None = None) -> dict:
    """One entry of the run record's `quality` list."""
    return {
        "task": target.task, "at": target.at, "table": target.table, "check": check.name,
        "rule": check.rule, "column": check.column, "severity": check.severity,
        "status": status, "failing": int(failing), "rows": int(rows),
        "share": round(failing / rows, 6) if rows else 0.0,
        "threshold": threshold_text(_deciding(check, status)), "samples": samples_path,
        "engine": engine, "seconds": seconds, "detail": detail,
    }


def _deciding(check: CheckSpec, status: str) -> Threshold:
    if status == "failed" or (status == "passed" and check.severity == "error"):
        return check.error_if
    return check.warn_if


def threshold_text(t: Threshold) -> str:
    if t.text:
        return t.text
    value = f"{t.value:g}"
    return f"{t.op} {value}%" if t.share else f"{t.op} {value}"


def describe(r: dict[str, Any]) -> str:
    """`not_null(event_id): 3 of 1,000 rows (0.3%) fail [error_if > 0]; samples: <path>`."""
    rule_wide = r["rule"] in ("row_count", "freshness", "type")
    what = (r["detail"] or "fails") if rule_wide else \
        f"{r['failing']:,} of {r['rows']:,} rows ({percent(r['failing'], r['rows'])}) fail"
    text = f"{r['check']}: {what} [{r['threshold']}]"
    return text + (f"; samples: {r['samples']}" if r["samples"] else "")


def percent(part: int, whole: int) -> str:
    """`part` of `whole` as a short percentage: `0.029%`, `2.5%`, `33%`, `100%`; never `1e+02%`
    (`.2g` of 99.5 or more), and never `100%` while a row passes."""
    pct = 100 * part / whole if whole else 0.0
    text = f"{pct:.2g}" if pct < 10 else f"{pct:.0f}"
    return (">99" if text == "100" and part < whole else text) + "%"


def summary_line(results: Sequence[dict]) -> str:
    """`42 checks: 40 passed, 2 warned, 0 failed`."""
    return checks_summary([r["status"] for r in results])
