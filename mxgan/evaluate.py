"""Score GAN samples with a classifier trained on real images, beside the real-data floor.

    python -m mxgan.evaluate RUN_DIR                 # sample a training run's latest checkpoint
    python -m mxgan.evaluate --samples FILE.npy [--labels FILE.npy] [--dataset mnist]

Prints a table (score | samples | real data floor) and writes the scores as JSON. The Frechet
distance is quoted as a multiple of the floor: real images score 1x (`mxgan.quality.scores`);
samples larger than 28 px (a ``--image-size 64`` run's) against real images resized as theirs.
"""
import json
from pathlib import Path

import numpy as np

from .cli import main_guard, new_parser, path_type, positive_int_type, seed_type
from .common.checks import UsageError
from .common.files import atomic_write_text, check_writable_file
from .data.sources import DATASETS, IMAGE_SIZE
from .nets.conditions import NUM_CLASSES
from .quality.classifier import checked_images
from .quality.scores import FD_SAMPLES, SCORED_SAMPLES, score_samples
from .runs.lookup import NEEDED_TO_SAMPLE, require_checkpoint
from .training import generate
from .training.checkpoint import CheckpointError

SCORES_FILE = "scores.json"


def _worst_digit(accuracy):
    return min(value for value in accuracy["per_class"] if value is not None)


def _mean(ratios):
    return sum(value for value in ratios if value is not None) / sum(v is not None for v in ratios)


def _worst(ratios):
    return max(value for value in ratios if value is not None)


# (row name, score key, formatter of its value); a row shows when the samples have its key.
_TABLE_ROWS = (
    ("Frechet distance / floor", "fd_ratio", lambda v: "%.2fx" % v),
    ("Frechet distance", "frechet_distance", lambda v: "%.2f" % v),
    ("precision (k-NN)", "precision", lambda v: "%.3f" % v),
    ("recall (k-NN)", "recall", lambda v: "%.3f" % v),
    ("classes covered (>= 5%)", "coverage",
     lambda v: "%d/%d" % (v["classes_covered"], NUM_CLASSES)),
    ("KL(classes || uniform)", "coverage", lambda v: "%.3f" % v["kl_to_uniform"]),
    ("conditional accuracy", "conditional_accuracy", lambda v: "%.1f%%" % (100 * v["accuracy"])),
    ("worst digit's accuracy", "conditional_accuracy",
     lambda v: "%.1f%%" % (100 * _worst_digit(v))),
    ("per-digit FD / floor: mean", "per_class_fd_ratio", lambda v: "%.2fx" % _mean(v)),
    ("per-digit FD / floor: worst", "per_class_fd_ratio", lambda v: "%.2fx" % _worst(v)),
)


def evaluate_and_report(images, labels, dataset, out_path):
    """Score samples (`mxgan.quality.scores.score_samples`), print the table, write the scores as
    JSON to ``out_path`` and return them."""
    scores = score_samples(images, labels, dataset=dataset)
    print(format_table(scores))
    atomic_write_text(out_path, json.dumps(scores, indent=2) + "\n")
    print("scores written to %s" % out_path)
    return scores


def format_table(scores):
    """The scores as a text table: score | samples | real data floor."""
    rows = [("score", "samples", "real data floor")]
    rows += [(name, cell(scores["samples"][key]), cell(scores["real"][key]))
             for name, key, cell in _TABLE_ROWS if key in scores["samples"]]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["%-*s  %*s  %*s" % (widths[0], a, widths[1], b, widths[2], c) for a, b, c in rows]
    return "\n".join([_table_caption(scores)] + lines)


def _table_caption(scores):
    """The lines saying what was compared with what."""
    num, sets = scores["num_fd"], len(scores["samples"]["frechet_distance_sets"])
    compared = "the mean over %d sets of %d, each" % (sets, num) if sets > 1 else "%d" % num
    return ("%s: %d samples. Frechet distance: %s against the same %d held-out test images;\n"
            "precision / recall: the first %d. The floor: the same for %d sets of %d real "
            "training images the classifier\nnever saw%s. Classifier test accuracy %.2f%%."
            % (scores["dataset"], scores["num_samples"], compared, num, num,
               len(scores["real"]["frechet_distance_sets"]), num, _round_trip(scores),
               100 * scores["classifier"]["test_accuracy"]))


def _round_trip(scores):
    """How the floor's images were resized, for samples of another size than the data's."""
    size = scores["floor_image_size"]
    return "" if size == IMAGE_SIZE else (", resized %d -> %d -> %d px as the samples were"
                                          % (IMAGE_SIZE, size, IMAGE_SIZE))


def _floor_name(scores):
    """"floor", or e.g. "64 px floor" when the floor's images went the round trip to 64 px."""
    size = scores["floor_image_size"]
    return "floor" if size == IMAGE_SIZE else "%d px floor" % size


def summary_line(scores):
    """The scores on one line, e.g. ``FD 2.1x floor (9.8; floor 4.7) | 10/10 classes ...``."""
    fake, real = scores["samples"], scores["real"]
    floor = _floor_name(scores)
    parts = ["FD %.2fx %s (%.2f; %s %.2f)" % (fake["fd_ratio"], floor, fake["frechet_distance"],
                                             floor, real["frechet_distance"]),
             "%d/%d classes, KL %.3f" % (fake["coverage"]["classes_covered"], NUM_CLASSES,
                                         fake["coverage"]["kl_to_uniform"])]
    if "conditional_accuracy" in fake:
        accuracy = fake["conditional_accuracy"]
        parts.append("cond. acc %.1f%% (worst digit %.1f%%)"
                     % (100 * accuracy["accuracy"], 100 * _worst_digit(accuracy)))
    parts.append("P %.2f R %.2f" % (fake["precision"], fake["recall"]))
    return " | ".join(parts)


def parse_args(argv=None):
    """Parse the command line."""
    parser = new_parser(__doc__.splitlines()[0])
    parser.prog = "python -m mxgan.evaluate"
    parser.add_argument("run_dir", nargs="?", metavar="RUN_DIR", type=path_type,
                        help="training run to sample from its latest checkpoint")
    parser.add_argument("--samples", metavar="FILE.npy", type=path_type,
                        help="images to score instead of a run: (N, 28, 28) or (N, C, H, W) "
                             "with H = W (larger ones beside a floor resized the same way), "
                             "float in [-1, 1] or uint8, N >= %d" % FD_SAMPLES)
    parser.add_argument("--labels", metavar="FILE.npy", type=path_type,
                        help="(N,) digits 0-9 the --samples were asked to show")
    parser.add_argument("--dataset", default="mnist",
                        help="dataset of --samples (a run knows its own): " + ", ".join(DATASETS))
    parser.add_argument("--num", type=positive_int_type, default=SCORED_SAMPLES,
                        help="samples to draw from RUN_DIR (at least %d; FD averages whole sets "
                             "of that many, up to %d)" % (FD_SAMPLES,
                                                          SCORED_SAMPLES))
    parser.add_argument("--seed", type=seed_type, default=0,
                        help="noise seed for RUN_DIR samples")
    parser.add_argument("--out", metavar="FILE.json", type=path_type,
                        help="scores file; default %s in RUN_DIR or beside --samples" % SCORES_FILE)
    return parser.parse_args(argv)


@main_guard
def main(argv=None):
    """Score a run or a samples file; user errors exit 2 with one line on stderr."""
    args = parse_args(argv)
    if (args.run_dir is None) == (args.samples is None):
        raise UsageError("give either RUN_DIR or --samples FILE.npy (see --help)")
    if args.num < FD_SAMPLES:
        raise UsageError("--num must be at least %d: the scores compare that many samples"
                         % FD_SAMPLES)
    default_out = (Path(args.run_dir, SCORES_FILE) if args.run_dir is not None
                   else Path(args.samples).with_name(SCORES_FILE))
    out_path = check_writable_file(args.out or default_out, "--out")
    if args.run_dir is not None:
        images, labels, dataset = _sample_run(args)
    else:
        images, labels, dataset = _read_samples(args)
    evaluate_and_report(images, labels, dataset, out_path)


def _sample_run(args):
    """Draw samples from a run's latest checkpoint: (images, asked digits or None, dataset)."""
    if args.labels is not None:
        raise UsageError("--labels goes with --samples; a run's samples carry their own digits")
    ckpt = require_checkpoint(args.run_dir, needs=NEEDED_TO_SAMPLE + ("dataset",))
    try:
        return generate.sample_run(args.run_dir, args.num, seed=args.seed, checkpoint_dir=ckpt)
    except CheckpointError as err:
        raise UsageError(str(err)) from None


def _read_samples(args):
    """Load and check --samples / --labels: (images, labels or None, dataset)."""
    if args.dataset not in DATASETS:
        raise UsageError("unknown dataset %r: choose one of %s"
                         % (args.dataset, ", ".join(DATASETS)))
    try:
        images = checked_images(_load_npy(args.samples))
    except ValueError as err:
        raise UsageError("%s: %s" % (args.samples, err))
    if len(images) < FD_SAMPLES:
        raise UsageError("%s holds %d images; the scores compare %d, so give at least that many"
                         % (args.samples, len(images), FD_SAMPLES))
    labels = None if args.labels is None else _load_npy(args.labels)
    if labels is not None:
        _check_labels(labels, len(images), args.labels)
    return images, labels, args.dataset


def _load_npy(path):
    """The array in a .npy file; a `UsageError` when it cannot be read."""
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
