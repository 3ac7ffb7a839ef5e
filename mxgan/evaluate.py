"""Score GAN samples with a classifier trained on real digits, beside the real-data floor.

    python -m mxgan.evaluate RUN_DIR                 # sample a training run's latest checkpoint
    python -m mxgan.evaluate --samples FILE.npy [--labels FILE.npy] [--dataset mnist]

Prints a table (score | samples | real data floor) and writes the scores as JSON.
"""
import json
from pathlib import Path

import numpy as np

from . import metrics
from .cli import UsageError, main_guard, new_parser, positive_int
from .data import DATASETS, NUM_CLASSES
from .viz import atomic_write_bytes

SCORES_FILE = "scores.json"

# (row name, score key, formatter of its value); a row shows when the samples have its key.
_TABLE_ROWS = (
    ("Frechet distance", "frechet_distance", lambda v: "%.2f" % v),
    ("precision (k-NN)", "precision", lambda v: "%.3f" % v),
    ("recall (k-NN)", "recall", lambda v: "%.3f" % v),
    ("classes covered (>= 5%)", "coverage",
     lambda v: "%d/%d" % (v["classes_covered"], NUM_CLASSES)),
    ("KL(classes || uniform)", "coverage", lambda v: "%.3f" % v["kl_to_uniform"]),
    ("conditional accuracy", "conditional_accuracy", lambda v: "%.1f%%" % (100 * v["accuracy"])),
)


def evaluate_and_report(images, labels, dataset, out_path):
    """Score samples, print the table and write the scores as JSON.

    Parameters
    ----------
    images : numpy.ndarray
        Samples in [-1, 1], any shape `mxgan.metrics.to_classifier_input` accepts.
    labels : numpy.ndarray or None
        (N,) digits the samples were asked to show, for a conditional model.
    dataset : str
        Dataset the model was trained on.
    out_path : str or os.PathLike
        JSON file to write.

    Returns
    -------
    dict
        The scores from `mxgan.metrics.score_samples`.
    """
    scores = metrics.score_samples(images, labels, dataset=dataset)
    print(format_table(scores))
    text = json.dumps(scores, indent=2) + "\n"
    atomic_write_bytes(out_path, text.encode("utf-8"))
    print("scores written to %s" % out_path)
    return scores


def format_table(scores):
    """Return the scores as a text table: score | samples | real data floor."""
    rows = [("score", "samples", "real data floor")]
    rows += [(name, cell(scores["samples"][key]), cell(scores["real"][key]))
             for name, key, cell in _TABLE_ROWS if key in scores["samples"]]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["%-*s  %*s  %*s" % (widths[0], a, widths[1], b, widths[2], c) for a, b, c in rows]
    return "\n".join([_table_caption(scores)] + lines)


def _table_caption(scores):
    """Return the line saying what was compared with what."""
    return ("%s: %d samples and %d real test images (the floor), each against %d real training "
            "images; classifier test accuracy %.1f%%"
            % (scores["dataset"], scores["num_samples"], scores["num_floor"],
               scores["num_real"], 100 * scores["classifier"]["test_accuracy"]))


def summary_line(scores):
    """Return the scores on one line, e.g. ``FD 12.3 (floor 1.2) | coverage 10/10 ...``."""
    fake, real = scores["samples"], scores["real"]
    parts = ["FD %.1f (floor %.1f)" % (fake["frechet_distance"], real["frechet_distance"]),
             "coverage %d/%d classes, KL %.2f" % (fake["coverage"]["classes_covered"],
                                                  NUM_CLASSES, fake["coverage"]["kl_to_uniform"])]
    if "conditional_accuracy" in fake:
        parts.append("cond. acc %.1f%%" % (100 * fake["conditional_accuracy"]["accuracy"]))
    parts.append("P %.2f R %.2f" % (fake["precision"], fake["recall"]))
    return " | ".join(parts)


def parse_args(argv=None):
    """Parse the command line."""
    parser = new_parser(__doc__.splitlines()[0])
    parser.prog = "python -m mxgan.evaluate"
    parser.add_argument("run_dir", nargs="?", metavar="RUN_DIR",
                        help="training run to sample from its latest checkpoint")
    parser.add_argument("--samples", metavar="FILE.npy",
                        help="images to score instead of a run: (N, 28, 28) or (N, C, H, W), "
                             "float in [-1, 1] or uint8")
    parser.add_argument("--labels", metavar="FILE.npy",
                        help="(N,) digits 0-9 the --samples were asked to show")
    parser.add_argument("--dataset", default="mnist",
                        help="dataset of --samples (a run knows its own): " + ", ".join(DATASETS))
    parser.add_argument("--num", type=positive_int, default=1000,
                        help="samples to draw from RUN_DIR")
    parser.add_argument("--seed", type=int, default=0, help="noise seed for RUN_DIR samples")
    parser.add_argument("--out", metavar="FILE.json",
                        help="scores file; default %s in RUN_DIR or beside --samples" % SCORES_FILE)
    return parser.parse_args(argv)


@main_guard
def main(argv=None):
    """Score a run or a samples file; user errors exit 2 with one line on stderr."""
    args = parse_args(argv)
    if (args.run_dir is None) == (args.samples is None):
        raise UsageError("give either RUN_DIR or --samples FILE.npy (see --help)")
    if args.run_dir is not None:
        images, labels, dataset = _sample_run(args)
        out_path = args.out or Path(args.run_dir, SCORES_FILE)
    else:
        images, labels, dataset = _read_samples(args)
        out_path = args.out or Path(args.samples).with_name(SCORES_FILE)
    evaluate_and_report(images, labels, dataset, out_path)


def _sample_run(args):
    """Draw samples from a run's latest checkpoint: (images, asked digits or None, dataset)."""
    if args.labels is not None:
        raise UsageError("--labels goes with --samples; a run's samples carry their own digits")
    from .generate import sample_run  # loads the generator stack only when a run is scored
    try:
        return sample_run(args.run_dir, args.num, seed=args.seed)
    except (FileNotFoundError, ValueError) as err:
        raise UsageError("cannot sample %s: %s" % (args.run_dir, err))


def _read_samples(args):
    """Load and check --samples / --labels: (images, labels or None, dataset)."""
    if args.dataset not in DATASETS:
        raise UsageError("unknown dataset %r: choose one of %s"
                         % (args.dataset, ", ".join(DATASETS)))
    try:
        images = metrics.to_classifier_input(_load_npy(args.samples))
    except ValueError as err:
        raise UsageError("%s: %s" % (args.samples, err))
    labels = None if args.labels is None else _load_npy(args.labels)
    if labels is not None:
        _check_labels(labels, len(images), args.labels)
    return images, labels, args.dataset


def _load_npy(path):
    """Return the array in a .npy file; a `UsageError` when it cannot be read."""
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise UsageError("cannot read %s as a .npy array: %s" % (path, err))


def _check_labels(labels, count, path):
    """Raise `UsageError` unless labels are ``count`` integers in 0-9."""
    if labels.ndim != 1 or len(labels) != count:
        raise UsageError("%s: expected %d labels (one per sample) in a 1-D array, got shape %s"
                         % (path, count, labels.shape))
    if labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() >= NUM_CLASSES:
        raise UsageError("%s: labels must be integers 0-%d" % (path, NUM_CLASSES - 1))


if __name__ == "__main__":
    main()
