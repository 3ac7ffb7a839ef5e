"""The training loop both examples share: batches in, pictures, logs and checkpoints out.

A trainer (`mxgan.training.trainer.Trainer`) supplies the step, the monitoring pictures and its
networks; this module owns iteration counting, resumption, Ctrl-C and SIGTERM, the progress bar
and what is written into the run directory. In a multi-process job every worker steps in lockstep
and only rank 0 writes anything.
"""
import contextlib
import signal
import sys
from pathlib import Path

import mxnet as mx
from tqdm import tqdm

from .. import viz
from ..data.images import to_unit_range
from ..data.iters import batch_by_name
from . import checkpoint
from .rundir import MetricsLog

LOG_EVERY = 10  # steps per block of metrics copied off the device (see MetricsLog)
# A step's seed is seed * SEED_STRIDE + iteration, kept within MXNet's seed range: a prime stride
# larger than any run's step count, so two seeds' runs draw other noise at every step.
SEED_STRIDE = 1000003
SEED_RANGE = 2 ** 31
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def reseed(seed, iteration):
    """Seed MXNet's generators from (seed, iteration), before every step: the noise of step
    ``iteration`` is then the same however the run got there (straight or resumed)."""
    mx.random.seed((seed * SEED_STRIDE + iteration) % SEED_RANGE)


class StopRequest:
    """Turns the first Ctrl-C or SIGTERM into a request to checkpoint and stop; a second one
    aborts."""

    def __init__(self):
        self.requested = False
        self.signal = None  # the signal that asked

    def __enter__(self):
        self._previous = {sig: signal.signal(sig, self._handle) for sig in STOP_SIGNALS}
        return self

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested, self.signal = True, signum
        tqdm.write("%s: saving a checkpoint, then stopping (again to abort)."
                   % signal.Signals(signum).name)


class Batches:
    """Endless batches from an `ImageIter`, crossing epochs, positioned at any iteration."""

    def __init__(self, data_iter, start_iteration):
        self.data_iter = data_iter
        epoch, offset = divmod(start_iteration, data_iter.batches_per_epoch)
        data_iter.start_epoch(epoch, skip=offset)

    def next(self):
        try:
            batch = self.data_iter.next()
        except StopIteration:
            self.data_iter.reset()
            batch = self.data_iter.next()
        return batch_by_name(self.data_iter, batch)


def restore(trainer, ckpt):
    """Load the checkpoint ``ckpt`` (one `mxgan.training.checkpoint.find` chose) into
    ``trainer``, with a warning when another mxgan version wrote it; returns its iteration."""
    meta = checkpoint.load_meta(ckpt)
    checkpoint.warn_if_other_version(ckpt, meta)
    trainer.restore(ckpt)
    return meta["iteration"]


def fit(trainer, data_iter, *, run_dir, config, max_iters, sample_every, checkpoint_every,
        start=0, keep_checkpoints=checkpoint.KEEP):
    """Train from iteration ``start`` to ``max_iters`` (or a stop signal); returns (last
    iteration, the signal that stopped it early or None).

    ``config`` is saved with every checkpoint; its ``seed`` drives data order and noise.
    """
    run_dir, chief = Path(run_dir), trainer.cluster.is_chief
    seed = trainer.cluster.seed(config["seed"])
    batches = Batches(data_iter, start)
    log = MetricsLog(run_dir / "metrics.jsonl", start, trainer.batch_size) if chief else None
    iteration = saved = start
    with _stop_request(trainer.cluster) as stop, tqdm(
            total=max_iters, initial=start, unit="it", dynamic_ncols=True, file=sys.stderr,
            disable=not chief) as bar:
        pending = []
        while iteration < max_iters and not stop.requested:
            reseed(seed, iteration)
            pending.append(trainer.step(**batches.next()))
            iteration += 1
            bar.update(1)
            if not chief:
                continue
            if len(pending) == LOG_EVERY or iteration % checkpoint_every == 0:
                pending = _log(bar, log, iteration, pending)
            if iteration % sample_every == 0:
                write_monitor_grid(trainer, run_dir, iteration)
            if iteration % checkpoint_every == 0:
                saved = _save(trainer, log, run_dir, iteration, config, keep_checkpoints)
        if chief and saved != iteration:  # the last step, or a stop signal, between checkpoints
            _log(bar, log, iteration, pending)
            _save(trainer, log, run_dir, iteration, config, keep_checkpoints)
    if chief:
        write_monitor_grid(trainer, run_dir, iteration)
        write_summary_pictures(trainer, run_dir, log.rows, batches)
    return iteration, stop.signal


def _log(bar, log, iteration, pending):
    """Hand the steps up to ``iteration`` to the log and show the newest row; returns []."""
    if pending:
        _show(bar, log.push(iteration - len(pending) + 1, pending))
    return []


def _save(trainer, log, run_dir, iteration, config, keep):
    """Checkpoint ``iteration``, the log first so that it never lags behind; returns it."""
    log.flush()
    checkpoint.save(run_dir, iteration, trainer.nets(), {"config": config}, keep=keep)
    return iteration


def _show(bar, row):
    if row:
        bar.set_postfix(D="%.3f" % row["d_loss"], G="%.3f" % row["g_loss"],
                        img_s="%.0f" % row["images_per_s"])


def _stop_request(cluster):
    """Stop signals: checkpoint-and-stop for a single process. Workers of a multi-process
    job keep the default (they must stop together, so `mxgan.launch` ends the whole job)."""
    return contextlib.nullcontext(StopRequest()) if cluster.distributed else StopRequest()


def write_monitor_grid(trainer, run_dir, iteration):
    """The fixed-noise grid at ``iteration`` (samples/iter-NNNNNN.png) and as latest.png."""
    images, ncols = trainer.monitor()
    picture = viz.make_grid(images, ncols)
    viz.write_png(run_dir / "samples" / ("iter-%06d.png" % iteration), picture)
    viz.write_png(run_dir / "samples" / "latest.png", picture, scale=2)


def write_summary_pictures(trainer, run_dir, rows, batches):
    """End-of-run pictures: the loss curves and generated-beside-real images."""
    if rows:
        viz.loss_curve_figure(rows, run_dir / "loss_curves.png",
                              real_label=trainer.recipe.real_label)
    images, _ = trainer.monitor()
    real = batches.next()["data"].asnumpy()[:len(images)]
    viz.fake_vs_real_figure(images, to_unit_range(real), run_dir / "fake_vs_real.png")
