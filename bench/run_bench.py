"""Benchmarks of `etl run` (never timed tests): default scale; ~1M events against three baselines
on the same raw files, interleaved (bench/skilled_etl.py, a skilled engineer's PySpark script;
bench/handwritten_etl.py, the seed-style script on Spark's defaults; bench/duckdb_etl.py, DuckDB
SQL on 2 threads), each producing the seven tables the pipeline publishes; the storage claims on
that warehouse (bench/storage_bench.py); ~10M events with the driver's peak memory, against the
skilled script once.

`etl run` is timed with --no-report (the baselines build no report; bench/report_bench.py times
the report). The seed-style script takes minutes at ~1M events: it runs --seed-repeat times (1 by
default), the others --repeat times.

usage: python bench/run_bench.py [--repeat 3] [--seed-repeat 1] [--skip-large] [--work DIR]
                                 [--only SCENARIO ...]
Prints a Markdown table of medians and ratios and writes bench/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PIPELINE = os.path.join(ROOT, "pipelines", "clickstream.yaml")
ETL = [sys.executable, "-m", "framework.cli"]
EVENTS_PER_SESSION = 11.5  # the mean of 3..20
BENCH = os.path.join(ROOT, "bench")
BASELINES = {"skilled": "skilled_etl.py", "seed_style": "handwritten_etl.py",
             "duckdb": "duckdb_etl.py"}


class BenchFailed(RuntimeError):
    """A benchmarked command exited non-zero; the scenario is reported as failed."""


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if ppid == pid:
            out.append(int(entry))
    return out


def _cpu_ticks(pid: int) -> int:
    """User + system CPU time the process has used so far, in clock ticks."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return 0


def _rss(pid: int) -> tuple[str, int]:
    """The process's program (the executable's name: `java`, `python3.11`, `bash`) and RSS."""
    try:
        program = os.path.basename(os.readlink(f"/proc/{pid}/exe"))
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return program, int(line.split()[1]) * 1024
    except OSError:
        pass
    return "", 0


def timed(cmd: list[str], env: dict | None = None) -> dict:
    """Wall seconds of `cmd`, the CPU seconds its processes used (the same work takes more CPU
    on a busy machine: a second view of the machine's state), and the peak RSS of its Python and
    JVM processes."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    peak = {"python": 0, "java": 0}
    cpu: dict[int, int] = {}  # pid -> ticks last seen (the last poll interval is not counted)
    while proc.poll() is None:
        tree, todo = [proc.pid], [proc.pid]
        while todo:
            kids = _children(todo.pop())
            tree += kids
            todo += kids
        for pid in tree:
            cpu[pid] = max(cpu.get(pid, 0), _cpu_ticks(pid))
            program, rss = _rss(pid)
            kind = "java" if "java" in program else "python" if "python" in program else None
            if kind:  # not the shell scripts that launch the JVM
                peak[kind] = max(peak[kind], rss)
        time.sleep(0.2)
    seconds = time.monotonic() - t0
    if proc.returncode != 0:
        raise BenchFailed(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr.read()}")
    return {"seconds": round(seconds, 2),
            "cpu_seconds": round(sum(cpu.values()) / os.sysconf("SC_CLK_TCK"), 1),
            "peak_python_mb": peak["python"] // 2**20, "peak_jvm_mb": peak["java"] // 2**20}


def etl_run(data_dir: str, sessions: int | None = None, regenerate: bool = False,
            extra: tuple[str, ...] = (), archive: bool = True) -> dict:
    cmd = ETL + ["run", PIPELINE, "--data-dir", data_dir, "--no-report", *extra]
    if sessions:
        cmd += ["--var", f"sessions={sessions}"]
    if regenerate:
        cmd.append("--regenerate")
    env = {**os.environ, "TERM": "dumb", "ETL_CLASS_ARCHIVE": "on" if archive else "off"}
    return timed(cmd, env=env)


def ensure_class_archive() -> None:
    """The state after `make run`: a class-data archive for this Java and Spark (not timed)."""
    subprocess.run(ETL + ["warmup", "--if-missing", PIPELINE, "--var", "sessions=300",
                          "--var", "users=100", "--var", "products=50", "--var", "days=3"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "TERM": "dumb"})


def machine_pace(repeat: int = 3) -> float:
    """Seconds for a fixed pure-Python loop (median): how fast this machine is, to compare
    figures taken on different machines (a typical 2024 laptop core: about 0.5 s)."""
    times = []
    for _ in range(repeat):
        t0, total = time.perf_counter(), 0
        for i in range(10_000_000):
            total += i
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times), 2)


def bench_plan(work: str, repeat: int) -> dict:
    """`etl plan` on the clickstream pipeline: a whole CLI process, no JVM."""
    runs = [timed(ETL + ["plan", PIPELINE, "--format", "json", "--data-dir", work])
            for _ in range(max(repeat, 5))]
    return {"runs": runs, "median_seconds": statistics.median(r["seconds"] for r in runs)}


def bench_startup(repeat: int) -> dict:
    """A session plus its first query, as `etl run` builds it, with and without the archive."""
    def once(archive: bool) -> float:
        env = {**os.environ, "ETL_CLASS_ARCHIVE": "on" if archive else "off"}
        out = subprocess.run([sys.executable, "bench/startup.py"], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True)
        return float(out.stdout.strip().splitlines()[-1])

    with_archive, without = [], []
    for _ in range(max(repeat, 3)):
        with_archive.append(once(True))
        without.append(once(False))
    median, median_without = statistics.median(with_archive), statistics.median(without)
    return {"with_archive": with_archive, "without_archive": without,
            "median_seconds": median, "median_seconds_without_archive": median_without,
            "ratio": round(median / median_without, 3)}


def bench_default(work: str, repeat: int) -> dict:
    """A fresh data folder each time (generation included), with and without the class-data
    archive, interleaved so both see the same machine state."""
    runs, cold = [], []
    for i in range(repeat):
        for archive, out in ((True, runs), (False, cold)):
            data = os.path.join(work, f"default-{i}-{archive}")
            shutil.rmtree(data, ignore_errors=True)
            out.append(etl_run(data, archive=archive))
            shutil.rmtree(data, ignore_errors=True)
    median = statistics.median(r["seconds"] for r in runs)
    median_cold = statistics.median(r["seconds"] for r in cold)
    return {"runs": runs, "median_seconds": median,
            "median_cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs),
            "runs_without_archive": cold,
            "median_seconds_without_archive": median_cold,
            "archive_ratio": round(median / median_cold, 3)}


def baseline(name: str, raw: str, out: str) -> dict:
    """One run of a baseline script on the raw files, its output in a fresh folder."""
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable}
    return timed([sys.executable, os.path.join(BENCH, BASELINES[name]), raw, out], env=env)


def baseline_settings(raw: str) -> dict:
    """What each baseline runs with on these raw files (printed and kept in results.json)."""
    sys.path.insert(0, BENCH)
    import duckdb_etl
    import skilled_etl

    return {
        "skilled": skilled_etl.settings(raw),
        "seed_style": {"master": "local[*] (PySpark's default)",
                       "shuffle_partitions": "200 (Spark's default; AQE, on by default, "
                                             "coalesces them)",
                       "driver_memory": "1g (Spark's default)", "csv_schema": "inferred",
                       "cached": ["events_sessionized"], "broadcast": ["products"],
                       "files": "one per task and day"},
        "duckdb": duckdb_etl.settings(),
    }


def etl_settings(data_dir: str) -> dict:
    """The newest run record's Spark settings: what `etl run` chose for these files."""
    runs = os.path.join(data_dir, "runs")
    records = []
    for run_id in os.listdir(runs):
        try:
            with open(os.path.join(runs, run_id, "run.json")) as fh:
                records.append(json.load(fh))
        except (OSError, ValueError):
            continue
    if not records:
        return {}
    newest = max(records, key=lambda r: r.get("started_at") or "")
    conf = newest.get("spark", {}).get("conf", {})
    return {"master": newest.get("spark", {}).get("master"),
            "shuffle_partitions": conf.get("spark.sql.shuffle.partitions"),
            "driver_memory": conf.get("spark.driver.memory", "1g (Spark's default)"),
            "adaptive": conf.get("spark.sql.adaptive.enabled"),
            "jit": (newest.get("vars") or {}).get("jit")}


def _median(runs: list[dict]) -> float | None:
    return statistics.median(r["seconds"] for r in runs) if runs else None


def bench_million(work: str, repeat: int, events: int, seed_repeat: int) -> dict:
    """`etl run` on landed data against the three baselines on the same raw files, interleaved
    so all see the same machine state; the seed-style script only in the first `seed_repeat`
    rounds (it takes minutes)."""
    data = million_data(work, events)
    sessions = int(events / EVENTS_PER_SESSION)
    raw = os.path.join(data["dir"], "raw")
    runs: dict[str, list[dict]] = {"etl": [], **{name: [] for name in BASELINES}}
    for i in range(max(repeat, seed_repeat)):
        if i < repeat:
            runs["etl"].append(etl_run(data["dir"], sessions=sessions))  # the ETL alone
            for name in ("skilled", "duckdb"):
                runs[name].append(baseline(name, raw, os.path.join(work, f"out-{name}")))
        if i < seed_repeat:
            runs["seed_style"].append(baseline("seed_style", raw,
                                               os.path.join(work, "out-seed_style")))
    medians = {name: _median(r) for name, r in runs.items()}
    ratios = {f"etl/{name}": round(medians["etl"] / medians[name], 3)
              for name in BASELINES if medians[name]}
    settings = baseline_settings(raw)
    settings["etl"] = etl_settings(data["dir"])
    return {"first_run_with_generation": data.get("landing"),
            "runs": runs, "median_seconds": medians, "ratios": ratios, "settings": settings,
            "raw_bytes": _size(raw), "events": events}


def million_data(work: str, events: int) -> dict:
    """The ~1M-event data folder, landed (and published) by a first run unless an earlier
    scenario left it there for the same number of sessions."""
    data, sessions = os.path.join(work, "million"), int(events / EVENTS_PER_SESSION)
    try:
        with open(os.path.join(data, "raw", "_generator.json")) as fh:
            landed = json.load(fh)["params"]["sessions"] == sessions
    except (OSError, ValueError, KeyError):
        landed = False
    if landed and os.path.isdir(os.path.join(data, "warehouse", "fact_events")):
        return {"dir": data}
    shutil.rmtree(data, ignore_errors=True)
    return {"dir": data, "landing": etl_run(data, sessions=sessions)}


def bench_storage(work: str, repeat: int, events: int) -> dict:
    """bench/storage_bench.py on the ~1M-event warehouse (landed first when missing)."""
    data = million_data(work, events)["dir"]
    out = os.path.join(work, "storage.json")
    cmd = [sys.executable, os.path.join(BENCH, "storage_bench.py"), data,
           "--repeat", str(max(repeat, 5)), "--json", out]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchFailed(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr}")
    with open(out) as fh:
        return json.load(fh)


def bench_large(work: str, events: int) -> dict:
    """The whole run with generation (the figure a user sees first), then `etl run` on the landed
    data and the skilled script once each, for the ratio of the same work."""
    data = os.path.join(work, "large")
    shutil.rmtree(data, ignore_errors=True)
    sessions = int(events / EVENTS_PER_SESSION)
    full = ("--var", "jit=full")  # a long run: the JVM's full JIT pays off
    result = etl_run(data, sessions=sessions, extra=full)
    raw = os.path.join(data, "raw")
    result["raw_bytes"] = _size(raw)
    result["etl_landed"] = etl_run(data, sessions=sessions, extra=full)
    result["skilled"] = baseline("skilled", raw, os.path.join(work, "out-skilled-large"))
    result["ratio"] = round(result["etl_landed"]["seconds"] / result["skilled"]["seconds"], 3)
    result["settings"] = {"skilled": baseline_settings(raw)["skilled"],
                          "etl": etl_settings(data)}
    shutil.rmtree(os.path.join(work, "out-skilled-large"), ignore_errors=True)
    shutil.rmtree(data, ignore_errors=True)
    return result


def _size(path: str) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed-repeat", type=int, default=1,
                    help="runs of the slow seed-style script in the 1M scenario")
    ap.add_argument("--million", type=int, default=1_000_000, help="events in the 1M scenario")
    ap.add_argument("--large", type=int, default=10_000_000, help="events in the large scenario")
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--only", choices=["plan", "startup", "default", "million", "storage",
                                       "large"],
                    action="append",
                    help="run only these scenarios (repeatable); others keep their last result")
    ap.add_argument("--work", default=None, help="scratch folder (default: a temp dir)")
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="etl-bench-")
    scenarios = {"plan": lambda: bench_plan(work, args.repeat),
                 "startup": lambda: bench_startup(args.repeat),
                 "default": lambda: bench_default(work, args.repeat),
                 "million": lambda: bench_million(work, args.repeat, args.million,
                                                  args.seed_repeat),
                 "storage": lambda: bench_storage(work, args.repeat, args.million)}
    if not args.skip_large:
        scenarios["large"] = lambda: bench_large(work, args.large)
    results: dict = {"cores": os.cpu_count()}
    if args.only:
        results = _previous_results()
        scenarios = {k: v for k, v in scenarios.items() if k in args.only}
    ensure_class_archive()
    for name, scenario in scenarios.items():
        try:
            pace = machine_pace()  # per scenario: shared machines drift within one run
            results[name] = scenario()
            results[name]["machine_pace_seconds"] = results["machine_pace_seconds"] = pace
        except BenchFailed as exc:  # keep what was measured; say what failed
            results[name] = {"failed": str(exc)[-2000:]}
        with open(os.path.join(ROOT, "bench", "results.json"), "w") as fh:
            json.dump(results, fh, indent=2)
    for name in scenarios:
        if "failed" in results[name]:
            print(f"{name}: FAILED\n{results[name]['failed']}")
    if any("failed" in results[n] for n in scenarios):
        raise SystemExit(1)
    _print_table(results, args)


def _previous_results() -> dict:
    try:
        with open(os.path.join(ROOT, "bench", "results.json")) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return {"cores": os.cpu_count()}


def _ok(results: dict, name: str, *keys: str) -> dict | None:
    """The scenario's results when present, not failed and of this version's shape."""
    r = results.get(name)
    return r if isinstance(r, dict) and "failed" not in r and all(k in r for k in keys) else None


def _runs(runs: list) -> str:
    return f"{len(runs)} run" + ("" if len(runs) == 1 else "s")


def _print_table(results: dict, args: argparse.Namespace) -> None:
    if "machine_pace_seconds" in results:
        print(f"machine pace (10M-step Python loop): {results['machine_pace_seconds']:.2f} s\n")
    print("| scenario | median | notes |\n|---|---|---|")
    if p := _ok(results, "plan", "median_seconds"):
        print(f"| `etl plan` of the clickstream pipeline (whole process) | "
              f"{p['median_seconds']:.2f} s | no JVM |")
    if st := _ok(results, "startup", "median_seconds"):
        print(f"| Spark session + first query, as `etl run` builds it | "
              f"{st['median_seconds']:.1f} s | without the class-data archive "
              f"{st['median_seconds_without_archive']:.1f} s (ratio {st['ratio']:.2f}) |")
    if d := _ok(results, "default", "median_seconds"):
        cpu = (f", {d['median_cpu_seconds']:.1f} CPU s each" if "median_cpu_seconds" in d
               else "")
        print(f"| default scale (10,000 sessions), whole `etl run` incl. generation | "
              f"{d['median_seconds']:.1f} s | {len(d['runs'])} runs{cpu}; "
              f"without the class-data archive "
              f"{d['median_seconds_without_archive']:.1f} s (ratio {d['archive_ratio']:.2f}) |")
    m = _ok(results, "million", "median_seconds", "ratios")
    if m:
        med, runs = m["median_seconds"], m["runs"]
        events = m.get("events", args.million)
        print(f"| ~{events:,} events, `etl run` on landed data | {med['etl']:.1f} s | "
              f"{_runs(runs['etl'])}, interleaved with the baselines on the same raw files |")
        labels = {"skilled": "skilled hand-written PySpark (bench/skilled_etl.py)",
                  "seed_style": "seed-style PySpark on Spark's defaults "
                                "(bench/handwritten_etl.py)",
                  "duckdb": "DuckDB SQL, 2 threads (bench/duckdb_etl.py)"}
        for name, label in labels.items():
            if med.get(name):
                print(f"| ~{events:,} events, {label} | {med[name]:.1f} s | "
                      f"{_runs(runs[name])}; **etl/{name.replace('_', '-')} "
                      f"{m['ratios'][f'etl/{name}']:.2f}** |")
    if lg := _ok(results, "large", "seconds"):
        print(f"| ~{args.large:,} events, whole run with generation | {lg['seconds']:.1f} s | "
              f"driver peak: JVM {lg['peak_jvm_mb']} MB, Python {lg['peak_python_mb']} MB |")
        if "skilled" in lg:
            el, sk = lg["etl_landed"], lg["skilled"]
            print(f"| ~{args.large:,} events, `etl run` on landed data | {el['seconds']:.1f} s "
                  f"| 1 run; driver peak: JVM {el['peak_jvm_mb']} MB |")
            print(f"| ~{args.large:,} events, skilled hand-written PySpark | "
                  f"{sk['seconds']:.1f} s | 1 run; JVM peak {sk['peak_jvm_mb']} MB; "
                  f"**etl/skilled {lg['ratio']:.2f}** |")
    if m:
        print(f"\nBaselines' settings (~{m.get('events', args.million):,} events):")
        for name, conf in m["settings"].items():
            print(f"- {name}: " + ", ".join(f"{k} {v}" for k, v in conf.items()))
    if lg and "settings" in lg:
        print(f"- skilled at ~{args.large:,} events: " + ", ".join(
            f"{k} {v}" for k, v in lg["settings"]["skilled"].items()))
    if storage := _ok(results, "storage", "sizes", "query"):
        sys.path.insert(0, BENCH)
        import storage_bench

        print("\nStorage (the warehouse of the ~1M-event scenario, bench/storage_bench.py):\n")
        print("\n".join(storage_bench.summary(storage)))


if __name__ == "__main__":
    main()
