"""What the records keep of a tutorial's run, for the pages' tables (rendered by docs/render.py
from records/tutorial-MODEL.jsonl): its length, speed and scores, its scorer and its
training."""
import json
from pathlib import Path

import numpy as np

from .runs import metric_rows, read_scores
from .training import D_LOSS_SPIKE, windows

SCORE_KEYS = ("fd_ratio", "frechet_distance", "precision", "recall")


def training_seconds(rows, batch_size):
    """Wall time of the training loop from ``metrics.jsonl``: its images/s is measured over
    each logged block, so batch / images_per_s summed over the steps is the loop's time."""
    return sum(batch_size / row["images_per_s"] for row in rows)


def score_summary(scores):
    """The figures the tables show of one side of scores.json (samples or the real floor)."""
    summary = {key: scores[key] for key in SCORE_KEYS if key in scores}
    summary["classes_covered"] = scores["coverage"]["classes_covered"]
    if "conditional_accuracy" in scores:
        summary["accuracy"] = scores["conditional_accuracy"]["accuracy"]
        summary["per_digit"] = scores["conditional_accuracy"]["per_class"]
    return summary


def scorer_summary(run_dir):
    """The scorer of scores.json (`mxgan.quality.scores.score_samples`); None without one."""
    path = Path(run_dir, "scores.json")
    if not path.exists():
        return None
    scores = json.loads(path.read_text())
    info = scores["classifier"]
    return {"dataset": info["dataset"], "test_accuracy": info["test_accuracy"],
            "num_train_images": info["num_train_images"], "num_fd": scores["num_fd"],
            "floor_sets": len(scores["real"]["frechet_distance_sets"])}


def training_summary(rows):
    """Means of the logged numbers over `training.windows` of the run, and D's loss spikes."""
    summary = []
    for first, last in windows(len(rows)):
        chosen = [row for row in rows if first <= row["iteration"] <= last]
        means = {key: float(np.mean([row[key] for row in chosen]))
                 for key in ("d_loss", "g_loss", "d_real", "d_fake")}
        summary.append(dict(means, first=first, last=last,
                            d_loss_spikes=sum(row["d_loss"] > D_LOSS_SPIKE for row in chosen)))
    return summary


def run_summary(model, run_dir, config):
    """The record of a tutorial's run: its length, speed, scores (None where it was not
    scored), scorer and training."""
    rows = metric_rows(run_dir)
    seconds = training_seconds(rows, config["batch_size"])
    fake, real = read_scores(run_dir)
    return {"model": model, "run": str(run_dir), "steps": len(rows),
            "batch_size": config["batch_size"], "training_s": seconds,
            "images_per_s": len(rows) * config["batch_size"] / seconds,
            "samples": score_summary(fake) if fake else None,
            "real": score_summary(real) if real else None,
            "scorer": scorer_summary(run_dir), "training": training_summary(rows),
            "d_loss_spike": D_LOSS_SPIKE}
