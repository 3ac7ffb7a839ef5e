"""A run directory's owner, lock and metrics log (checkpoints are `mxgan.training.checkpoint`'s).

Training writes only into a directory that is new, empty or recognisably a run (`recorded_config`):
its config.json, metrics and pictures would otherwise replace a user's files of the same names.
The lock keeps a second training run out of a directory while one trains; the operating system
releases it when its process dies, however it dies, so a stale lock is simply taken over.
``metrics.jsonl`` holds one JSON line per step and one per in-training score (``"kind":
"score"``); a killed run may leave a partial last line, which reading skips.
"""
import errno
import fcntl
import json
import os
import re
import time
from pathlib import Path

import mxnet as mx

from ..common.checks import UserError
from ..common.files import STAGING_PREFIX, atomic_write_text, writing
from ..training import checkpoint
from ..training.checkpoint import CheckpointError
from ..training.trainer import METRICS

LOCK_FILE = ".lock"
_LOCK_TEXT = re.compile(r"(process \d+ \(since [\d:]+\)\n)?")  # what `RunLock` writes
CONFIG_FILE = "config.json"
# The config keys whose values mark a config.json as an mxgan run's: every version has written both.
RUN_MARKERS = ("model", "dataset")
# The kind of each name a run writes at its top: the same name of another kind is not the run's.
_KINDS = {CONFIG_FILE: "file", "metrics.jsonl": "file", "scores.json": "file", LOCK_FILE: "file",
          "checkpoints": "directory", "samples": "directory", "showcase": "directory"}
SHOWN_ENTRIES = 4  # entries of a foreign directory an error names


class NotARun(UserError):
    """A directory holds files no mxgan run wrote: training there would write over them."""


# ---- whose directory ---------------------------------------------------------------------------

def recorded_config(run_dir):
    """The configuration the run in ``run_dir`` records (its config.json's, else its newest
    checkpoint's), or None for a missing directory or one holding nothing but a lock; for any
    other directory `NotARun`, naming it and a few of its entries."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return None
    entries = sorted(p.name for p in run_dir.iterdir() if not _leftover(p))
    if not entries:
        return None
    for name, kind in _KINDS.items():
        if (run_dir / name).exists() and (run_dir / name).is_dir() != (kind == "directory"):
            raise _not_a_run(run_dir, entries, "its %s is not a %s" % (name, kind))
    config = _read_config(run_dir, entries)
    _check_checkpoint_names(run_dir, entries)
    config = config or _newest_checkpoint_config(run_dir)
    if config is None:
        raise _not_a_run(run_dir, entries, "it has no config.json or checkpoints")
    return config


def _leftover(path):
    """Whether ``path`` is a lock or a killed writer's staging file: no sign of a run, or of
    anyone else's files."""
    if path.name == LOCK_FILE and path.is_file():
        return _LOCK_TEXT.fullmatch(path.read_text(errors="replace")) is not None
    return path.name.startswith(STAGING_PREFIX)


def _read_config(run_dir, entries):
    """config.json as a dict (None without one); `NotARun` unless an mxgan run wrote it."""
    if CONFIG_FILE not in entries:
        return None
    try:
        config = json.loads((run_dir / CONFIG_FILE).read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        raise _not_a_run(run_dir, entries, "its config.json is not JSON") from None
    if not (isinstance(config, dict) and all(isinstance(config.get(k), str) for k in RUN_MARKERS)):
        raise _not_a_run(run_dir, entries, "its config.json names no model and dataset")
    return config


def _check_checkpoint_names(run_dir, entries):
    """`NotARun` when ``checkpoints/`` holds anything but checkpoints and staging leftovers."""
    root = run_dir / "checkpoints"
    if not root.is_dir():
        return
    foreign = sorted(p.name for p in root.iterdir() if not p.name.startswith(STAGING_PREFIX)
                     and not (p.is_dir() and checkpoint.checkpoint_step(p) is not None))
    if foreign:
        raise _not_a_run(run_dir, entries, "its checkpoints/ holds %s, not checkpoints"
                         % _some(foreign))


def _newest_checkpoint_config(run_dir):
    """The config of the newest checkpoint whose meta.json names a model and data set, or None."""
    for ckpt in reversed(checkpoint.list_checkpoints(run_dir)):
        try:
            return checkpoint.load_meta(ckpt, RUN_MARKERS)["config"]
        except CheckpointError:
            continue
    return None


def _not_a_run(run_dir, entries, reason):
    link = " (a link to %s)" % run_dir.resolve() if run_dir.is_symlink() else ""
    return NotARun("%s%s is not an mxgan run (%s), so training will not write there; it holds "
                   "%s: pass --out a new or empty directory"
                   % (run_dir, link, reason, _some(entries)))


def _some(names):
    """The first `SHOWN_ENTRIES` names, and how many more there are."""
    more = len(names) - SHOWN_ENTRIES
    return ", ".join(names[:SHOWN_ENTRIES]) + (" and %d more" % more if more > 0 else "")


# ---- one trainer at a time ---------------------------------------------------------------------


class RunBusy(UserError):
    """Another live process trains in the run directory; the message names it."""


class RunLock:
    """An exclusive lock on a run directory for the duration of a ``with`` block."""

    def __init__(self, run_dir):
        self.path = Path(run_dir) / LOCK_FILE
        self._file = None

    def __enter__(self):
        with writing(self.path):
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
        with writing(self.path):
            self._file.seek(0)
            self._file.truncate()
            self._file.write("process %d (since %s)\n" % (os.getpid(), time.strftime("%H:%M:%S")))
            self._file.flush()
        return self

    def __exit__(self, *exc):
        self._file.close()  # closing releases the lock


def read_metrics(path, kind="step"):
    """The rows of a metrics log of one ``kind``, "step" or "score" (None: both, in file
    order), skipping a partial or unreadable line (a killed writer's)."""
    rows = []
    if Path(path).exists():
        for line in Path(path).read_text().splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if (isinstance(row, dict) and isinstance(row.get("iteration"), int)
                    and kind in (None, row.get("kind", "step"))):
                rows.append(row)
    return rows


class MetricsLog:
    """Per-step metrics and in-training scores as JSON lines in ``metrics.jsonl``.

    Each step's row holds its `METRICS`, D's total loss, the images/s of its block and the
    training seconds so far (summed over resumed runs, without the time spent scoring). Steps
    arrive as device arrays in blocks, and a block is copied to the host only when the next one
    arrives: waiting for the steps just queued would drain MXNet's engine every block
    (measured: 385 -> 287 images/s on 2 cores). Resuming drops rows logged after the checkpoint
    (the killed run got further than it saved) and rewrites the log atomically.
    """

    def __init__(self, path, start_iteration, batch_size):
        self.path, self.batch_size = Path(path), batch_size
        kept = [row for row in read_metrics(self.path, kind=None)
                if row["iteration"] <= start_iteration]
        atomic_write_text(self.path, "".join(json.dumps(row) + "\n" for row in kept))
        self.rows = [row for row in kept if row.get("kind", "step") == "step"]
        self.scores = [row for row in kept if row.get("kind") == "score"]
        self._held, self._tick = None, time.perf_counter()
        self._offset = self.rows[-1].get("seconds", 0.0) if self.rows else 0.0
        self._start = self._tick

    def push(self, first_iteration, metrics):
        """Hold a block (`METRICS` NDArrays); write the previous one and return its rows."""
        previous, self._held = self._held, (first_iteration, mx.nd.stack(*metrics))
        return self._write(*previous) if previous else []

    def flush(self):
        """Write the held block, waiting for its steps; returns its rows."""
        held, self._held = self._held, None
        return self._write(*held) if held else []

    def add_score(self, iteration, scores, seconds_spent):
        """Append a score row (``scores``, a dict of numbers, at ``iteration``, and the
        ``seconds_spent`` scoring as ``score_s``) and take that time off the training clock;
        returns the row."""
        self._start += seconds_spent
        self._tick += seconds_spent
        row = {"kind": "score", "iteration": iteration,
               "seconds": self._offset + time.perf_counter() - self._start,
               "score_s": seconds_spent, **scores}
        self._append([row])
        self.scores.append(row)
        return row

    def _append(self, rows):
        """Add rows at the end; a full disk may leave a partial last line, which reading skips."""
        with writing(self.path), self.path.open("a") as f:
            f.writelines(json.dumps(row) + "\n" for row in rows)

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
        self._append(new)
        self.rows.extend(new)
        return new
