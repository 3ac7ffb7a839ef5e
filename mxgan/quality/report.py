"""Scores as a reader sees them: a table of each score beside the real-data floor, one summary
line, and the scores as JSON (`evaluate_and_report`, what ``python -m mxgan.evaluate`` and the
end of a training run print and write)."""
import json

from ..common.files import atomic_write_text
from ..data.sources import IMAGE_SIZE
from ..nets.conditions import NUM_CLASSES
from .scores import score_samples


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
    if size == IMAGE_SIZE:
        return ""
    return ", resized %d -> %d -> %d px as the samples were" % (IMAGE_SIZE, size, IMAGE_SIZE)


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
