"""The training loop both examples share: batches in, pictures, logs and checkpoints out.

A trainer (`mxgan.training.trainer.Trainer`) supplies the step, the monitoring pictures and its
networks; this module owns iteration counting, resumption, Ctrl-C and SIGTERM, the progress bar
and what is written into the run directory; what goes elsewhere (TensorBoard, alarms, scores)
passes through one `mxgan.runs.watch.Watch`. In a multi-process job every worker steps in
lockstep and only rank 0 writes anything.
"""
import contextlib
import signal
import sys
from pathlib import Path

import mxnet as mx
from tqdm import tqdm

from ..common import viz
from ..data.images import to_unit_range
from ..data.iters import batch_by_name
from ..training import checkpoint
from .rundir import MetricsLog
from .watch import Watch

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
        start=0, keep_checkpoints=checkpoint.KEEP, watch=None):
    """Train from iteration ``start`` to ``max_iters`` (or a stop signal); returns (last
    iteration, the signal that stopped it early or None).

    ``config`` is saved with every checkpoint; its ``seed`` drives data order and noise.
    ``watch`` (`mxgan.runs.watch.Watch`; default: the alarms alone) sees every logged step,
    grid and score. The steps are checked before every grid, score and checkpoint, so a step
    that makes the networks non-finite raises `mxgan.runs.alarms.Diverged` before any
    picture or checkpoint holds it.
    """
    run_dir, chief = Path(run_dir), trainer.cluster.is_chief
    seed = trainer.cluster.seed(config["seed"])
    batches = Batches(data_iter, start)
    watch = watch or Watch()
    iteration = start
    with watch, _stop_request(trainer.cluster) as stop, tqdm(
            total=max_iters, initial=start, unit="it", dynamic_ncols=True, file=sys.stderr,
            disable=not chief) as bar:
        out = _ChiefOutput(trainer, run_dir, config, start, watch, bar, sample_every,
                           checkpoint_every, keep_checkpoints) if chief else None
        while iteration < max_iters and not stop.requested:
            reseed(seed, iteration)
            metrics = trainer.step(**batches.next())
            iteration += 1
            bar.update(1)
            if chief:
                out.after_step(iteration, metrics)
        if chief:
            out.finish(iteration)
    if chief:
        write_fixed_noise_grid(trainer, run_dir, iteration)
        write_summary_pictures(trainer, run_dir, out.log.rows, batches)
    return iteration, stop.signal


class _ChiefOutput:
    """What rank 0 writes between steps, in order: the metrics log, the fixed-noise grid, the
    score and the checkpoint (each every so many steps)."""

    def __init__(self, trainer, run_dir, config, start, watch, bar, sample_every,
                 checkpoint_every, keep):
        self.trainer = trainer
        self.run_dir = run_dir
        self.config = config
        self.watch = watch
        self.bar = bar
        self.sample_every = sample_every
        self.checkpoint_every = checkpoint_every
        self.keep = keep
        self.log = MetricsLog(run_dir / "metrics.jsonl", start, trainer.batch_size)
        self.pending, self.saved = [], start

    def after_step(self, iteration, metrics):
        """Queue the step's metrics (an NDArray still being computed) and write what is due."""
        self.pending.append(metrics)
        grid, score = iteration % self.sample_every == 0, self.watch.score_due(iteration)
        save = iteration % self.checkpoint_every == 0
        if len(self.pending) == LOG_EVERY or grid or score or save:
            self._log(iteration, flush=grid or score or save)  # all steps checked first
        if grid:
            write_fixed_noise_grid(self.trainer, self.run_dir, iteration, self.watch)
        if score:
            self.watch.score(iteration, self.log)
            self._show()
        if save:
            self._save(iteration)

    def finish(self, iteration):
        """The last step, or a stop signal, between checkpoints: log and checkpoint it."""
        if self.saved != iteration:
            self._log(iteration, flush=True)
            self._save(iteration)

    def _log(self, iteration, *, flush):
        """Hand the steps up to ``iteration`` to the log (``flush``: wait for all of them),
        the rows it writes to the watch, and show the newest."""
        first = iteration - len(self.pending) + 1
        rows = self.log.push(first, self.pending) if self.pending else []
        rows += self.log.flush() if flush else []
        self.pending = []
        if rows:
            self.watch.steps(rows)
            self._show()

    def _save(self, iteration):
        """Checkpoint ``iteration``; `_log` has flushed and checked every step up to it, so the
        log never lags behind a checkpoint and no checkpoint holds a non-finite step."""
        checkpoint.save(self.run_dir, iteration, self.trainer.checkpoint_states(),
                        {"config": self.config}, keep=self.keep)
        self.saved = iteration

    def _show(self):
        """The newest step's losses and speed, and the newest score, beside the progress bar."""
        row = self.log.rows[-1]
        shown = dict(D="%.3f" % row["d_loss"], G="%.3f" % row["g_loss"],
                     img_s="%.0f" % row["images_per_s"])
        if self.log.scores:
            shown["FD"] = "%.2fx" % self.log.scores[-1]["fd_ratio"]
        self.bar.set_postfix(shown)


def _stop_request(cluster):
    """Stop signals: checkpoint-and-stop for a single process. Workers of a multi-process
    job keep the default (they must stop together, so `mxgan.launch` ends the whole job)."""
    return contextlib.nullcontext(StopRequest()) if cluster.distributed else StopRequest()


def write_fixed_noise_grid(trainer, run_dir, iteration, watch=None):
    """The fixed-noise grid at ``iteration`` (samples/iter-NNNNNN.png) and as latest.png, shown
    to ``watch`` too."""
    images, ncols = trainer.fixed_noise_grid()
    picture = viz.make_grid(images, ncols)
    viz.write_png(run_dir / "samples" / ("iter-%06d.png" % iteration), picture)
    viz.write_png(run_dir / "samples" / "latest.png", picture, scale=2)
    if watch is not None:
        watch.grid(iteration, trainer, images, ncols, picture)


def write_summary_pictures(trainer, run_dir, rows, batches):
    """End-of-run pictures: the loss curves and generated-beside-real images."""
    if rows:
        viz.loss_curve_figure(rows, run_dir / "loss_curves.png",
                              real_label=trainer.recipe.real_label)
    images, _ = trainer.fixed_noise_grid()
    real = batches.next()["data"].asnumpy()[:len(images)]
    viz.fake_vs_real_figure(images, to_unit_range(real), run_dir / "fake_vs_real.png")
