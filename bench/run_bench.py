"""Benchmarks of `etl run` (never timed tests): default scale, ~1M events against a hand-written
PySpark script on the same raw files, and ~10M events with the driver's peak memory.

usage: python bench/run_bench.py [--repeat 3] [--skip-large] [--work DIR]
Prints a Markdown table of medians and writes bench/results.json.
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
    cmd = ETL + ["run", PIPELINE, "--data-dir", data_dir, *extra]
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


def bench_million(work: str, repeat: int, events: int) -> dict:
    data = os.path.join(work, "million")
    shutil.rmtree(data, ignore_errors=True)
    sessions = int(events / EVENTS_PER_SESSION)
    land = etl_run(data, sessions=sessions)
    ours, theirs = [], []
    for _ in range(repeat):  # interleaved so both see the same machine state
        ours.append(etl_run(data, sessions=sessions))  # same parameters: the ETL alone
        out = os.path.join(data, "handwritten")
        shutil.rmtree(out, ignore_errors=True)
        theirs.append(timed([sys.executable, "bench/handwritten_etl.py",
                             os.path.join(data, "raw"), out]))
    m_ours = statistics.median(r["seconds"] for r in ours)
    m_theirs = statistics.median(r["seconds"] for r in theirs)
    return {"first_run_with_generation": land, "etl": ours, "handwritten": theirs,
            "median_etl_seconds": m_ours, "median_handwritten_seconds": m_theirs,
            "ratio": round(m_ours / m_theirs, 3), "raw_bytes": _size(os.path.join(data, "raw"))}


def bench_large(work: str, events: int) -> dict:
    data = os.path.join(work, "large")
    shutil.rmtree(data, ignore_errors=True)
    result = etl_run(data, sessions=int(events / EVENTS_PER_SESSION),
                     extra=("--var", "jit=full"))  # a long run: the JVM's full JIT pays off
    result["raw_bytes"] = _size(os.path.join(data, "raw"))
    shutil.rmtree(data, ignore_errors=True)
    return result


def _size(path: str) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)



def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--million", type=int, default=1_000_000, help="events in the 1M scenario")
    ap.add_argument("--large", type=int, default=10_000_000, help="events in the large scenario")
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--only", choices=["plan", "startup", "default", "million", "large"],
                    action="append",
                    help="run only these scenarios (repeatable); others keep their last result")
    ap.add_argument("--work", default=None, help="scratch folder (default: a temp dir)")
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="etl-bench-")
    scenarios = {"plan": lambda: bench_plan(work, args.repeat),
                 "startup": lambda: bench_startup(args.repeat),
                 "default": lambda: bench_default(work, args.repeat),
                 "million": lambda: bench_million(work, args.repeat, args.million)}
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


def _print_table(results: dict, args: argparse.Namespace) -> None:
    d, m = results["default"], results["million"]
    print(f"machine pace (10M-step Python loop): {results['machine_pace_seconds']:.2f} s\n")
    print("| scenario | median | notes |\n|---|---|---|")
    print(f"| `etl plan` of the clickstream pipeline (whole process) | "
          f"{results['plan']['median_seconds']:.2f} s | no JVM |")
    if "startup" in results:
        st = results["startup"]
        print(f"| Spark session + first query, as `etl run` builds it | "
              f"{st['median_seconds']:.1f} s | without the class-data archive "
              f"{st['median_seconds_without_archive']:.1f} s (ratio {st['ratio']:.2f}) |")
    cpu = (f", {d['median_cpu_seconds']:.1f} CPU s each" if "median_cpu_seconds" in d else "")
    print(f"| default scale (10,000 sessions), whole `etl run` incl. generation | "
          f"{d['median_seconds']:.1f} s | {len(d['runs'])} runs{cpu}; "
          f"without the class-data archive "
          f"{d['median_seconds_without_archive']:.1f} s (ratio {d['archive_ratio']:.2f}) |")
    print(f"| ~{args.million:,} events, ETL only | {m['median_etl_seconds']:.1f} s | "
          f"hand-written script {m['median_handwritten_seconds']:.1f} s, "
          f"ratio {m['ratio']:.2f} |")
    if "large" in results:
        lg = results["large"]
        print(f"| ~{args.large:,} events, whole run | {lg['seconds']:.1f} s | driver peak: "
              f"JVM {lg['peak_jvm_mb']} MB, Python {lg['peak_python_mb']} MB |")


if __name__ == "__main__":
    main()
