"""Pairing speed and memory: tandem against the assignment floor, the per-pair engine and a peer.

    python benchmarks/pairing.py                 # n = 100, 300, 1,000, 3,000, 10,000
    python benchmarks/pairing.py --quick         # n = 50 and 200: the CI smoke test
    python benchmarks/pairing.py --sizes 100,1000 --runs 5

For each n it generates an n x n cohort (benchmarks/cohort_gen.py), then measures on it:
- tandem: the real `tandem pair FILE --format json` as a subprocess, from start to exit
  (interpreter start, reading, validation, pairing, explanations, writing the JSON);
- floor: the default rules in hand-written numpy plus the same scipy assignment;
- per-pair engine: every pair through durable-rules on its own (n <= --per-pair-limit),
  extrapolated beyond from its measured rate;
- peer: mentor-match (Munkres in pure Python) on the same weights (n <= --peer-limit),
  skipped with a note when it is not installed.

Each contender runs in its own process. Peak RSS is that process's `ru_maxrss`, read with
`os.wait4` when it exits. Times are medians over --runs runs (one run from n = 5,000 up,
unless --large-runs says otherwise). Every contender must form the same number of pairs
with the same total score as tandem, or the script exits 1. No time is asserted.

It writes OUT/results.json, OUT/results.md and a log-log plot (time against n).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.cohort_gen import generate
from benchmarks.contenders import peer_available

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORKER = HERE / "worker.py"
FULL_SIZES = (100, 300, 1000, 3000, 10000)
QUICK_SIZES = (50, 200)
LARGE = 5000  # from this n up, --large-runs runs
CONTENDERS = ("tandem", "floor", "per-pair", "peer")


# -- running things ---------------------------------------------------------------------
def tandem_command() -> list[str]:
    """The installed `tandem` script next to this interpreter, else the entry point."""
    beside = Path(sys.executable).parent / "tandem"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("tandem")
    if found:
        return [found]
    return [sys.executable, "-c", "from cli.main import main; main()"]


def _tree(pid: int) -> list[int]:
    """A process and its descendants, from /proc (empty when it is gone)."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class TreeSampler(threading.Thread):
    """Samples the summed PSS of a process and its descendants while it runs.

    `ru_maxrss` is per process: when tandem forks workers (parallel validation), their
    memory adds up. Shared pages are split between processes in PSS, so the sum is fair.
    """

    def __init__(self, pid: int, every: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.peak_kb = 0
        self.processes = 1
        self.stop = threading.Event()

    def run(self) -> None:
        if not Path("/proc/self/smaps_rollup").exists():
            return
        while not self.stop.wait(self.every):
            tree = _tree(self.pid)
            self.processes = max(self.processes, len(tree))
            self.peak_kb = max(self.peak_kb, sum(_pss_kb(p) for p in tree))


def measure(command: list[str], stdout: Path, stderr: Path) -> dict[str, Any]:
    """Run a command to completion: wall and CPU seconds, peak RSS in MB, exit code.

    Peak RSS is the process's own `ru_maxrss` from `os.wait4` (with its waited-for
    children, the largest single one); `tree_mb` is the sampled peak of the summed PSS of
    the process and its children, or None if it never had a child.
    """
    with stdout.open("wb") as out, stderr.open("wb") as err:
        started = time.time()
        clock = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                   cwd=REPO)
        sampler = TreeSampler(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - clock
        sampler.stop.set()
        sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    return {"seconds": wall, "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "rss_mb": usage.ru_maxrss / 1024, "code": process.returncode, "started": started,
            "tree_mb": sampler.peak_kb / 1024 if sampler.processes > 1 else None,
            "processes": sampler.processes}


def fail(message: str, stderr: Path) -> None:
    tail = stderr.read_text("utf-8", "replace")[-3000:]
    raise SystemExit(f"{message}\n{tail}")


STAGES = ("features", "distinct", "engine", "assignment", "explanations")


def stage_times(stderr: Path, started: float, wall: float) -> dict[str, float]:
    """Per-stage seconds of a `tandem -v --log-format json pair` run, from its log lines.

    The `paired` line carries the pairing's stage timings; what came before them (start,
    imports, reading, validation) and after (writing the JSON, exit) is read from its
    timestamp against the process's start and end.
    """
    paired = None
    for line in stderr.read_text("utf-8", "replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("event") == "paired":
            paired = record
    if paired is None:
        return {}
    logged = datetime.fromisoformat(paired["timestamp"].replace("Z", "+00:00")).timestamp()
    stages = {k: float(paired[k]) for k in STAGES if k in paired}
    out = {"start, imports, read, validate": logged - sum(stages.values()) - started}
    out.update(stages)
    out["write JSON and exit"] = started + wall - logged
    return out


def run_tandem(cohort: Path, out: Path, runs: int) -> dict[str, Any]:
    base = tandem_command()
    # One verbose run first: it warms the file cache and gives the per-stage timings.
    staged = measure([*base, "-v", "--log-format", "json", "pair", str(cohort), "--format",
                      "json"], out / "tandem-verbose.json", out / "tandem-verbose.log")
    if staged["code"] != 0:
        fail(f"tandem pair failed on {cohort}", out / "tandem-verbose.log")
    stages = stage_times(out / "tandem-verbose.log", staged["started"], staged["seconds"])
    timed = []
    summary = None
    for _ in range(runs):
        run = measure([*base, "pair", str(cohort), "--format", "json"], out / "tandem.json",
                      out / "tandem.log")
        if run["code"] != 0:
            fail(f"tandem pair failed on {cohort}", out / "tandem.log")
        this = json.loads((out / "tandem.json").read_text("utf-8"))["summary"]
        if summary is not None and this != summary:
            raise SystemExit("tandem: two runs on the same cohort gave different summaries")
        summary = this
        timed.append(run)
    assert summary is not None
    seconds = [r["seconds"] for r in timed]
    compute = sum(v for k, v in stages.items() if k in STAGES and k != "explanations")
    return {"runs": seconds, "median": statistics.median(seconds),
            "cpu_median": statistics.median(r["cpu_seconds"] for r in timed),
            "rss_mb": max(r["rss_mb"] for r in timed),
            "tree_mb": max((r["tree_mb"] or 0.0 for r in timed), default=0.0) or None,
            "processes": max(r["processes"] for r in timed), "pairs": summary["pairs"],
            "total_score": summary["total_score"],
            "distinct_combinations": summary["distinct_combinations"],
            "stages": stages, "pairing_compute": compute, "verbose_run": staged["seconds"]}


def run_worker(name: str, cohort: Path, out: Path, runs: int) -> dict[str, Any]:
    log = out / f"{name}.log"
    run = measure([sys.executable, str(WORKER), name, str(cohort), "--runs", str(runs)],
                  out / f"{name}.json", log)
    if run["code"] != 0:
        fail(f"{name} failed on {cohort}", log)
    result: dict[str, Any] = json.loads((out / f"{name}.json").read_text("utf-8"))
    result["rss_mb"] = run["rss_mb"]
    result["process_seconds"] = run["seconds"]
    return result


def startup(runs: int = 5) -> dict[str, float]:
    """Median wall time of `tandem --version` and of a bare interpreter start."""
    scratch = Path(os.devnull)
    version = [measure([*tandem_command(), "--version"], scratch, scratch)["seconds"]
               for _ in range(runs)]
    bare = [measure([sys.executable, "-c", "pass"], scratch, scratch)["seconds"]
            for _ in range(runs)]
    return {"tandem --version": statistics.median(version),
            "python -c pass": statistics.median(bare)}


# -- the benchmark ----------------------------------------------------------------------
def bench_size(n: int, args: argparse.Namespace, work: Path, per_pair_rate: list[float],
               log: Any) -> dict[str, Any]:
    runs = args.runs if n < LARGE else args.large_runs
    cohort_path = work / f"cohort-{n}.json"
    cohort_path.write_text(json.dumps(generate(n, n, args.seed, args.hr_csv)), "utf-8")
    scratch = work / f"n{n}"
    scratch.mkdir(exist_ok=True)
    row: dict[str, Any] = {"n": n, "pairs_evaluated": n * n, "runs": runs, "contenders": {}}
    log(f"n = {n:,}: tandem ({runs} run(s) + 1 verbose)")
    row["contenders"]["tandem"] = tandem = run_tandem(cohort_path, scratch, runs)
    row["distinct_combinations"] = tandem["distinct_combinations"]
    log(f"n = {n:,}: floor")
    row["contenders"]["floor"] = floor = run_worker("floor", cohort_path, scratch, runs)
    if n <= args.per_pair_limit:
        log(f"n = {n:,}: per-pair engine")
        per_pair = run_worker("per-pair", cohort_path, scratch, runs)
        per_pair_rate[:] = [per_pair["stages"]["pairs_per_second"]]
        row["contenders"]["per-pair"] = per_pair
    elif per_pair_rate:
        estimate = n * n / per_pair_rate[0] + floor["stages"]["assignment"]
        row["contenders"]["per-pair"] = {"median": estimate, "extrapolated": True,
                                         "rate_pairs_per_second": per_pair_rate[0]}
    if args.peer and n <= args.peer_limit:
        log(f"n = {n:,}: peer (mentor-match)")
        row["contenders"]["peer"] = run_worker("peer", cohort_path, scratch, runs)
    row["tandem_over_floor"] = tandem["median"] / floor["median"]
    row["agree"], row["disagreements"] = agreement(row)
    if not args.keep_cohorts:
        cohort_path.unlink()
    return row


def agreement(row: dict[str, Any]) -> tuple[bool, list[str]]:
    tandem = row["contenders"]["tandem"]
    wrong = []
    for name, result in row["contenders"].items():
        if name == "tandem" or result.get("extrapolated") or result.get("note"):
            continue
        if (result["pairs"], result["total_score"]) != (tandem["pairs"], tandem["total_score"]):
            wrong.append(f"n = {row['n']}: {name} formed {result['pairs']} pairs with total "
                         f"{result['total_score']}; tandem {tandem['pairs']} with total "
                         f"{tandem['total_score']}")
    return not wrong, wrong


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform(),
                            "cores": os.cpu_count()}
    try:
        cpu = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next(line.split(":", 1)[1].strip() for line in cpu.splitlines()
                           if line.startswith("model name"))
        mem = Path("/proc/meminfo").read_text().split()
        info["memory_gb"] = round(int(mem[mem.index("MemTotal:") + 1]) / 1024 ** 2, 1)
    except (OSError, StopIteration, ValueError):
        pass
    from importlib.metadata import PackageNotFoundError, version

    for package in ("tandem", "numpy", "scipy", "durable-rules", "jsonschema", "mentor-match"):
        try:
            info[package] = version(package)
        except PackageNotFoundError:
            info[package] = None
    try:
        info["git"] = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO,
                                     capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        info["git"] = None
    return info


# -- output -----------------------------------------------------------------------------
def _s(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 3600:
        return f"{value / 3600:.1f} h"
    if value >= 100:
        return f"{value:,.0f} s"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} MB"


def contender_rows(row: dict[str, Any]) -> list[list[str]]:
    floor = row["contenders"]["floor"]["median"]
    out = []
    for name in CONTENDERS:
        result = row["contenders"].get(name)
        if result is None:
            continue
        extrapolated = bool(result.get("extrapolated"))
        median = result["median"]
        out.append([
            name + (" (extrapolated)" if extrapolated else ""),
            ("~" if extrapolated else "") + _s(median),
            "-" if extrapolated else _s(result.get("cpu_median")),
            "-" if extrapolated else (f"{len(result['runs'])}: {_s(min(result['runs']))} to "
                                      f"{_s(max(result['runs']))}" if len(result["runs"]) > 1
                                      else "1"),
            f"{median / floor:,.1f}x",
            _mb(result.get("rss_mb")) + (f" ({result['processes']} processes, summed PSS: "
                                         f"{_mb(result['tree_mb'])})"
                                         if result.get("tree_mb") else ""),
            "-" if extrapolated else f"{result['pairs']:,}",
            "-" if extrapolated else f"{result['total_score']:,}",
        ])
    return out


HEADERS = ["contender", "wall (median)", "CPU (median)", "runs (fastest to slowest)", "/ floor",
           "peak RSS", "pairs", "total score"]
SUMMARY = ["n x n", "distinct combinations", "tandem", "tandem RSS", "tandem pairing only",
           "floor", "floor RSS", "tandem / floor", "per-pair engine", "peer", "agree"]


def summary_rows(results: dict[str, Any]) -> list[list[str]]:
    rows = []
    for row in results["sizes"]:
        c = row["contenders"]
        per_pair, peer = c.get("per-pair"), c.get("peer")
        rows.append([
            f"{row['n']:,}", f"{row['distinct_combinations']:,}", _s(c["tandem"]["median"]),
            _mb(max(c["tandem"]["rss_mb"], c["tandem"].get("tree_mb") or 0.0)),
            _s(c["tandem"]["pairing_compute"]),
            _s(c["floor"]["median"]), _mb(c["floor"]["rss_mb"]),
            f"{row['tandem_over_floor']:.2f}x",
            "-" if per_pair is None else (f"~{_s(per_pair['median'])} (extrapolated)"
                                          if per_pair.get("extrapolated")
                                          else _s(per_pair["median"])),
            "-" if peer is None else _s(peer["median"]), "yes" if row["agree"] else "NO",
        ])
    return rows


def print_tables(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if console.width < 140:
        console = Console(width=140)
    for row in results["sizes"]:
        table = Table(title=f"{row['n']:,} mentors x {row['n']:,} mentees: "
                            f"{row['distinct_combinations']:,} distinct feature combinations, "
                            f"tandem / floor {row['tandem_over_floor']:.2f}x")
        for i, header in enumerate(HEADERS):
            table.add_column(header, justify="left" if i == 0 else "right")
        for cells in contender_rows(row):
            table.add_row(*cells)
        console.print(table)
        stages = row["contenders"]["tandem"]["stages"]
        if stages:
            console.print("  tandem stages (-v run): " + ", ".join(
                f"{k} {v:.2f} s" for k, v in stages.items()), highlight=False)
    table = Table(title="Summary")
    for i, header in enumerate(SUMMARY):
        table.add_column(header, justify="left" if i == 0 else "right")
    for cells in summary_rows(results):
        table.add_row(*cells)
    console.print(table)
    start = results["startup"]
    console.print(f"tandem --version: {start['tandem --version']:.2f} s "
                  f"(python -c pass: {start['python -c pass']:.2f} s)", highlight=False)


def markdown(results: dict[str, Any]) -> str:
    def table(headers: list[str], rows: list[list[str]]) -> list[str]:
        return ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers),
                *("| " + " | ".join(r) + " |" for r in rows)]

    lines = table(SUMMARY, summary_rows(results))
    for row in results["sizes"]:
        lines += ["", f"**{row['n']:,} x {row['n']:,}** ({row['distinct_combinations']:,} "
                      "distinct combinations)", ""]
        lines += table(HEADERS, contender_rows(row))
        stages = row["contenders"]["tandem"]["stages"]
        if stages:
            lines += ["", "tandem stages: " + ", ".join(f"{k} {v:.2f} s"
                                                         for k, v in stages.items())]
    start = results["startup"]
    lines += ["", f"`tandem --version`: {start['tandem --version']:.2f} s "
                  f"(`python -c pass`: {start['python -c pass']:.2f} s)"]
    return "\n".join(lines) + "\n"


def plot(results: dict[str, Any], path: Path) -> bool:
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[bench]'): no plot drawn")
        return False
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=110)
    sizes = results["sizes"]
    styles = {"tandem": ("tab:blue", "o", "tandem pair (end to end, subprocess)"),
              "floor": ("tab:green", "s", "floor: numpy scores + scipy assignment"),
              "per-pair": ("tab:red", "^", "per-pair engine (durable-rules per pair)"),
              "peer": ("tab:purple", "D", "peer: mentor-match (Munkres, pure Python)")}
    for name, (colour, marker, label) in styles.items():
        measured = [(r["n"], r["contenders"][name]["median"]) for r in sizes
                    if name in r["contenders"] and not r["contenders"][name].get("extrapolated")]
        guessed = [(r["n"], r["contenders"][name]["median"]) for r in sizes
                   if name in r["contenders"] and r["contenders"][name].get("extrapolated")]
        if measured:
            ax.plot(*zip(*measured, strict=True), color=colour, marker=marker, label=label)
        if guessed:
            ax.plot(*zip(*(measured[-1:] + guessed), strict=True), color=colour, marker=marker,
                    linestyle=":", markerfacecolor="none",
                    label=f"{name} (extrapolated from its measured rate)")
    compute = [(r["n"], r["contenders"]["tandem"]["pairing_compute"]) for r in sizes
               if r["contenders"]["tandem"]["pairing_compute"] > 0]
    if compute:
        ax.plot(*zip(*compute, strict=True), color="tab:blue", marker="o", linestyle="--",
                markerfacecolor="none", label="tandem: pairing stages only (from -v logs)")
    ax.axhline(results["startup"]["tandem --version"], color="grey", linestyle="-.",
               linewidth=1, label="tandem --version (start-up)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks([r["n"] for r in sizes], [f"{r['n']:,}" for r in sizes])
    ax.minorticks_off()
    ax.set_xlabel("n (n mentors x n mentees)")
    ax.set_ylabel("wall time (s)")
    m = results["machine"]
    ax.set_title(f"Pairing time against cohort size\n{m.get('cpu', '?')}, {m.get('cores')} cores, "
                 f"Python {m['python']}", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return True


# -- command line -----------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Pairing speed and memory: tandem against the assignment floor, the "
                    "per-pair engine and an open-source peer.",
        epilog="Examples:\n  python benchmarks/pairing.py\n  python benchmarks/pairing.py "
               "--quick\n  python benchmarks/pairing.py --sizes 100,1000 --runs 5",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="n = 50 and 200, one run each: the smoke test CI runs")
    parser.add_argument("--sizes", help="comma-separated n (default: 100,300,1000,3000,10000)")
    parser.add_argument("--runs", type=int, default=None,
                        help="runs per contender, median reported (default 3; 1 with --quick)")
    parser.add_argument("--large-runs", type=int, default=1,
                        help=f"runs per contender from n = {LARGE:,} up (default 1)")
    parser.add_argument("--per-pair-limit", type=int, default=300,
                        help="largest n run through the per-pair engine (default 300)")
    parser.add_argument("--peer-limit", type=int, default=300,
                        help="largest n given to the peer, mentor-match (default 300)")
    parser.add_argument("--out", type=Path, default=HERE / "out",
                        help="where results.json, results.md and scratch files go")
    parser.add_argument("--plot", default=None,
                        help="PNG to draw, or 'none' (default: docs/benchmark.png; "
                             "OUT/benchmark-quick.png with --quick)")
    parser.add_argument("--hr-csv", type=Path, default=None,
                        help="an HRIS export to draw people from (default: the population "
                             "of benchmarks/hr_model.py, calibrated on a public HR sample)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic cohorts")
    parser.add_argument("--no-peer", dest="peer", action="store_false",
                        help="skip mentor-match even when it is installed")
    parser.add_argument("--keep-cohorts", action="store_true",
                        help="keep the generated cohort files in OUT")
    args = parser.parse_args(argv)
    if args.sizes:
        args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    else:
        args.sizes = list(QUICK_SIZES if args.quick else FULL_SIZES)
    if args.runs is None:
        args.runs = 1 if args.quick else 3
    if args.plot is None:
        args.plot = str(args.out / "benchmark-quick.png") if args.quick else str(
            REPO / "docs" / "benchmark.png")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.hr_csv is not None and not args.hr_csv.is_file():
        raise SystemExit(f"HR data not found at {args.hr_csv}; give an existing file with "
                         "--hr-csv PATH, or leave it out to use the shipped population")
    if args.peer and not peer_available():
        print("note: mentor-match is not installed, so the peer is skipped "
              "(pip install mentor-match, or pip install -e '.[bench]')")
        args.peer = False
    args.out.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    results: dict[str, Any] = {
        "command": " ".join(["python", "benchmarks/pairing.py", *(argv or sys.argv[1:])]),
        "machine": machine(), "quick": args.quick, "seed": args.seed,
        "rss": "peak resident set size (ru_maxrss) of the contender's own process, read with "
               "os.wait4 when it exits",
        "load_average_before": os.getloadavg(), "startup": startup(), "sizes": []}
    rate: list[float] = []
    for n in sorted(args.sizes):
        results["sizes"].append(bench_size(n, args, args.out, rate, log))
    results["load_average_after"] = os.getloadavg()
    name = "results-quick" if args.quick else "results"
    (args.out / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    (args.out / f"{name}.md").write_text(markdown(results), "utf-8")
    print_tables(results)
    if args.plot != "none" and plot(results, Path(args.plot)):
        print(f"plot: {args.plot}")
    print(f"results: {args.out / (name + '.json')}")
    wrong = [w for row in results["sizes"] for w in row["disagreements"]]
    if wrong:
        print("Contenders disagree on the pairing:\n  " + "\n  ".join(wrong), file=sys.stderr)
        return 1
    print("every contender formed the same number of pairs with the same total score")
    return 0




# -- the two assignment paths: dense against classes ------------------------------------------
COARSE_FIELDS = {"learning_style", "job_family", "department", "subsidiary"}


def path_worker(cohort_path: str, rules_kind: str, path: str) -> None:
    """In a process of its own: pair the cohort on one path, print one JSON line. The
    collector is set for batch work, as `tandem pair` sets it."""
    from engine.base.collector import fewer_collections

    with fewer_collections():
        _path_worker(cohort_path, rules_kind, path)


def _path_worker(cohort_path: str, rules_kind: str, path: str) -> None:
    import resource

    from engine.base.resources import rules_dir
    from engine.pairing import assignment
    from engine.pairing.pipeline import pair_cohort
    from engine.profiles.validate import load_cohort
    from engine.rules.ruleset import RuleSet, load_rules

    started, cpu = time.perf_counter(), time.process_time()
    rules = load_rules(rules_dir())
    if rules_kind == "coarse":
        from dataclasses import replace

        pairing = rules.pairing
        kept = tuple(r for r in pairing.rules
                     if all(f.split(".", 1)[1] in COARSE_FIELDS for f in r.fields))
        rules = replace(rules, rulesets={**rules.rulesets, "pairing": RuleSet(
            "pairing", kept, pairing.settings, pairing.constraints)})
    cohort, _ = load_cohort(Path(cohort_path), rules.vocabulary)
    loaded = time.perf_counter()
    assignment.choose_path = lambda *a: path  # type: ignore[assignment]
    try:
        result = pair_cohort(cohort, rules)
        row: dict[str, Any] = {
            "pairs": result["summary"]["pairs"], "total": result["summary"]["total_score"],
            "solver": result["solver"]}
    except Exception as exc:  # a refusal is a figure too
        row = {"error": str(exc)}
    done = time.perf_counter()
    row.update({"cpu_s": time.process_time() - cpu, "load_s": loaded - started,
                "pair_s": done - loaded, "total_s": done - started,
                "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
    print(json.dumps(row))


def bench_paths(sizes: list[int], rules_kind: str, paths: list[str], hr_csv: Path,
                seed: int, work: Path, dense_limit: int, class_limit: int
                ) -> list[dict[str, Any]]:
    """Each n on each path, each run in its own process; returns the rows."""
    rows = []
    for n in sizes:
        cohort = work / f"paths-{n}.json"
        if not cohort.exists():
            cohort.write_text(json.dumps(generate(n, n, seed, hr_csv)), "utf-8")
        for path in paths:
            if (path == "dense" and n > dense_limit) or (path == "classes"
                                                         and n > class_limit):
                continue
            load = os.getloadavg()[0]
            out = subprocess.run([sys.executable, __file__, "--path-worker", str(cohort),
                                  rules_kind, path], capture_output=True, text=True,
                                 check=False)
            lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
            row: dict[str, Any] = (json.loads(lines[-1]) if lines
                                   else {"error": out.stderr[-300:]})
            row.update({"n": n, "rules": rules_kind, "path": path, "load": load})
            rows.append(row)
            solver = row.get("solver", {})
            classes = solver.get("classes", {})
            print(f"{n} | {rules_kind} | {path} | "
                  f"{classes.get('mentors', '-')} x {classes.get('mentees', '-')} | "
                  f"{row.get('pair_s', 0):.2f} | {row.get('total_s', 0):.2f} | "
                  f"{row.get('cpu_s', 0):.2f} | "
                  f"{row.get('rss_mb', 0):,.0f} | {row.get('pairs', '-')} | "
                  f"{row.get('total', '-')} | "
                  f"{solver.get('certificate', '-') if 'error' not in row else row['error']} | "
                  f"{load:.1f}", flush=True)
    return rows


def plot_paths(rows: list[dict[str, Any]], target: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2), dpi=80)
    for (rules_kind, path), style in {("bundled", "dense"): "o-", ("coarse", "dense"): "s--",
                                      ("coarse", "classes"): "^-",
                                      ("bundled", "classes"): "v:"}.items():
        got = [(r["n"], r["cpu_s"]) for r in rows
               if r["rules"] == rules_kind and r["path"] == path and "error" not in r]
        if got:
            ax.plot(*zip(*got, strict=True), style, label=f"{path} ({rules_kind} rules)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("n (n mentors x n mentees)")
    ax.set_ylabel("CPU seconds, end to end in-process")
    ax.legend(fontsize=7)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(target)


def paths_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="the dense path against the class path")
    parser.add_argument("--paths", action="store_true")
    parser.add_argument("--sizes", default="300,1000,3000,10000,50000")
    parser.add_argument("--rules", choices=["bundled", "coarse"], nargs="+",
                        default=["bundled", "coarse"])
    parser.add_argument("--dense-limit", type=int, default=10000,
                        help="largest n run on the dense path")
    parser.add_argument("--class-limit", type=int, default=50000,
                        help="largest n run on the class path")
    parser.add_argument("--hr-csv", type=Path, default=None,
                        help="a real HR export to draw people from (default: shipped)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--plot", type=Path, default=REPO / "docs" / "benchmark-paths.png")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    print("n | rules | path | classes | pair s | end to end s | CPU s | peak RSS MB | pairs | "
          "total score | certificate | load")
    print("---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---:")
    rows = []
    for kind in args.rules:
        rows += bench_paths(sizes, kind, ["dense", "classes"], args.hr_csv, args.seed,
                            args.out, args.dense_limit, args.class_limit)
    (args.out / "paths.json").write_text(json.dumps(rows, indent=2) + "\n", "utf-8")
    plot_paths(rows, args.plot)
    wrong = [n for n in sizes for kind in args.rules
             if len({(r["pairs"], r["total"]) for r in rows
                     if r["n"] == n and r["rules"] == kind and "error" not in r}) > 1]
    if wrong:
        print(f"the paths disagree at n = {wrong}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--path-worker"]:
        path_worker(*sys.argv[2:5])
        sys.exit(0)
    if "--paths" in sys.argv[1:]:
        sys.exit(paths_main(sys.argv[1:]))
    sys.exit(main())
