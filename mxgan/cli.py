"""Command-line plumbing shared by the examples: flags, devices, config files and user errors.

A user mistake raises `UsageError`; `main_guard` turns it (and a dataset problem) into one line on
stderr and exit code 2, never a traceback.
"""
import argparse
import functools
import json
import os
import sys
from pathlib import Path

import mxnet as mx

from . import checkpoint, fit, generate
from .data import DATASETS, DatasetError
from .parallel import KVSTORES, Cluster


class UsageError(Exception):
    """A problem with what the user asked for; the message says how to fix it."""


def main_guard(main):
    """Run ``main``; report `UsageError` / `DatasetError` as ``error: ...`` and exit 2."""
    @functools.wraps(main)
    def guarded(argv=None):
        try:
            return main(argv)
        except (UsageError, DatasetError) as err:
            print("error: %s" % err, file=sys.stderr)
            sys.exit(2)
    return guarded


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
    if kind == "gpu":
        missing = [i for i in devices if i >= num_gpus]
        if missing:
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


def positive_int(text):
    """argparse type: an integer >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be >= 1, got %d" % value)
    return value


class DefaultsHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each flag's default, except where there is none to show (None, or an off switch);
    those flags' help says what happens instead."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


def new_parser(description):
    """An ArgumentParser that shows defaults."""
    return argparse.ArgumentParser(description=description,
                                   formatter_class=DefaultsHelpFormatter)


def add_training_args(parser, *, default_dataset="mnist"):
    """Flags every example shares, in groups: data, training, output."""
    data = parser.add_argument_group("data")
    data.add_argument("--dataset", default=default_dataset,
                      help="one of: %s" % ", ".join(DATASETS))
    data.add_argument("--offline", action="store_true",
                      help="never download; use local files (or MNIST's offline sample)")
    fit = parser.add_argument_group("training")
    fit.add_argument("--epochs", type=positive_int,
                     help="passes over the data (default: per device)")
    fit.add_argument("--max-iters", type=positive_int, help="stop after this many steps")
    fit.add_argument("--batch-size", type=int, help="global batch (default: per device)")
    fit.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate")
    fit.add_argument("--beta1", type=float, default=0.5, help="Adam beta1")
    fit.add_argument("--real-label", type=float,
                     help="D's target for real images; 0.9 is one-sided label smoothing "
                          "(default: per device)")
    fit.add_argument("--seed", type=int, default=0, help="seeds data order, noise and init")
    fit.add_argument("--ctx", default="auto",
                     help="auto | cpu | gpu | gpu:0,1 | cpu:0,1 (several: data parallel)")
    fit.add_argument("--kvstore", choices=KVSTORES, default="local",
                     help="how gradients are summed: over this process's devices (local, "
                          "device) or over the workers of a job started by mxgan.launch "
                          "(dist_sync, dist_device_sync)")
    out = parser.add_argument_group("output")
    out.add_argument("--out", type=Path, help="run directory (default: runs/<model>-<dataset>)")
    out.add_argument("--sample-every", type=positive_int, default=100,
                     help="write the fixed-noise grid every N steps")
    out.add_argument("--checkpoint-every", type=positive_int, default=500,
                     help="checkpoint every N steps")
    out.add_argument("--resume", action="store_true", help="continue from the latest checkpoint")
    out.add_argument("--dry-run", action="store_true",
                     help="a few steps on tiny settings, to check that everything runs")
    out.add_argument("--no-eval", action="store_true", help="skip scoring samples after training")
    return parser


def check_common(args):
    """Validate the shared flags that argparse cannot; raises `UsageError`."""
    if args.dataset not in DATASETS:
        raise UsageError("unknown dataset %r: choose one of %s"
                         % (args.dataset, ", ".join(DATASETS)))
    if args.real_label is not None and not 0.5 < args.real_label <= 1:
        raise UsageError("--real-label must be in (0.5, 1], got %g" % args.real_label)
    if args.batch_size is not None and args.batch_size < 2:
        raise UsageError("--batch-size must be at least 2 (BatchNorm needs a batch), got %d"
                         % args.batch_size)


def require_checkpoint(run_dir, train_command, checkpoint_dir=None):
    """``checkpoint_dir``, else the latest checkpoint of ``run_dir``, checked to be readable;
    a `UsageError` naming the training command otherwise."""
    found = Path(checkpoint_dir) if checkpoint_dir else checkpoint.latest(run_dir)
    try:
        checkpoint.load_meta(found)
    except (TypeError, OSError, ValueError):  # no checkpoint, no meta.json, or unreadable JSON
        raise UsageError("no trained model at %s: train it first with %s"
                         % (checkpoint_dir or run_dir, train_command)) from None
    return found


def train_command_for(run_dir):
    """The command that trains ``run_dir``: the example named by its config.json (the DCGAN's
    when there is none yet)."""
    try:
        model = json.loads((Path(run_dir) / "config.json").read_text()).get("model")
    except (OSError, ValueError, AttributeError):
        model = None
    example = "cgan_mnist.py" if model == "cgan" else "dcgan_mnist.py"
    return "python examples/%s --out %s" % (example, run_dir)


def check_same_architecture(ckpt_dir, config, keys):
    """Refuse to resume a checkpoint whose architecture differs from the flags."""
    saved = checkpoint.load_meta(ckpt_dir)["config"]
    different = ["%s (checkpoint %r, now %r)" % (k, saved.get(k), config[k])
                 for k in keys if saved.get(k) != config[k]]
    if different:
        raise UsageError("checkpoint %s does not match the flags: %s; pass the flags it was "
                         "trained with or choose another --out" % (ckpt_dir, "; ".join(different)))


def announce(config, run_dir):
    """Print the resolved configuration and save it as ``config.json`` in the run directory."""
    Path(run_dir).mkdir(parents=True, exist_ok=True)
    text = json.dumps(config, indent=2, sort_keys=True)
    (Path(run_dir) / "config.json").write_text(text + "\n")
    print("configuration (saved to %s):\n%s" % (Path(run_dir) / "config.json", text),
          file=sys.stderr)


def resolve_config(profiles, args, contexts, keys, **fixed):
    """The device's profile (or the dry-run one), overridden by the flags given: the shared
    training flags and the example's own ``keys``."""
    profile = "dry-run" if args.dry_run else contexts[0].device_type
    config = dict(profiles[profile], dataset=args.dataset, lr=args.lr, beta1=args.beta1,
                  seed=args.seed, ctx=[str(c) for c in contexts], kvstore=args.kvstore, **fixed)
    keys = tuple(keys) + ("real_label", "batch_size", "epochs", "max_iters")
    config.update({key: getattr(args, key) for key in keys if getattr(args, key) is not None})
    return config


def join_cluster(config):
    """This process's place in the job ``config`` describes; a `UsageError` if it cannot be."""
    try:
        cluster = Cluster.join(config["kvstore"])
        cluster.worker_batch(config["batch_size"], len(config["ctx"]))
    except (ValueError, RuntimeError) as err:
        raise UsageError(str(err)) from None
    config["num_workers"] = cluster.num_workers
    return cluster


def train_and_report(args, config, run_dir, *, build, train_command, architecture):
    """Check a resume, train ``build(config, cluster)`` -> (trainer, data), report; returns the
    exit code. In a multi-process job, rank 0 alone prints and writes."""
    if args.resume:
        check_same_architecture(require_checkpoint(run_dir, train_command), config, architecture)
    elif checkpoint.latest(run_dir) is not None:
        raise UsageError("%s already holds a trained run (%s): pass --resume to continue it, or "
                         "--out DIR to start another" % (run_dir, checkpoint.latest(run_dir).name))
    cluster = join_cluster(config)
    trainer, data = build(config, cluster)
    total = config["epochs"] * data.batches_per_epoch if config["epochs"] else config["max_iters"]
    config["iterations"] = min(total, config["max_iters"] or total)
    if cluster.is_chief:
        announce(config, run_dir)
    iteration, interrupted = fit.fit(
        trainer, data, run_dir=run_dir, config=config, max_iters=config["iterations"],
        sample_every=args.sample_every, checkpoint_every=args.checkpoint_every,
        resume=args.resume)
    if interrupted:
        print("stopped at iteration %d; resume with --resume" % iteration, file=sys.stderr)
        return 130
    if cluster.is_chief:
        from .showcase import timeline_pictures  # showcase builds on this module
        timeline_pictures(run_dir)
        print("done: %d iterations; pictures and checkpoints in %s" % (iteration, run_dir))
        if not (args.no_eval or args.dry_run):
            report_scores(run_dir)
    return 0


def add_interpolate_arg(parser):
    """``--interpolate``: draw walks through a trained generator's latent space."""
    parser.add_argument("--interpolate", action="store_true",
                        help="instead of training, draw latent walks (and, for a CGAN, each noise "
                             "code as every digit) from the trained model into RUN_DIR/showcase")


def write_interpolations(run_dir, train_command, *, checkpoint_dir=None, seed=0):
    """The ``--interpolate`` action: showcase pictures of a trained run; returns the exit code."""
    from .showcase import interpolate_run
    ckpt = require_checkpoint(run_dir, train_command, checkpoint_dir)
    for path in interpolate_run(run_dir, checkpoint_dir=ckpt, seed=seed):
        print("wrote %s" % path)
    return 0


def report_scores(run_dir, num=1000):
    """Score ``num`` samples of a trained run against real digits: scores.json and one line."""
    from .evaluate import evaluate_and_report, summary_line  # loads the classifier only now
    images, labels, dataset = generate.sample_run(run_dir, num)
    scores = evaluate_and_report(images, labels, dataset, Path(run_dir) / "scores.json")
    print("scores (%d samples): %s" % (num, summary_line(scores)))
