"""Which run and checkpoint a command opens: the checkpoint a reader should use, a check that a run
directory holds the model asked for, and the command that trains it when it holds none."""
import json
from pathlib import Path

from ..common.checks import UsageError
from ..training import checkpoint
from ..training.checkpoint import CheckpointError, NonFinite
from .config import ARCHITECTURES
from .rundir import RUN_MARKERS, recorded_config

# The config keys a command needs in the checkpoint it opens (`mxgan.training.checkpoint.find`
# passes over a checkpoint without them). Other keys have defaults, for the runs of earlier
# versions that lack them.
# To sample: the generator's inputs and batch.
NEEDED_TO_SAMPLE = ("nz", "batch_size")
# For a command of an example: also the model and data set (the keys that mark a run).
NEEDED_TO_OPEN = NEEDED_TO_SAMPLE + RUN_MARKERS
# To resume a run of each model: also what `mxgan.run.build` reads.
_NEEDED_TO_TRAIN = ("seed", "lr", "beta1", "real_label", "epochs", "max_iters")
NEEDED_TO_RESUME = {
    "dcgan": NEEDED_TO_OPEN + _NEEDED_TO_TRAIN + ("image_size", "channels", "ngf", "ndf"),
    "cgan": NEEDED_TO_OPEN + _NEEDED_TO_TRAIN + ("condition",),
}


def require_checkpoint(run_dir, checkpoint_dir=None, *, train_command=None, needs=NEEDED_TO_SAMPLE):
    """The checkpoint a reader should use (`mxgan.training.checkpoint.find`; ``needs``: the config
    keys it reads), or a `UsageError` saying what is wrong and how to train the run (see
    `how_to_train`)."""
    try:
        return checkpoint.find(run_dir, checkpoint_dir, needs=needs)
    except NonFinite as err:
        if checkpoint_dir is not None:
            raise UsageError("%s: pass another --checkpoint, or none to use the run's newest "
                             "finite one" % err) from None
        raise UsageError("%s: start another run with --out DIR, with a lower --lr or --lr-d"
                         % err) from None
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


def example_command(model):
    """The command of the example that trains and opens runs of ``model``."""
    return "python examples/%s_mnist.py" % model


def check_model(config, model, where):
    """A `UsageError` unless ``config``, the record of the run at ``where``, is a run of
    ``model``; it names the model the run holds and the example that opens it."""
    found = config.get("model")
    if found not in ARCHITECTURES:
        raise UsageError("%s holds a run of model %r, which mxgan does not train" % (where, found))
    if found != model:
        raise UsageError("%s holds a %s run, not a %s one: open it with %s"
                         % (where, found.upper(), model.upper(), example_command(found)))


def claim(run_dir, model):
    """Check, before anything is written or loaded, that training ``model`` may write into
    ``run_dir``: a new or empty directory, or a run of ``model``
    (`mxgan.runs.rundir.recorded_config`); a `mxgan.common.checks.UserError` otherwise."""
    config = recorded_config(run_dir)
    if config is not None:
        check_model(config, model, run_dir)


def open_run(run_dir, checkpoint_dir=None, *, model, needs=NEEDED_TO_OPEN):
    """The checkpoint a command of ``model`` reads (`mxgan.cli.require_checkpoint`) and its
    config; a `UsageError` when there is none or it holds another model's run."""
    ckpt = require_checkpoint(run_dir, checkpoint_dir, train_command=example_command(model),
                                  needs=needs)
    config = checkpoint.load_meta(ckpt)["config"]
    check_model(config, model, checkpoint_dir or run_dir)
    return ckpt, config

