"""The gradient exchange's cost per step between two hosts, at link speeds shaped with tc.

    python benchmarks/hosts.py [--nets 28 64-64 64-128] [--links unshaped 10g 1g 100m]
                               [--iters 30] [--skip 10] [--repeats 3] [--out FILE]

Needs root (network namespaces). For each network the DCGAN example (``--profile cpu`` with the
network's size, widths and batch) trains ``--iters`` steps, a fresh run each time, in each layout:

- ``1 worker``: one process, ``--threads`` OpenMP threads, no KVStore;
- ``2 hosts``: the README's multi-machine recipe on two simulated hosts (`benchmarks.netns`:
  the scheduler, a server and a worker on one, a worker on the other; ``--kvstore dist_sync``,
  the threads split between the workers), the link between them unshaped or limited each way by
  a tc token bucket (this machine's kernel has no netem, so no latency is added).

A step's time is the global batch over rank 0's images/s, per block of 10 steps after ``--skip``;
the layouts take turns ``--repeats`` times, so that other load on the machine spreads over all
of them, and each reports the median of all its blocks. The hosts share this machine's cores,
so the figures isolate the network's cost only roughly. Results (every block, the load average
around each run) are appended to ``--out`` as a record (with its provenance,
`benchmarks.records`), and a Markdown table goes to stdout.
"""
import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import netns, records  # noqa: E402
from mxgan.runs.rundir import read_metrics  # noqa: E402
from mxgan.training import checkpoint, checkpoint_reading  # noqa: E402

# The 28 px net is the CPU default (and its batch); the 64 px ones are MXNet's DCGAN tutorial's
# at half and at the published width (one channel: MNIST), with a batch of 4 so that 2 cores'
# compute does not drown the exchange, whose size the batch does not change.
NETS = {"28": dict(image_size=28, ngf=28, ndf=28, batch_size=64),
        "64-64": dict(image_size=64, ngf=64, ndf=64, batch_size=4),
        "64-128": dict(image_size=64, ngf=128, ndf=128, batch_size=4)}
LINKS = {"unshaped": None, "10g": 10 ** 10, "1g": 10 ** 9, "100m": 10 ** 8}
ALONE = "1 worker"
LOG_EVERY = 10  # steps per block of rank 0's metrics (mxgan.runs.loop.LOG_EVERY)
JOB_TIME_LIMIT_S = 3600


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--nets", nargs="+", choices=tuple(NETS), default=list(NETS))
    parser.add_argument("--links", nargs="+", choices=tuple(LINKS), default=list(LINKS),
                        help="link speeds between the two hosts (bit/s each way)")
    parser.add_argument("--iters", type=int, default=30, help="training steps per run")
    parser.add_argument("--skip", type=int, default=10, help="warm-up steps left out")
    parser.add_argument("--repeats", type=int, default=3, help="runs of every layout")
    parser.add_argument("--threads", type=int, default=2, help="OpenMP threads in all")
    parser.add_argument("--out", type=Path, default=records.RECORDS / "hosts.jsonl",
                        help="records file")
    return parser.parse_args(argv)


def train_command(net, args, run_dir):
    """The DCGAN example training ``net`` for ``args.iters`` steps into ``run_dir``, writing
    nothing but its metrics before the end."""
    flags = ["--%s=%s" % (key.replace("_", "-"), value) for key, value in NETS[net].items()]
    return [sys.executable, "examples/dcgan_mnist.py", "--profile", "cpu", *flags,
            "--max-iters", str(args.iters), "--sample-every", str(args.iters),
            "--checkpoint-every", str(args.iters), "--no-eval", "--offline", "--out",
            str(run_dir)]


def block_ms(run_dir, net, skip):
    """Milliseconds per step of each block of rank 0's metrics after ``skip`` steps."""
    rows = read_metrics(run_dir / "metrics.jsonl")
    return [1000 * NETS[net]["batch_size"] / row["images_per_s"] for row in rows
            if row["iteration"] > skip and row["iteration"] % LOG_EVERY == 0]


def gradient_mb(run_dir):
    """Megabytes of gradients per step (4 bytes per learned parameter of G and D)."""
    saved = checkpoint.latest(run_dir)
    return 4e-6 * sum(array.size for net in ("generator", "discriminator")
                      for array in checkpoint_reading.load_params(saved, net)[0].values())


def one_worker(command, args, run_dir):
    """Train by one process alone."""
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError("1 worker failed:\n%s" % done.stderr[-3000:])


def two_hosts(command, args, run_dir, link):
    """Train by the recipe's two workers on two hosts, their link shaped to ``link``."""
    logs = run_dir.with_name(run_dir.name + "-logs")
    logs.mkdir()
    with netns.SimulatedHosts() as hosts:
        hosts.shape(LINKS[link])
        job = netns.RecipeJob(hosts, command + ["--kvstore", "dist_sync"], logs,
                              OMP_NUM_THREADS=str(max(1, args.threads // 2)))
        ended = job.wait(JOB_TIME_LIMIT_S)
    failed = [name for name, (code, _) in ended.items() if code]
    if failed:
        raise RuntimeError("over %s, %s failed:\n%s" % (link, failed[0],
                                                        job.log(failed[0])[-3000:]))


def run_once(net, layout, args, work):
    """One fresh run of ``net`` in ``layout``: its blocks' ms per step and the load around it."""
    run_dir = Path(tempfile.mkdtemp(dir=work))
    load_before = os.getloadavg()[0]
    command = train_command(net, args, run_dir)
    if layout == ALONE:
        one_worker(command, args, run_dir)
    else:
        two_hosts(command, args, run_dir, layout)
    result = {"block_ms": block_ms(run_dir, net, args.skip), "gradient_mb": gradient_mb(run_dir),
              "load_average": [load_before, os.getloadavg()[0]]}
    print("%-7s %-9s %s ms per step (load %.1f-%.1f)" % (
        net, layout, " ".join("%.0f" % ms for ms in result["block_ms"]),
        *result["load_average"]), flush=True)
    return result


def measure(net, args):
    """One row of results: every layout's runs, its median ms per step, the gradient size."""
    layouts = [ALONE, *args.links]
    runs = {layout: [] for layout in layouts}
    with tempfile.TemporaryDirectory() as work:
        for _ in range(args.repeats):  # the layouts take turns
            for layout in layouts:
                runs[layout].append(run_once(net, layout, args, work))
    median = {layout: statistics.median(ms for run in runs[layout] for ms in run["block_ms"])
              for layout in layouts}
    return {"net": net, **NETS[net], "gradient_mb": runs[ALONE][0]["gradient_mb"],
            "median_ms": median, "runs": runs}


def markdown(rows, links):
    """The results as a Markdown table of median ms per step."""
    layouts = [ALONE, *links]
    lines = ["| network | gradients | batch | %s |" % " | ".join(
                 layout if layout == ALONE else "2 hosts, " + layout for layout in layouts),
             "| --- " * (3 + len(layouts)) + "|"]
    for row in rows:
        lines.append("| %s | %.1f MB | %d | %s |" % (
            row["net"], row["gradient_mb"], row["batch_size"],
            " | ".join("%.0f" % row["median_ms"][layout] for layout in layouts)))
    return "\n".join(lines)


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)  # so that the simulated hosts are removed


def main(argv=None):
    args = parse_args(argv)
    why_not = netns.unavailable()
    if why_not:
        sys.exit("benchmarks/hosts.py: %s" % why_not)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    rows = [measure(net, args) for net in args.nets]
    settings = {key: getattr(args, key) for key in ("iters", "skip", "repeats", "threads")}
    records.write(args.out, records.command_line(__file__, argv), {**settings, "rows": rows})
    print(markdown(rows, args.links))


if __name__ == "__main__":
    main()
