"""What a run reports beyond its metrics log, behind the one object the loop calls: the alarms
(`mxgan.runs.alarms`), TensorBoard (`mxgan.runs.board.Board`, with ``--tensorboard``)
and the in-training score (every ``--score-every`` steps).
"""
import contextlib
import time

from .alarms import Alarms


class Watch:
    """The loop's observer: logged steps, fixed-noise grids and scores go through it.

    Parameters
    ----------
    guide : str
        The tutorial's troubleshooting section the alarms point to.
    board : mxgan.runs.board.Board, optional
        TensorBoard's event files; closed when the ``with`` block ends.
    score : callable, optional
        ``score()`` scores the current generator (a `mxgan.quality.scores.score_samples` dict).
    score_every : int
        Steps between scores; 0 (or no ``score``) scores never.
    """

    def __init__(self, guide="docs/dcgan.md#troubleshooting", *, board=None, score=None,
                 score_every=0):
        self.alarms = Alarms(guide)
        self.board = board
        self._score = score
        self.score_every = score_every if score else 0

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace):
        if self.board and kind is None:
            self.board.close()
        elif self.board:  # ending with an error already: a second one (a full disk) adds nothing
            with contextlib.suppress(OSError):
                self.board.close()

    def steps(self, rows):
        """Logged steps: `mxgan.runs.alarms.Diverged` at a non-finite one, else on the
        board."""
        self.alarms.check_steps(rows)
        if self.board:
            self.board.steps(rows)

    def grid(self, iteration, trainer, images, ncols, picture):
        """The fixed-noise samples (``trainer.fixed_noise_grid()``) and their grid ``picture``, with
        histograms of ``trainer``'s weights and gradients."""
        self.alarms.check_samples(iteration, images, ncols)
        if self.board:
            self.board.grid(iteration, picture)
            self.board.histograms(iteration, trainer)

    def score_due(self, iteration):
        return bool(self.score_every) and iteration % self.score_every == 0

    def score(self, iteration, log):
        """Score the current generator into ``log`` (`mxgan.runs.rundir.MetricsLog`, its
        time off the training clock) and the board; returns the row."""
        start = time.perf_counter()
        numbers = score_row(self._score())
        row = log.add_score(iteration, numbers, time.perf_counter() - start)
        self.alarms.check_score(iteration, numbers["classes_covered"])
        if self.board:
            self.board.score(row)
        return row


def score_row(scores):
    """The numbers of a `mxgan.quality.scores.score_samples` dict that a run logs as it trains."""
    samples = scores["samples"]
    row = {"num_samples": scores["num_samples"], "fd_ratio": samples["fd_ratio"],
           "frechet_distance": samples["frechet_distance"], "precision": samples["precision"],
           "recall": samples["recall"],
           "classes_covered": samples["coverage"]["classes_covered"]}
    if "conditional_accuracy" in samples:
        row["accuracy"] = samples["conditional_accuracy"]["accuracy"]
    return row
