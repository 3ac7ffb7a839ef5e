"""A run directory's lock and its metrics log (checkpoints are `mxgan.training.checkpoint`'s).

The lock keeps a second training run out of a directory while one trains; the operating system
releases it when its process dies, however it dies, so a stale lock is simply taken over.
``metrics.jsonl`` holds one JSON line per step; a killed run may leave a partial last line,
which reading skips.
"""
import errno
import fcntl
import json
import os
import time
from pathlib import Path

import mxnet as mx

from ..checks import UserError
from ..files import atomic_write_text
from .trainer import METRICS

LOCK_FILE = ".lock"


class RunBusy(UserError):
    """Another live process trains in the run directory; the message names it."""


class RunLock:
    """An exclusive lock on a run directory for the duration of a ``with`` block."""

    def __init__(self, run_dir):
        self.path = Path(run_dir) / LOCK_FILE
        self._file = None

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a+")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            if err.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            self._file.seek(0)
            holder = self._file.read().strip() or "another process"
            self._file.close()
            raise RunBusy("%s is in use by %s: wait for it to finish, stop it, or pass --out "
                          "DIR" % (self.path.parent, holder)) from None
        self._file.seek(0)
        self._file.truncate()
        self._file.write("process %d (since %s)\n" % (os.getpid(), time.strftime("%H:%M:%S")))
        self._file.flush()
        return self

    def __exit__(self, *exc):
        self._file.close()  # closing releases the lock


def read_metrics(path):
    """The rows of a metrics log, skipping a partial or unreadable line (a killed writer's)."""
    rows = []
    if Path(path).exists():
        for line in Path(path).read_text().splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict) and isinstance(row.get("iteration"), int):
                rows.append(row)
    return rows


class MetricsLog:
    """Per-step metrics as JSON lines in ``metrics.jsonl``.

    Each row holds the step's `METRICS`, D's total loss, the images/s of its block and the
    training seconds so far (summed over resumed runs). Steps arrive as device arrays in blocks,
    and a block is copied to the host only when the next one arrives: waiting for the steps just queued would drain MXNet's engine every block
    (measured: 385 -> 287 images/s on 2 cores). Resuming drops rows logged after the checkpoint
    (the killed run got further than it saved) and rewrites the log atomically.
    """

    def __init__(self, path, start_iteration, batch_size):
        self.path, self.batch_size = Path(path), batch_size
        self.rows = [row for row in read_metrics(self.path) if row["iteration"] <= start_iteration]
        atomic_write_text(self.path, "".join(json.dumps(row) + "\n" for row in self.rows))
        self._held, self._tick = None, time.perf_counter()
        self._offset = self.rows[-1].get("seconds", 0.0) if self.rows else 0.0
        self._start = self._tick

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
            record["seconds"] = self._offset + now - self._start  # training time so far
            new.append(record)
        with self.path.open("a") as f:
            f.writelines(json.dumps(row) + "\n" for row in new)
        self.rows.extend(new)
        return new[-1]
