"""Score GAN samples with a classifier trained on real images, beside the real-data floor.

    python -m mxgan.evaluate RUN_DIR                 # sample a training run's latest checkpoint
    python -m mxgan.evaluate --samples FILE.npy [--labels FILE.npy] [--dataset mnist]

Prints a table (score | samples | real data floor) and writes the scores as JSON. The Frechet
distance is quoted as a multiple of the floor: real images score 1x (`mxgan.quality.scores`);
samples larger than 28 px (a ``--image-size 64`` run's) against real images resized as theirs.
"""
from pathlib import Path

import numpy as np

from .cli import (
    add_sampling_args,
    main_guard,
    new_parser,
    path_type,
    positive_int_type,
    sampling_overrides,
    seed_type,
)
from .common import capacity
from .common.checks import UsageError
from .common.files import check_writable_file
from .data.sources import DATASETS
from .nets.conditions import NUM_CLASSES
from .quality.classifier import checked_images
from .quality.report import evaluate_and_report
from .quality.scores import FD_SAMPLES, SCORED_SAMPLES
from .runs.lookup import NEEDED_TO_SAMPLE, require_checkpoint
from .training import checkpoint, generate
from .training.checkpoint import CheckpointError

SCORES_FILE = "scores.json"
# Copies of the samples (float32) that scoring holds at once: the samples, the classifier's input.
SCORING_COPIES = 2


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
    add_sampling_args(parser, conditional=True)
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
    shape = generate.image_shape(checkpoint.load_meta(ckpt)["config"])
    capacity.check_memory(SCORING_COPIES * capacity.array_bytes((args.num,) + shape),
                          "scoring --num %d samples" % args.num, "lower --num")
    try:
        return generate.sample_run(args.run_dir, args.num, seed=args.seed, checkpoint_dir=ckpt,
                                   overrides=sampling_overrides(args))
    except (CheckpointError, ValueError) as err:
        raise UsageError(str(err)) from None


def _read_samples(args):
    """Load and check --samples / --labels: (images, labels or None, dataset)."""
    given = [key for key, value in sampling_overrides(args).items() if value is not None]
    if given:
        raise UsageError("--%s draws a run's samples: it goes with RUN_DIR, not --samples"
                         % given[0].replace("_", "-"))
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
    """The array in a .npy file; a `UsageError` when it cannot be read or is shorter than its
    header says, a `mxgan.common.capacity.TooLarge` when it would not fit in memory (as
    float32: how it is scored), both before the array is read."""
    shape, dtype = _npy_header(path)
    nbytes = capacity.array_bytes(shape, dtype.itemsize)
    if Path(path).stat().st_size < nbytes:
        raise UsageError("%s is cut short: its header promises %s of %s, the file is smaller"
                         % (path, "x".join(map(str, shape)), dtype))
    capacity.check_memory(nbytes + capacity.array_bytes(shape), "reading %s" % path,
                          "score fewer samples")
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:
        raise UsageError("cannot read %s as a .npy array: %s" % (path, err)) from None


def _npy_header(path):
    """(shape, dtype) from a .npy file's header; a `UsageError` when it has none."""
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                    else np.lib.format.read_array_header_2_0)
            shape, _, dtype = read(f)
    except (OSError, ValueError, EOFError) as err:
        raise UsageError("cannot read %s as a .npy array: %s" % (path, err)) from None
    return shape, dtype


def _check_labels(labels, count, path):
    """Raise `UsageError` unless labels are ``count`` integers in 0-9."""
    if labels.ndim != 1 or len(labels) != count:
        raise UsageError("%s: expected %d labels (one per sample) in a 1-D array, got shape %s"
                         % (path, count, labels.shape))
    if labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() >= NUM_CLASSES:
        raise UsageError("%s: labels must be integers 0-%d" % (path, NUM_CLASSES - 1))


if __name__ == "__main__":
    main()
