"""Time to quality of a finished run, read from the monitoring grids it saved.

    python benchmarks/time_to_quality.py runs/cgan-mnist runs/dcgan-mnist

For each ``samples/iter-NNNNNN.png`` the grid is cut back into images and scored with mxgan's
digit classifier: a CGAN grid has one row per digit, so its conditional accuracy is measured; a
DCGAN grid's fixed noise gives the class coverage. Training time up to a step is summed from
``metrics.jsonl`` (images/s of each logged block), so sampling and checkpoints are not counted.
Prints the first step and time at which the CGAN passes 90% conditional accuracy and the DCGAN
covers all 10 classes.
"""
import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from mxgan import metrics
from mxgan.classifier import load_classifier

PAD, CELL = 2, 28  # the layout of mxgan.viz.make_grid for 28 x 28 images
CGAN_TARGET, DIGITS = 0.90, 10


def grid_images(path):
    """Cut a saved grid (PNG) back into float images (N, 28, 28) in [-1, 1], row-major."""
    picture = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE).astype(np.float32) / 127.5 - 1
    rows, cols = ((size - PAD) // (CELL + PAD) for size in picture.shape)
    return np.stack([picture[PAD + r * (CELL + PAD):][:CELL, PAD + c * (CELL + PAD):][:, :CELL]
                     for r in range(rows) for c in range(cols)]), cols


def training_seconds(run_dir):
    """Cumulative training seconds at each logged step, from per-block images/s."""
    rows = [json.loads(line) for line in (Path(run_dir) / "metrics.jsonl").open()]
    config = json.loads((Path(run_dir) / "config.json").read_text())
    steps = np.array([row["iteration"] for row in rows])
    return dict(zip(steps, np.cumsum([config["batch_size"] / row["images_per_s"] for row in rows])))


def quality_at(classifier, path, conditional):
    """(score, target reached) for one grid: conditional accuracy, or classes covered."""
    images, cols = grid_images(path)
    probs = classifier.predict(images)
    if conditional:
        accuracy = metrics.conditional_accuracy(probs, np.repeat(np.arange(DIGITS), cols))
        return accuracy["accuracy"], accuracy["accuracy"] >= CGAN_TARGET
    covered = len(set(probs.argmax(axis=1)))
    return covered, covered == DIGITS


def time_to_quality(run_dir, classifier):
    """The first (step, seconds, score) at which the run reaches its target, or None."""
    conditional = json.loads((Path(run_dir) / "config.json").read_text())["model"] == "cgan"
    seconds = training_seconds(run_dir)
    for path in sorted(Path(run_dir, "samples").glob("iter-*.png")):
        step = int(path.stem.split("-")[1])
        score, reached = quality_at(classifier, path, conditional)
        if reached:
            return step, float(seconds[step]), score
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="finished run directories")
    args = parser.parse_args()
    classifier = load_classifier("mnist")
    for run_dir in args.runs:
        found = time_to_quality(run_dir, classifier)
        if found is None:
            print("%s: target not reached" % run_dir)
        else:
            print("%s: target reached at step %d after %.0f s of training (score %s)"
                  % (run_dir, found[0], found[1], found[2]))


if __name__ == "__main__":
    main()
