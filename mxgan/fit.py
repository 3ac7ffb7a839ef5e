"""The training loop both examples share: batches in, pictures, logs and checkpoints out.

A trainer (`mxgan.dcgan.ModuleGAN` or `mxgan.cgan.ExecutorGAN`) supplies ``step(**arrays)``,
``monitor()``, ``nets()``, ``restore(ckpt_dir)`` and its ``cluster``; this module owns iteration
counting, resumption, Ctrl-C, the progress bar and everything written into the run directory.
In a multi-process job every worker steps in lockstep and only rank 0 writes anything.
"""
import contextlib
import json
import signal
import sys
import time
from pathlib import Path

import mxnet as mx
from tqdm import tqdm

from . import checkpoint, viz
from .data import to_unit_range
from .iters import batch_by_name
from .train import METRICS

LOG_EVERY = 10  # steps per block of metrics copied off the device (see MetricsLog)


def reseed(seed, iteration):
    """Seed MXNet's generators from (seed, iteration).

    Done at the start and at every checkpoint, so a run resumed from a checkpoint draws exactly
    the noise the uninterrupted run drew after it.
    """
    mx.random.seed((seed * 1000003 + iteration) % (2 ** 31))


class StopRequest:
    """Turns the first Ctrl-C into a request to checkpoint and stop; a second one aborts."""

    def __init__(self):
        self.requested = False

    def __enter__(self):
        self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc):
        signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        tqdm.write("Ctrl-C: saving a checkpoint, then stopping (Ctrl-C again to abort).")


class MetricsLog:
    """Per-step metrics as JSON lines in ``metrics.jsonl``.

    Steps arrive as device arrays in blocks of `LOG_EVERY`, and a block is copied to the host
    only when the next one arrives: waiting for the steps just queued would drain MXNet's
    engine every block (measured: 385 -> 287 images/s on 2 cores). Resuming drops rows logged
    after the checkpoint (the killed run got further than it saved).
    """

    def __init__(self, path, start_iteration, batch_size):
        self.path, self.batch_size = Path(path), batch_size
        self.rows = [row for row in self._read() if row["iteration"] <= start_iteration]
        self.path.write_text("".join(json.dumps(row) + "\n" for row in self.rows))
        self._held, self._tick = None, time.perf_counter()

    def _read(self):
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]

    def push(self, first_iteration, metrics):
        """Hold a block (`METRICS` NDArrays); write the previous one and return its last row."""
        previous, self._held = self._held, (first_iteration, mx.nd.stack(*metrics))
        return self._write(*previous) if previous else None

    def flush(self):
        """Write the held block, waiting for its steps."""
        if self._held:
            self._write(*self._held)
            self._held = None

    def _write(self, first_iteration, block):
        values = block.asnumpy()
        now = time.perf_counter()
        images_per_s = len(values) * self.batch_size / (now - self._tick)
        self._tick = now
        new = []
        for offset, row in enumerate(values):
            record = {"iteration": first_iteration + offset, **dict(zip(METRICS, map(float, row)))}
            record["d_loss"] = record["d_loss_real"] + record["d_loss_fake"]
            record["images_per_s"] = images_per_s
            new.append(record)
        with self.path.open("a") as f:
            f.writelines(json.dumps(row) + "\n" for row in new)
        self.rows.extend(new)
        return new[-1]


class Batches:
    """Endless batches from an `ImageIter`, crossing epochs, positioned at any iteration."""

    def __init__(self, data_iter, start_iteration):
        self.data_iter = data_iter
        epoch, offset = divmod(start_iteration, data_iter.batches_per_epoch)
        data_iter.start_epoch(epoch)
        data_iter.skip(offset)

    def next(self):
        try:
            batch = self.data_iter.next()
        except StopIteration:
            self.data_iter.reset()
            batch = self.data_iter.next()
        return batch_by_name(self.data_iter, batch)


def fit(trainer, data_iter, *, run_dir, config, max_iters, sample_every, checkpoint_every,
        resume=False):
    """Train until ``max_iters`` (or Ctrl-C); returns (last iteration, whether interrupted).

    ``config`` is saved with every checkpoint; its ``seed`` drives data order and noise.
    """
    run_dir, chief = Path(run_dir), trainer.cluster.is_chief
    run_dir.mkdir(parents=True, exist_ok=True)
    start = _restore(trainer, run_dir) if resume else 0
    seed = trainer.cluster.seed(config["seed"])
    reseed(seed, start)
    batches = Batches(data_iter, start)
    log = MetricsLog(run_dir / "metrics.jsonl", start, trainer.batch_size) if chief else None
    iteration = start
    with _stop_request(trainer.cluster) as stop, tqdm(
            total=max_iters, initial=start, unit="it", dynamic_ncols=True, file=sys.stderr,
            disable=not chief) as bar:
        pending = []
        while iteration < max_iters and not stop.requested:
            pending.append(trainer.step(**batches.next()))
            iteration += 1
            bar.update(1)
            if chief and (len(pending) == LOG_EVERY or iteration == max_iters or stop.requested):
                last = log.push(iteration - len(pending) + 1, pending)
                pending = []
                if last:
                    bar.set_postfix(D="%.3f" % last["d_loss"], G="%.3f" % last["g_loss"],
                                    img_s="%.0f" % last["images_per_s"])
            if chief and iteration % sample_every == 0:
                write_monitor_grid(trainer, run_dir, iteration)
            if iteration % checkpoint_every == 0 or stop.requested or iteration == max_iters:
                if chief:
                    log.flush()  # the log never lags behind a checkpoint
                    checkpoint.save(run_dir, iteration, trainer.nets(), {"config": config})
                reseed(seed, iteration)  # the continuation does not depend on where a run started
    if chief:
        write_monitor_grid(trainer, run_dir, iteration)
        write_summary_pictures(trainer, run_dir, log.rows, batches)
    return iteration, stop.requested


def _stop_request(cluster):
    """Ctrl-C handling: checkpoint-and-stop for a single process. Workers of a multi-process
    job keep the default (they must stop together, so `mxgan.launch` ends the whole job)."""
    return contextlib.nullcontext(StopRequest()) if cluster.distributed else StopRequest()


def _restore(trainer, run_dir):
    ckpt = checkpoint.latest(run_dir)
    trainer.restore(ckpt)
    return checkpoint.load_meta(ckpt)["iteration"]


def write_monitor_grid(trainer, run_dir, iteration):
    """The fixed-noise grid at ``iteration`` (samples/iter-NNNNNN.png) and as latest.png."""
    images, ncols = trainer.monitor()
    picture = viz.make_grid(images, ncols)
    viz.write_png(run_dir / "samples" / ("iter-%06d.png" % iteration), picture)
    viz.write_png(run_dir / "samples" / "latest.png", picture, scale=2)


def write_summary_pictures(trainer, run_dir, rows, batches):
    """End-of-run pictures: the loss curves and generated-beside-real images."""
    if rows:
        viz.loss_curve_figure(rows, run_dir / "loss_curves.png")
    images, _ = trainer.monitor()
    real = batches.next()["data"].asnumpy()[:len(images)]
    viz.fake_vs_real_figure(images, to_unit_range(real), run_dir / "fake_vs_real.png")
