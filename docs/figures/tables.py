"""The tables of tables.md, as Markdown: the run's length, speed and scores, its scorer, its
training, each asked digit (a CGAN) and the "what to try next" runs."""
import json
from pathlib import Path

from mxgan.common.files import atomic_write_text
from mxgan.nets.conditions import NUM_CLASSES

from .runs import metric_rows, read_scores
from .training import training_table


def training_seconds(rows, batch_size):
    """Wall time of the training loop from ``metrics.jsonl``: its images/s is measured over
    each logged block, so batch / images_per_s summed over the steps is the loop's time."""
    return sum(batch_size / row["images_per_s"] for row in rows)


def scores_table(run_dir, config):
    """The run's length, speed and `mxgan.evaluate` scores (scores.json) as a Markdown table:
    the Frechet distance as a multiple of the real-data floor, then each score with the floor's
    in brackets; "-" where the run was not scored."""
    rows = metric_rows(run_dir)
    seconds = training_seconds(rows, config["batch_size"])
    fake, real = read_scores(run_dir)
    cells = ["{:,}".format(len(rows)), str(config["batch_size"]), "%.1f min" % (seconds / 60),
             "%.0f" % (len(rows) * config["batch_size"] / seconds)] + _score_cells(fake, real)
    head = ("| steps | batch | training loop | images/s | FD / floor | FD (floor) | "
            "precision / recall (floor) | classes covered | conditional accuracy (floor) |")
    return "\n".join([head, "|" + " --- |" * 9, "| " + " | ".join(cells) + " |"])


def _score_cells(fake, real):
    """The five score cells of `scores_table`, or "-"."""
    if not fake:
        return ["-"] * 5
    accuracy = ("%.1f%% (%.1f%%)" % (100 * fake["conditional_accuracy"]["accuracy"],
                                     100 * real["conditional_accuracy"]["accuracy"])
                if "conditional_accuracy" in fake else "-")
    return ["%.1fx" % (fake["frechet_distance"] / real["frechet_distance"]),
            "%.1f (%.1f)" % (fake["frechet_distance"], real["frechet_distance"]),
            "%.2f / %.2f (%.2f / %.2f)" % (fake["precision"], fake["recall"], real["precision"],
                                           real["recall"]),
            "%d/%d" % (fake["coverage"]["classes_covered"], NUM_CLASSES), accuracy]


def per_digit_table(run_dir):
    """A CGAN's conditional accuracy per asked digit (scores.json), as a one-row Markdown
    table; "-" for each digit if the run was not scored."""
    fake, _ = read_scores(run_dir)
    per_class = fake.get("conditional_accuracy", {}).get("per_class") or [None] * NUM_CLASSES
    cells = ["-" if value is None else "%.0f%%" % (100 * value) for value in per_class]
    return "\n".join(["| asked digit | " + " | ".join(map(str, range(NUM_CLASSES))) + " |",
                      "|" + " --- |" * (NUM_CLASSES + 1),
                      "| read as asked | " + " | ".join(cells) + " |"])


def scorer_table(run_dir):
    """The scorer of scores.json (`mxgan.quality.scores.score_samples`) as a one-row Markdown
    table."""
    path = Path(run_dir, "scores.json")
    cells = ["-"] * 4
    if path.exists():
        scores = json.loads(path.read_text())
        info, sets = scores["classifier"], len(scores["real"]["frechet_distance_sets"])
        cells = ["%s classifier (`mxgan.quality.classifier`)" % info["dataset"],
                 "%.2f%%" % (100 * info["test_accuracy"]),
                 "{:,} training images".format(info["num_train_images"]),
                 "mean FD of {} sets of {:,} unseen training images".format(sets,
                                                                           scores["num_fd"])]
    return "\n".join(["| scorer | test accuracy | trained on | floor |", "|" + " --- |" * 4,
                      "| " + " | ".join(cells) + " |"])


def try_table(tries):
    """One row per "what to try next" run ({name: (run_dir, config)}): its data set, network,
    condition, steps and scores, as a Markdown table."""
    lines = ["| run | data set | network | condition | steps | FD / floor | conditional accuracy |",
             "|" + " --- |" * 7]
    for name, (run_dir, config) in tries.items():
        fake, _ = read_scores(run_dir)
        accuracy = fake.get("conditional_accuracy", {}).get("accuracy")
        lines.append("| %s | %s | %s | %s | {:,} | %s | %s |".format(len(metric_rows(run_dir))) % (
            name, config["dataset"], config.get("network", "-"), config.get("condition") or "-",
            "%.2fx" % fake["fd_ratio"] if fake else "-",
            "-" if accuracy is None else "%.1f%%" % (100 * accuracy)))
    return "\n".join(lines)


def tables(model, run_dir, config, tries):
    """{section: Markdown table} of tables.md for one run and its "what to try next" runs."""
    sections = {"scores": scores_table(run_dir, config), "scorer": scorer_table(run_dir),
                "training": training_table(run_dir), "try": try_table(tries)}
    if model == "cgan":
        sections["per digit"] = per_digit_table(run_dir)
    return sections


def write_tables(model, run_dir, config, path, tries):
    """tables.md: `tables` under ``## section`` headings, for docs/make_notebooks.py to copy
    into the pages."""
    parts = ["# Tables of %s (made by docs/make_figures.py)" % Path(run_dir).name]
    for section, table in tables(model, run_dir, config, tries).items():
        parts += ["## %s" % section, table]
    atomic_write_text(path, "\n\n".join(parts) + "\n")
    return path
