"""Reading the training: D's and G's losses and D's verdicts over the steps (training.png), and
the windows early and late in the run whose means the training table shows."""
from mxgan.common import viz
from mxgan.common.viz import (
    plt,  # matplotlib on its file-only backend, as mxgan.common.viz set it up
)

import numpy as np

from .runs import metric_rows

SMOOTHING_STEPS = 25  # the moving average drawn bold over every step's faint line
FIRST_STEPS = 100  # the early window of the training table
LAST_SHARE = 0.2  # ... and the late one: the last fifth of the run
D_LOSS_SPIKE = 2.0  # a D loss above this counts as a spike in the training table


def moving_average(values, width=SMOOTHING_STEPS):
    """Trailing mean over ``width`` steps (fewer at the start)."""
    values = np.asarray(values, np.float64)
    width = max(1, min(width, len(values)))
    cumulative = np.cumsum(np.insert(values, 0, 0.0))
    head = cumulative[1:width] / np.arange(1, width)
    return np.concatenate([head, (cumulative[width:] - cumulative[:-width]) / width])


def d_loss_legend(real_label):
    """What D's logged loss is: its cross-entropy against its targets, real_label and 0."""
    if real_label == 1:
        real = "-log D(x)"
    else:
        real = "-[%g log D(x) + %g log(1 - D(x))]" % (real_label, round(1 - real_label, 6))
    return "D: %s - log(1 - D(G(z)))" % real


def training_figure(run_dir, config, path):
    """training.png: D's and G's losses (top) and D's mean verdicts on real and generated images
    (bottom), every step faint and their `moving_average` bold."""
    rows = metric_rows(run_dir)
    steps = np.array([row["iteration"] for row in rows])
    real_label = config["real_label"]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6.4), sharex=True,
                                      gridspec_kw={"height_ratios": [1, 1]})
    for key, label in (("d_loss", d_loss_legend(real_label)), ("g_loss", "G: -log D(G(z))")):
        values = [row[key] for row in rows]
        line, = top.plot(steps, values, alpha=0.2, linewidth=0.7)
        top.plot(steps, moving_average(values), color=line.get_color(), label=label)
    top.set_ylabel("cross-entropy")
    top.legend(fontsize=9, loc="upper right")
    for key, label in (("d_real", "D(x): real digits"),
                       ("d_fake", "D(G(z)): generated digits (before D's update)")):
        values = [row[key] for row in rows]
        line, = bottom.plot(steps, values, alpha=0.2, linewidth=0.7)
        bottom.plot(steps, moving_average(values), color=line.get_color(), label=label)
    bottom.axhline(0.5, color="grey", linestyle="--", linewidth=1, label="0.5: D cannot tell")
    if real_label < 1:
        bottom.axhline(real_label, color="grey", linestyle=":", linewidth=1,
                       label="%g: D's target for real digits" % real_label)
    bottom.set_ylim(0, 1)
    bottom.set_ylabel("D's mean output")
    bottom.set_xlabel("training step")
    bottom.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    viz.save_figure(fig, path)
    return path


def windows(num_steps):
    """The (first, last) steps of the training table's rows: the first `FIRST_STEPS` steps and
    the last `LAST_SHARE` of the run (one row for a short run)."""
    early = (1, min(FIRST_STEPS, num_steps))
    late = (max(1, num_steps - int(round(num_steps * LAST_SHARE)) + 1), num_steps)
    return [early] if late[0] <= early[1] else [early, late]
