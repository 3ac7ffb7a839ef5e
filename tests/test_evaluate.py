"""mxgan.evaluate: the command line that scores a file or a run."""
import json
import os
import subprocess
import sys
from pathlib import Path

from mxgan import evaluate

import numpy as np
import pytest

from idx_files import fake_split, write_split

ROOT = Path(__file__).resolve().parent.parent


def _evaluate(capsys, *args):
    """``python -m mxgan.evaluate ARGS``, run in this process: (exit code, stdout, stderr)."""
    try:
        code = evaluate.main([str(arg) for arg in args])
    except SystemExit as stop:
        code = stop.code
    out, err = capsys.readouterr()
    return code or 0, out, err


@pytest.mark.slow
def test_the_cli_writes_scores_beside_the_samples(digits, tmp_path, scorer, capsys):
    np.save(tmp_path / "samples.npy", digits[0])
    np.save(tmp_path / "labels.npy", digits[1])
    code, out, err = _evaluate(capsys, "--samples", tmp_path / "samples.npy", "--labels",
                               tmp_path / "labels.npy")
    assert code == 0, err
    assert "real data floor" in out
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
    (None, None, ("--truncation", "-0.5", "runs/x"), "--truncation: must be a number >= 0"),
    (np.zeros((1000, 28, 28), np.float32), None, ("--acceptance", "0.5"),
     "--acceptance draws a run's samples: it goes with RUN_DIR, not --samples"),
], ids=["missing-file", "wrong-shape", "too-few", "label-count", "label-range",
        "unknown-dataset", "out-is-a-directory", "too-few-asked", "nothing-to-score",
        "negative-psi", "acceptance-of-samples"])
def test_the_cli_refuses_bad_input_in_one_line_before_any_work(samples, labels, extra, message,
                                                               tmp_path, capsys):
    args = list(extra)
    for flag, value in (("--samples", samples), ("--labels", labels)):
        if isinstance(value, np.ndarray):
            np.save(tmp_path / (flag[2:] + ".npy"), value)
            value = tmp_path / (flag[2:] + ".npy")
        if value is not None:
            args += [flag, value]
    code, _, err = _evaluate(capsys, *args)
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith("error: ") and message in err


@pytest.mark.slow
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


def test_the_cli_without_a_trained_run_says_how_to_train(tmp_path, capsys):
    code, _, err = _evaluate(capsys, tmp_path)
    assert code == 2
    assert err.startswith("error: no trained model at %s: train it first" % tmp_path)
