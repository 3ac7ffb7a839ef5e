"""A run's TensorBoard event files, written with tensorboardX (the optional extra ``tensorboard``).

`Board` is what the loop reports to with ``--tensorboard``: every logged step's losses, D's
outputs, learning rates and speed; the fixed-noise grid and histograms of both networks'
weights and gradients with every ``--sample-every`` grid; the in-training scores. Only rank 0
of a job makes one. A resumed run writes into the same directory with tensorboardX's
``purge_step`` at its first new step, so TensorBoard drops whatever a killed run logged after
its checkpoint and the curves continue with no step twice.
"""
from ..common.checks import UserError
from ..training.trainer import NETS

INSTALL = 'pip install -e ".[tensorboard]"'
FLUSH_S = 10  # how stale the files may get: TensorBoard shows a live run this far behind
# Histogram bins: 64 fixed ones cost a quarter of tensorboardX's default (about 1,500 buckets
# spaced for TensorFlow): 74 against 310 ms for the default DCGAN's 36 arrays on 2 cores.
HISTOGRAM_BINS = 64
# Scalar tag -> key of a step's row (`mxgan.runs.rundir.MetricsLog`).
STEP_SCALARS = {"loss/D": "d_loss", "loss/G": "g_loss", "D_output/on_real": "d_real",
                "D_output/on_fake": "d_fake", "speed/images_per_s": "images_per_s"}
# Scalar tag -> key of a score's row (`mxgan.runs.watch.score_row`).
SCORE_SCALARS = {"quality/FD_over_floor": "fd_ratio", "quality/classes_covered": "classes_covered",
                 "quality/precision": "precision", "quality/recall": "recall",
                 "quality/conditional_accuracy": "accuracy"}
SHORT = dict(zip(NETS, ("G", "D")))


class TensorBoardMissing(UserError):
    """``--tensorboard`` was asked for where tensorboardX is not installed."""


def require_tensorboardx():
    """The tensorboardX module, or `TensorBoardMissing` saying how to install it."""
    try:
        import tensorboardX
    except ImportError:
        raise TensorBoardMissing("--tensorboard needs tensorboardX: %s" % INSTALL) from None
    return tensorboardX


class Board:
    """TensorBoard event files in ``logdir`` for a run starting at step ``start``; ``recipe``
    (`mxgan.training.trainer.Recipe`) gives the learning rates."""

    def __init__(self, logdir, *, start=0, recipe):
        writer = require_tensorboardx().SummaryWriter
        # The file is named by the second it was opened in; the first step in the name keeps a
        # resume within the same second from overwriting the file before it, and sorts after it.
        self.writer = writer(str(logdir), purge_step=start + 1 if start else None,
                             flush_secs=FLUSH_S, max_queue=1000,
                             filename_suffix=".from-step-%010d" % start)
        self.recipe = recipe

    def steps(self, rows):
        """Every scalar of the steps' rows, and both networks' learning rates."""
        for row in rows:
            step = row["iteration"]
            for tag, key in STEP_SCALARS.items():
                self.writer.add_scalar(tag, row[key], step)
            for net in NETS:
                self.writer.add_scalar("lr/" + SHORT[net], self.recipe.learning_rate(net, step),
                                       step)

    def grid(self, iteration, picture):
        """The fixed-noise grid (uint8 (H, W, C), as written to samples/)."""
        self.writer.add_image("samples/fixed_noise", picture, iteration, dataformats="HWC")

    def histograms(self, iteration, trainer):
        """Every weight and gradient of both networks (first device) as histograms."""
        for net in NETS:
            for name, weight, grad in trainer.param_arrays(net):
                for kind, array in (("weights", weight), ("grads", grad)):
                    self.writer.add_histogram("%s_%s/%s" % (SHORT[net], kind, name),
                                              array.asnumpy(), iteration, bins=HISTOGRAM_BINS)

    def score(self, row):
        """An in-training score's numbers (those the row has)."""
        for tag, key in SCORE_SCALARS.items():
            if key in row:
                self.writer.add_scalar(tag, row[key], row["iteration"])

    def close(self):
        self.writer.close()
