"""Scaling out: images/s of the real examples on one device, two devices and two workers.

    python benchmarks/scaling.py [--models dcgan cgan] [--iters 300] [--out FILE]

Appends a record (with its provenance, `benchmarks.records`) to ``records/scaling.jsonl``.

Each layout trains the shipped example from scratch in its own process(es) with the same global
batch and the same total number of OpenMP threads (``--threads``, split between workers), and
reads throughput from rank 0's ``metrics.jsonl`` (global images per second of wall time, the first
``--skip`` steps dropped as warm-up). The layouts:

- ``1 device``: one process, ``--ctx cpu``;
- ``2 devices``: one process, ``--ctx cpu:0,1`` (a Module / executors per device, local KVStore);
- ``2 workers``: ``python -m mxgan.launch -n 2 -s 1`` with ``--kvstore dist_sync``.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

from benchmarks import records  # noqa: E402

LAYOUTS = {
    "1 device": ([], ["--ctx", "cpu"]),
    "2 devices": ([], ["--ctx", "cpu:0,1"]),
    "2 workers": (["-m", "mxgan.launch", "-n", "2", "-s", "1", "--", sys.executable],
                  ["--ctx", "cpu", "--kvstore", "dist_sync"]),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--models", nargs="+", choices=("dcgan", "cgan"),
                        default=["dcgan", "cgan"])
    parser.add_argument("--layouts", nargs="+", choices=tuple(LAYOUTS), default=list(LAYOUTS))
    parser.add_argument("--iters", type=int, default=300, help="training steps per run")
    parser.add_argument("--skip", type=int, default=50, help="warm-up steps left out")
    parser.add_argument("--threads", type=int, default=2, help="OpenMP threads in all")
    parser.add_argument("--out", type=Path, default=records.RECORDS / "scaling.jsonl",
                        help="records file")
    return parser.parse_args(argv)


def throughput(rows, skip):
    """Median global images/s over the logged blocks after ``skip`` steps."""
    rates = [row["images_per_s"] for row in rows if row["iteration"] > skip]
    return statistics.median(rates) if rates else float("nan")


def run_layout(model, layout, args):
    """Train ``model`` in ``layout``; returns (images/s, wall seconds)."""
    launcher, flags = LAYOUTS[layout]
    workers = 2 if launcher else 1
    env = dict(os.environ, OMP_NUM_THREADS=str(max(1, args.threads // workers)))
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, *launcher, "examples/%s_mnist.py" % model, *flags,
                   "--max-iters", str(args.iters), "--offline", "--no-eval", "--out", out,
                   "--sample-every", str(args.iters), "--checkpoint-every", str(args.iters)]
        start = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError("%s %s failed (exit %d):\n%s" % (model, layout, done.returncode,
                                                                 done.stderr[-4000:]))
        rows = [json.loads(line) for line in Path(out, "metrics.jsonl").read_text().splitlines()]
    return throughput(rows, args.skip), wall


def main(argv=None):
    args = parse_args(argv)
    results = []
    for model in args.models:
        for layout in args.layouts:
            images_per_s, wall = run_layout(model, layout, args)
            results.append({"model": model, "layout": layout, "images_per_s": images_per_s,
                            "wall_s": wall})
            print("%-6s %-10s %8.1f images/s  %6.1f s wall" % (model, layout, images_per_s, wall),
                  flush=True)
    config = {key: value for key, value in vars(args).items() if key != "out"}
    records.write(args.out, records.command_line(__file__, argv),
                  {"config": config, "load_average": os.getloadavg(), "results": results})
    print("wrote %s" % args.out)


if __name__ == "__main__":
    main()
