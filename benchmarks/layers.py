"""What each exact rewrite of `mxgan.nets.layers` buys: the tutorial layer against its fast form.

    python benchmarks/layers.py [--steps 30] [--threads 2]

Each layer is timed alone at its size in a benchmark workload, forward and backward (every
gradient), median of ``--steps`` after warm-up; milliseconds per training step are that times
the passes a step makes (D's layers run three times: on fakes, on reals and for G's gradient).
Appends a record (with its provenance, `benchmarks.records`) to ``records/layers.jsonl``.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

from benchmarks import harness, records  # noqa: E402

# (workload, rewrite, batch, builder arguments, input shapes, passes a step makes)
CASES = [
    ("dcgan28", "D's last convolution as a dense layer", 128, "last", dict(
        in_channels=112, in_size=3, kernel=4, stride=2, pad=1), {"x": (128, 112, 3, 3)}, 3),
    ("dcgan64", "D's last convolution as a dense layer", 64, "last", dict(
        in_channels=256, in_size=4, kernel=4, stride=1, pad=0), {"x": (64, 256, 4, 4)}, 3),
    ("cgan28", "condition planes as a bias map", 64, "conditioned", dict(
        image_channels=1, num_classes=10, size=28, num_filter=24, kernel=3),
     {"x": (64, 1, 28, 28), "cond": (64, 10)}, 3),
    ("cgan28", "G's first deconvolution as a product", 64, "first", dict(
        in_channels=106, num_filter=384, kernel=4), {"x": (64, 106)}, 1),
    ("dcgan28", "G's first deconvolution as a product", 128, "first", dict(
        in_channels=100, num_filter=112, kernel=4), {"x": (128, 100)}, 1),
]


def layer(kind, options, fast):
    """The layer under test, on Variables "x" (and "cond")."""
    from mxgan.nets import layers

    import mxnet as mx
    x = mx.sym.Variable("x")
    if kind == "last":
        return layers.last_convolution(x, name="l", fast=fast, **options)
    if kind == "first":
        return layers.first_deconvolution(x, name="l", fast=fast, **options)
    return layers.conditioned_convolution(x, mx.sym.Variable("cond"), name="l", fast=fast,
                                          **options)


def time_layer(symbol, shapes, steps):
    """Median milliseconds of one forward and backward pass of ``symbol``."""
    import mxnet as mx
    import numpy as np
    executor = symbol.simple_bind(mx.cpu(), grad_req="write", **shapes)
    rng = np.random.RandomState(0)
    for array in executor.arg_dict.values():
        array[:] = rng.normal(size=array.shape) * 0.1
    out_grad = mx.nd.array(rng.normal(size=executor.outputs[0].shape))
    times = []
    for step in range(steps + 3):
        start = time.perf_counter()
        executor.forward(is_train=True)
        executor.backward(out_grad)
        mx.nd.waitall()
        if step >= 3:
            times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


def parse_args(argv=None):
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=records.RECORDS / "layers.jsonl",
                        help="records file")
    return parser.parse_args(argv)


def main(argv=None):
    """Time every case's tutorial layer against its fast form; append the record."""
    args = parse_args(argv)
    os.environ.update(harness.thread_env(args.threads))  # before MXNet loads
    rows = []
    for workload, rewrite, _, kind, options, shapes, passes in CASES:
        tutorial, fast = (time_layer(layer(kind, options, f), shapes, args.steps)
                          for f in (False, True))
        rows.append(dict(workload=workload, rewrite=rewrite, tutorial_ms=tutorial, fast_ms=fast,
                         passes=passes, saved_ms_per_step=passes * (tutorial - fast)))
        print("| %s | %s | %.2f | %.2f | %d | %.1f |" % (
            workload, rewrite, tutorial, fast, passes, rows[-1]["saved_ms_per_step"]), flush=True)
    settings = {"steps": args.steps, "threads": args.threads}
    records.write(args.out, records.command_line(__file__, argv), dict(settings, rows=rows))


if __name__ == "__main__":
    main()
