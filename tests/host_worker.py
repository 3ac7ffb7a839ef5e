"""A worker of tests/test_hosts.py: an example run as its command line says, then this worker's
learned parameters, which only rank 0 would otherwise save.

    python tests/host_worker.py DUMP_DIR examples/dcgan_mnist.py --kvstore dist_sync ...

writes ``DUMP_DIR/rank-R.npz`` (`dist_worker.params`) when training ends, before the KVStore's
teardown; the example's exit code is this script's.
"""
import runpy
import sys
from pathlib import Path

import mxgan  # noqa: F401  (before mxnet: it lets MXNet 1.9.1 run on numpy >= 1.24)
from mxgan.runs import loop

import numpy as np

from dist_worker import params


def main(dump_dir, example, *args):
    fit = loop.fit

    def fit_then_dump(trainer, *fit_args, **fit_kwargs):
        done = fit(trainer, *fit_args, **fit_kwargs)
        np.savez(Path(dump_dir) / ("rank-%d.npz" % trainer.cluster.rank), **params(trainer))
        return done
    loop.fit = fit_then_dump
    sys.argv = [example, *args]
    runpy.run_path(example, run_name="__main__")


if __name__ == "__main__":
    main(*sys.argv[1:])
