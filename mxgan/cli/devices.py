"""The devices a run trains on, from ``--ctx``."""
import os
import sys

import mxnet as mx

from ..common.checks import UsageError


def parse_context(spec):
    """``auto`` | ``cpu`` | ``gpu`` | ``gpu:0,1`` | ``cpu:0,1`` to a list of `mx.Context`."""
    num_gpus = mx.context.num_gpus()
    if spec == "auto":
        return [mx.gpu(0) if num_gpus else mx.cpu()]
    kind, _, ids = spec.partition(":")
    if kind not in ("cpu", "gpu"):
        raise UsageError("--ctx must be auto, cpu, gpu or a list like gpu:0,1 (got %r)" % spec)
    try:
        devices = [int(i) for i in ids.split(",")] if ids else [0]
    except ValueError:
        raise UsageError("--ctx device ids must be integers, as in gpu:0,1 (got %r)" % spec)
    if min(devices) < 0 or len(set(devices)) < len(devices):
        raise UsageError("--ctx device ids must be distinct and >= 0 (got %r)" % spec)
    if kind == "gpu" and max(devices) >= num_gpus:
        raise UsageError("--ctx %s: this machine has %d GPU(s) visible to MXNet; use --ctx cpu "
                         "or install a CUDA build (e.g. mxnet-cu112)" % (spec, num_gpus))
    return [mx.Context(kind, i) for i in devices]


def training_contexts(spec, *, command_line):
    """`parse_context`, restarting a command-line run with one OpenMP thread when it asks for
    several CPU contexts.

    MXNet 1.9.1's oneDNN kernels deadlock when two CPU contexts of one process each run more
    than one OpenMP thread (seen: ``--ctx cpu:0,1`` hangs within 20 steps on 2 threads, runs on
    1). MXNet fixes its thread count when it loads, so only a fresh process can change it;
    in-process callers (``command_line=False``) get the contexts as they are.
    """
    contexts = parse_context(spec)
    cpus = sum(ctx.device_type == "cpu" for ctx in contexts)
    if command_line and cpus > 1 and os.environ.get("OMP_NUM_THREADS") != "1":
        print("note: %d CPU contexts: restarting with OMP_NUM_THREADS=1 (MXNet's oneDNN "
              "deadlocks with more threads per context)" % cpus, file=sys.stderr, flush=True)
        os.execve(sys.executable, [sys.executable] + sys.argv,
                  dict(os.environ, OMP_NUM_THREADS="1"))
    return contexts
