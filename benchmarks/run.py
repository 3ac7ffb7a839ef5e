"""Benchmark mxgan's trainers against the tutorials' naive loops and PyTorch twins.

Runs every (workload, implementation) pair in its own process, ``--repeats`` times, alternating
the implementations' order between repeats; prints a table and appends a record (with its
provenance, `benchmarks.records`) to ``records/throughput.jsonl``. Usage, from the repository
root: ``python benchmarks/run.py [--workloads ...] [--steps 20] [--repeats 2]``.
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make the benchmarks package importable
    sys.path.insert(0, str(ROOT))

from benchmarks import harness, records, report  # noqa: E402
from benchmarks.child import add_workload_args  # noqa: E402
from benchmarks.workloads import WORKLOADS  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--workloads", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    parser.add_argument("--impls", nargs="+", choices=tuple(harness.IMPLEMENTATIONS),
                        default=list(harness.IMPLEMENTATIONS))
    parser.add_argument("--repeats", type=int, default=2, help="processes per (workload, impl)")
    add_workload_args(parser)
    parser.add_argument("--out", type=Path, default=records.RECORDS / "throughput.jsonl",
                        help="records file")
    return parser.parse_args(argv)


def runnable(impls):
    """The implementations whose requirements are installed; says why the others are skipped."""
    keep = []
    for impl in impls:
        problem = harness.missing_requirement(impl)
        if problem:
            print(problem, file=sys.stderr)
        else:
            keep.append(impl)
    return keep


def schedule(workloads, impls, repeats):
    """(workload, impl) in run order: each repeat visits the implementations in reverse order of
    the previous one, so drift in the machine's load does not favour one of them."""
    order = []
    for repeat in range(repeats):
        turn = impls if repeat % 2 == 0 else impls[::-1]
        order += [(workload, impl) for workload in workloads for impl in turn]
    return order


def child_command(args, workload, impl):
    command = [sys.executable, "-m", "benchmarks.child", impl] + ([workload] if workload else [])
    command += ["--steps", args.steps, "--warmup", args.warmup, "--threads", args.threads,
                "--ctx", args.ctx]
    for flag, value in (("--batch-size", args.batch_size), ("--filters", args.filters),
                        ("--peak-size", args.peak_size)):
        if value is not None:
            command += [flag, value]
    return [str(part) for part in command]


def run_child(command):
    """Run one measurement process; returns its JSON result (the last line it prints)."""
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        what, log = " ".join(command[2:]), done.stderr[-4000:]
        raise RuntimeError("%s failed (exit %d):\n%s" % (what, done.returncode, log))
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    args = parse_args(argv)
    impls = runnable(args.impls)
    before = report.machine()
    peaks, runs = [], []
    for workload, impl in schedule(args.workloads, impls, args.repeats):
        if impl == impls[0] and workload == args.workloads[0]:  # each repeat, a peak first
            peaks.append(run_child(child_command(args, None, "peak"))["sgemm_gflops"])
        runs.append(run_child(child_command(args, workload, impl)))
        print("%-8s %-6s %8.1f images/s" % (workload, impl, runs[-1]["images_per_s"]),
              file=sys.stderr, flush=True)
    rows = report.summarize(runs, step_gflop=report.step_gflop(args, args.workloads),
                            peak_gflops=max(peaks))
    ratio_table = report.ratios(rows)
    print(report.format_table(rows, ratio_table))
    print("fp32 matrix-product peak (%dx%d, %d threads), per repeat: %s GFLOP/s"
          % (args.peak_size, args.peak_size, args.threads, " ".join("%.0f" % p for p in peaks)))
    config = {key: value for key, value in vars(args).items() if key != "out"}
    results = {"machine": before, "load_average_1min_after": report.machine()["load_average_1min"],
               "config": dict(config, impls=impls), "sgemm_gflops": peaks, "results": rows,
               "ratios": ratio_table, "runs": runs}
    records.write(args.out, records.command_line(__file__, argv), results)
    print("wrote %s" % args.out)


if __name__ == "__main__":
    main()
