"""mxgan.evaluate: the scores table and line, and the command line that scores a file or a run."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mxgan import evaluate
from mxgan.data import sources
from mxgan.data.images import to_unit_range
from mxgan.quality.scores import score_samples

from idx_files import fake_split, write_split

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def digits():
    """1,000 real held-out digits in [-1, 1] and their labels."""
    images, labels = sources.load_dataset("mnist", "test")
    return to_unit_range(images[-1000:]), labels[-1000:]


@pytest.fixture(scope="module")
def scores(scorer, digits):
    return score_samples(*digits, classifier=scorer)


def test_the_table_shows_each_score_beside_the_floor(scores):
    table = evaluate.format_table(scores).splitlines()
    assert table[0].startswith("mnist: 1000 samples. Frechet distance: 1000 against")
    assert "the same for 5 sets of 1000 real training images" in table[1]
    rows = {line.split("  ")[0]: line for line in table[3:]}
    assert rows["Frechet distance / floor"].rstrip().endswith("1.00x")
    assert "worst digit's accuracy" in rows and "per-digit FD / floor: worst" in rows
    assert len(rows) == 11


def test_the_summary_line_leads_with_the_multiple_of_the_floor(scores):
    line = evaluate.summary_line(scores)
    assert line.startswith("FD %.2fx floor" % scores["samples"]["fd_ratio"])
    assert "10/10 classes" in line and "(worst digit " in line and line.endswith(
        "R %.2f" % scores["samples"]["recall"])


def test_a_64_px_floor_is_named_in_the_table_and_the_line(scores):
    resized = dict(scores, floor_image_size=64)
    assert "never saw, resized 28 -> 64 -> 28 px as the samples were." in evaluate.format_table(
        resized)
    assert evaluate.summary_line(resized).startswith("FD %.2fx 64 px floor (%.2f; 64 px floor "
                                                     % (scores["samples"]["fd_ratio"],
                                                        scores["samples"]["frechet_distance"]))
    assert "resized" not in evaluate.format_table(scores)


def _evaluate(*args):
    return subprocess.run([sys.executable, "-m", "mxgan.evaluate", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_the_cli_writes_scores_beside_the_samples(digits, tmp_path, scorer):
    np.save(tmp_path / "samples.npy", digits[0])
    np.save(tmp_path / "labels.npy", digits[1])
    result = _evaluate("--samples", tmp_path / "samples.npy", "--labels", tmp_path / "labels.npy")
    assert result.returncode == 0, result.stderr
    assert "real data floor" in result.stdout
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert set(scores["samples"]) == {"frechet_distance", "frechet_distance_sets", "fd_ratio",
                                      "precision", "recall", "coverage", "conditional_accuracy",
                                      "per_class_fd_ratio"}
    assert scores["num_samples"] == scores["num_fd"] == 1000 and scores["floor_image_size"] == 28
    assert len(scores["samples"]["frechet_distance_sets"]) == 1


@pytest.mark.parametrize("samples, labels, extra, message", [
    ("missing.npy", None, (), "cannot read"),
    (np.zeros((1000, 5, 28, 28), np.float32), None, (), "must have shape"),
    (np.zeros((999, 28, 28), np.float32), None, (), "holds 999 images; the scores compare 1000"),
    (np.zeros((1000, 28, 28), np.float32), np.zeros(3, np.int64), (), "expected 1000 labels"),
    (np.zeros((1000, 28, 28), np.float32), np.full(1000, 10), (), "labels must be integers 0-9"),
    (np.zeros((1000, 28, 28), np.float32), None, ("--dataset", "cifar"), "unknown dataset"),
    (np.zeros((1000, 28, 28), np.float32), None, ("--out", "."), "is a directory"),
    (None, None, ("--num", "10", "runs/x"), "--num must be at least 1000"),
    (None, None, (), "give either RUN_DIR or --samples"),
], ids=["missing-file", "wrong-shape", "too-few", "label-count", "label-range",
        "unknown-dataset", "out-is-a-directory", "too-few-asked", "nothing-to-score"])
def test_the_cli_refuses_bad_input_in_one_line_before_any_work(samples, labels, extra, message,
                                                               tmp_path):
    args = list(extra)
    for flag, value in (("--samples", samples), ("--labels", labels)):
        if isinstance(value, np.ndarray):
            np.save(tmp_path / (flag[2:] + ".npy"), value)
            value = tmp_path / (flag[2:] + ".npy")
        if value is not None:
            args += [flag, value]
    result = _evaluate(*args)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: ") and message in result.stderr


def test_a_data_set_too_small_to_score_against_is_one_line(tmp_path):
    """A data set of one's own with fewer training images than the floor and the classifier
    need: one line, not a traceback from the classifier's training."""
    write_split(tmp_path / "data" / "mnist", *fake_split(800))
    np.save(tmp_path / "samples.npy", np.zeros((1000, 28, 28), np.float32))
    result = subprocess.run([sys.executable, "-m", "mxgan.evaluate", "--samples",
                             str(tmp_path / "samples.npy")], cwd=ROOT, capture_output=True,
                            text=True, timeout=300,
                            env=dict(os.environ, MXGAN_DATA_DIR=str(tmp_path / "data")))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: mnist has 800 training images; scoring sets 1000 "
                                    "aside for the real-data floor")


def test_the_cli_without_a_trained_run_says_how_to_train(tmp_path):
    result = _evaluate(tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: no trained model at %s: train it first" % tmp_path)
