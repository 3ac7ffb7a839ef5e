"""Alarms: what a run says when the GAN breaks, from the numbers it already logs.

A step that leaves a parameter or gradient NaN or infinite stops the run (`Diverged`, exit
`DIVERGED_EXIT`) before any checkpoint holds it. Two failures that training survives but wastes
its time on are warned about, each once a run, in one line that says what to try and where the
tutorial's troubleshooting section is: D winning outright (D(G(z)) below `D_WINS_BELOW` for
`D_WINS_STEPS` steps in a row) and mode collapse (the fixed-noise samples near-identical, or
the in-training score finding few classes).

The thresholds sit far from healthy runs: over the default runs of both examples D(G(z)) never
stayed below 1e-2 for two steps in a row, the fixed-noise samples differed by at least 0.21
(RMS, pixels in [-1, 1]) and tiny test networks' by 0.05; with ``--lr 1`` they differ by 0.0000
and D(G(z)) sits near 1e-5.
"""
import sys

import numpy as np
from tqdm import tqdm

from ..quality.scores import squared_distances

DIVERGED_EXIT = 3  # beside 2 (a user error), 4 (a failed write), 130 and 143 (Ctrl-C, SIGTERM)
D_WINS_BELOW, D_WINS_STEPS = 1e-3, 100
COLLAPSE_SPREAD = 0.02  # mean RMS difference of two samples drawn for the same condition
MIN_CLASSES = 5  # classes covered by the in-training score's samples


class Diverged(Exception):
    """A step made a parameter or gradient NaN or infinite; the message names it."""


class Alarms:
    """Watches logged steps, fixed-noise samples and scores; ``guide`` is the troubleshooting
    section the warnings point to (e.g. ``docs/dcgan.md#troubleshooting``)."""

    def __init__(self, guide):
        self.guide = guide
        self.said = set()
        self._d_wins_streak = 0

    def check_steps(self, rows):
        """Raise `Diverged` at the first non-finite step; warn when D has won for long."""
        for row in rows:
            if not row["finite"]:
                raise Diverged(
                    "step %d made a parameter or gradient NaN or infinite, so training stopped "
                    "there and no checkpoint holds that step or a later one. Train again with a "
                    "lower --lr or --lr-d; see %s" % (row["iteration"], self.guide))
            winning = row["d_fake"] < D_WINS_BELOW
            self._d_wins_streak = self._d_wins_streak + 1 if winning else 0
            if self._d_wins_streak == D_WINS_STEPS:
                self._warn("d_wins", "D wins outright: D(G(z)) has stayed below %g for %d steps "
                           "(step %d), so G learns nothing. Try a lower --lr-d or --real-label "
                           "0.9" % (D_WINS_BELOW, D_WINS_STEPS, row["iteration"]))

    def check_samples(self, iteration, images, ncols=None):
        """Warn of mode collapse when the fixed-noise samples (N, C, H, W) are near-identical
        (``ncols``: samples per condition, one row of the grid each; None: all alike)."""
        spread = sample_spread(images, ncols)
        if spread < COLLAPSE_SPREAD:
            self._warn("collapse", "mode collapse: the fixed-noise samples at step %d are "
                       "near-identical (they differ by %.4f RMS). Try a smaller --lr or a larger "
                       "--batch-size" % (iteration, spread))

    def check_score(self, iteration, classes_covered):
        """Warn of mode collapse when the scored samples cover few classes."""
        if classes_covered < MIN_CLASSES:
            self._warn("collapse", "mode collapse: the samples scored at step %d cover %d of 10 "
                       "classes. Try a smaller --lr or a larger --batch-size"
                       % (iteration, classes_covered))

    def _warn(self, kind, text):
        if kind not in self.said:
            self.said.add(kind)
            tqdm.write("warning: %s; see %s" % (text, self.guide), file=sys.stderr)


def sample_spread(images, ncols=None):
    """The mean RMS difference between two images of a row (every pair, every row): 0 when
    each row repeats one image. ``images`` (N, ...) in [-1, 1]; rows of ``ncols`` (None: one
    row of all)."""
    flat = np.asarray(images, np.float64).reshape(len(images), -1)
    rows = flat.reshape(-1, ncols or len(flat), flat.shape[1])
    spreads = []
    for row in rows:
        rms = np.sqrt(squared_distances(row, row) / flat.shape[1])
        spreads.append(rms[np.triu_indices(len(row), 1)].mean())
    return float(np.mean(spreads))
