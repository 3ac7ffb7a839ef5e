"""Measure one implementation on one workload in this process; print the result as one JSON line.

Run by `benchmarks/run.py` (``python -m benchmarks.child IMPL WORKLOAD ...`` from the repository
root), one process per measurement so each peak-memory figure is that implementation's own.
"""
import argparse
import importlib
import json
import os
import platform

from . import harness
from .workloads import WORKLOADS, make_workload


def add_workload_args(parser):
    """Options shared with run.py: steps, threads, device and workload size overrides."""
    parser.add_argument("--steps", type=int, default=20, help="timed steps")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    parser.add_argument("--threads", type=int, default=2, help="compute threads, every framework")
    parser.add_argument("--ctx", choices=("cpu", "gpu"), default="cpu", help="device")
    parser.add_argument("--batch-size", type=int, help="override every workload's batch size")
    parser.add_argument("--filters", type=int,
                        help="override ngf = ndf of the DCGAN workloads (smoke tests)")
    parser.add_argument("--peak-size", type=int, default=4096,
                        help="side of the square matrices whose product measures the peak")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("impl", choices=tuple(harness.IMPLEMENTATIONS) + ("peak",),
                        help="an implementation, or peak: the fp32 matrix-product rate")
    parser.add_argument("workload", choices=WORKLOADS, nargs="?")
    add_workload_args(parser)
    return parser.parse_args(argv)


def measure(args):
    """Build the implementation and time it (or the machine's sgemm rate); returns the
    JSON-ready result."""
    if args.impl == "peak":
        from .flops import sgemm_gflops  # imports MXNet, after the thread settings
        return {"impl": "peak", "sgemm_gflops": sgemm_gflops(args.peak_size),
                "threads": args.threads}
    workload = make_workload(args.workload, device=args.ctx, batch_size=args.batch_size,
                             filters=args.filters)
    gan = harness.builder(args.impl)(workload, args.ctx)
    result = harness.measure(gan, batch_size=workload.batch_size, warmup=args.warmup,
                             steps=args.steps)
    return dict(result, impl=args.impl, workload=args.workload, batch_size=workload.batch_size,
                ngf=workload.ngf, ndf=workload.ndf, threads=args.threads, ctx=args.ctx,
                pid=os.getpid(), python=platform.python_version(),
                framework_version=_framework_version(args.impl))


def _framework_version(impl):
    module = importlib.import_module("torch" if impl == "torch" else "mxnet")
    return "%s %s" % (module.__name__, module.__version__)


def main(argv=None):
    args = parse_args(argv)
    os.environ.update(harness.thread_env(args.threads))  # before MXNet or torch loads
    print(json.dumps(measure(args)), flush=True)


if __name__ == "__main__":
    main()
