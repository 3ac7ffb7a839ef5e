"""A run's TensorBoard event files, written with tensorboardX (the optional extra ``tensorboard``).

`Board` is what the loop reports to with ``--tensorboard``: every logged step's losses, D's
outputs, learning rates and speed; the fixed-noise grid and histograms of both networks'
weights and gradients with every ``--sample-every`` grid; the in-training scores. Only rank 0
of a job makes one. A resumed run writes into the same directory with tensorboardX's
``purge_step`` at its first new step, so TensorBoard drops whatever a killed run logged after
its checkpoint and the curves continue with no step twice.

Events are written in the training thread (`EventFile`), not by tensorboardX's writer thread:
a full or read-only disk then ends the run with one line naming the file
(`mxgan.common.files.WriteFailed`), where in that thread it would end the thread with a
traceback and leave training blocked behind its queue.
"""
import socket
import time
from pathlib import Path

from ..common.checks import UserError
from ..common.files import writing
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
    (`mxgan.training.recipe.Recipe`) gives the learning rates."""

    def __init__(self, logdir, *, start=0, recipe):
        self.summary = require_tensorboardx().summary
        # The first step in the file's name keeps a resume within the second of the file before
        # it from overwriting that file, and sorts after it.
        self.events = EventFile(Path(logdir), suffix=".from-step-%010d" % start,
                                purge_step=start + 1 if start else None)
        self.recipe = recipe

    def steps(self, rows):
        """Every scalar of the steps' rows, and both networks' learning rates."""
        for row in rows:
            step = row["iteration"]
            for tag, key in STEP_SCALARS.items():
                self.events.add(self.summary.scalar(tag, row[key]), step)
            for net in NETS:
                self.events.add(self.summary.scalar("lr/" + SHORT[net],
                                                    self.recipe.learning_rate(net, step)), step)

    def grid(self, iteration, picture):
        """The fixed-noise grid (uint8 (H, W, C), as written to samples/)."""
        self.events.add(self.summary.image("samples/fixed_noise", picture, dataformats="HWC"),
                        iteration)

    def histograms(self, iteration, trainer):
        """Every weight and gradient of both networks (first device) as histograms."""
        for net in NETS:
            for name, weight, grad in trainer.param_arrays(net):
                for kind, array in (("weights", weight), ("grads", grad)):
                    tag = "%s_%s/%s" % (SHORT[net], kind, name)
                    self.events.add(self.summary.histogram(tag, array.asnumpy(), HISTOGRAM_BINS),
                                    iteration)

    def score(self, row):
        """An in-training score's numbers (those the row has)."""
        for tag, key in SCORE_SCALARS.items():
            if key in row:
                self.events.add(self.summary.scalar(tag, row[key]), row["iteration"])

    def close(self):
        self.events.close()


class EventFile:
    """One TensorBoard event file, written by the calling thread and flushed every `FLUSH_S`
    seconds; a failed write raises `mxgan.common.files.WriteFailed` naming it.

    ``purge_step`` tells TensorBoard to drop what earlier files logged from that step on.
    The name is tensorboardX's: ``events.out.tfevents.<second>.<host><suffix>``.
    """

    def __init__(self, logdir, *, suffix="", purge_step=None):
        from tensorboardX.proto.event_pb2 import Event, SessionLog
        from tensorboardX.record_writer import RecordWriter
        self._event = Event
        self.path = logdir / ("events.out.tfevents.%s.%s%s"
                              % (str(time.time())[:10], socket.gethostname(), suffix))
        with writing(self.path):
            logdir.mkdir(parents=True, exist_ok=True)
            self._records = RecordWriter(str(self.path))
        self._write(Event(wall_time=time.time(), file_version="brain.Event:2"))
        if purge_step is not None:
            self._write(Event(wall_time=time.time(), step=purge_step,
                              session_log=SessionLog(status=SessionLog.START)))
        self._flushed = time.monotonic()

    def add(self, summary, step):
        """Append a Summary at ``step``; flush when the file is `FLUSH_S` stale."""
        self._write(self._event(wall_time=time.time(), step=step, summary=summary))
        if time.monotonic() - self._flushed > FLUSH_S:
            self.flush()

    def _write(self, event):
        with writing(self.path):
            self._records.write(event.SerializeToString())

    def flush(self):
        with writing(self.path):
            self._records.flush()
        self._flushed = time.monotonic()

    def close(self):
        with writing(self.path):
            self._records.close()  # flushes what is buffered
