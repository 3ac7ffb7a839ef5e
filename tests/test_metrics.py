"""Sample-quality scores: the digit classifier, each score on real / broken samples, and the CLI."""
import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from mxgan import data, metrics
from mxgan.evaluate import summary_line

pytestmark = pytest.mark.filterwarnings("ignore:MNIST. using the 5,000-digit offline sample")


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    """A fresh data root for this module: the offline MNIST sample and no cached classifier."""
    root = tmp_path_factory.mktemp("data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(data, "DATA_DIR", root)
        yield root


@pytest.fixture(scope="module")
def classifier(data_root):
    """The MNIST classifier, trained once into the module's data root."""
    return metrics.load_classifier("mnist")


@pytest.fixture(scope="module")
def test_digits(data_root):
    """Real held-out digits as float32 (N, 28, 28) in [-1, 1], and their labels."""
    images, labels = data.load_dataset("mnist", "test")
    return data.to_unit_range(images), labels


@pytest.fixture(scope="module")
def scores(classifier, test_digits):
    """score_samples of real test digits and of three broken sets, each asked the true labels."""
    images, labels = test_digits
    rng = np.random.RandomState(0)
    cases = {
        "real": images,
        "noise": rng.uniform(-1, 1, images.shape).astype(np.float32),
        "collapse": np.repeat(images[:1], len(images), axis=0),
        "blur": np.stack([cv2.GaussianBlur(image, (0, 0), 2.5) for image in images]),
    }
    return {name: metrics.score_samples(samples, labels, classifier=classifier)
            for name, samples in cases.items()}


def test_classifier_is_accurate_on_held_out_digits(classifier, test_digits):
    images, labels = test_digits
    accuracy = np.mean(classifier.predict(images).argmax(axis=1) == labels)
    assert accuracy >= 0.9
    assert classifier.info["test_accuracy"] == pytest.approx(accuracy)
    assert classifier.features(images[:7]).shape == (7, metrics.FEATURE_DIM)


def test_cached_classifier_loads_without_retraining(classifier, test_digits, monkeypatch):
    monkeypatch.setattr(metrics, "_train", lambda *args: pytest.fail("retrained"))
    cached = metrics.load_classifier("mnist")
    images = test_digits[0][:300]
    np.testing.assert_array_equal(cached.predict(images), classifier.predict(images))
    assert cached.info == classifier.info


@pytest.mark.parametrize("shape", [(5, 28, 28), (5, 1, 28, 28), (5, 3, 64, 64), (5, 1, 64, 64)])
def test_classifier_input_accepts_generator_layouts(shape):
    images = np.zeros(shape, np.float32)
    assert metrics.to_classifier_input(images).shape == (5, 1, 28, 28)


@pytest.mark.parametrize("images", [np.zeros((5, 2, 28, 28), np.float32),
                                    np.full((5, 28, 28), 255.0, np.float32),
                                    np.full((5, 28, 28), np.nan, np.float32)])
def test_classifier_input_rejects_wrong_shape_or_range(images):
    with pytest.raises(ValueError):
        metrics.to_classifier_input(images)


def test_conditional_accuracy_ranks_real_over_blur_over_noise(scores):
    accuracy = {name: case["samples"]["conditional_accuracy"]["accuracy"]
                for name, case in scores.items()}
    assert accuracy["real"] >= 0.9
    assert accuracy["real"] > accuracy["blur"] + 0.05
    assert accuracy["noise"] < 0.25 and accuracy["collapse"] < 0.25


def test_coverage_finds_all_classes_in_real_digits_and_one_in_collapse(scores):
    real = scores["real"]["samples"]["coverage"]
    collapse = scores["collapse"]["samples"]["coverage"]
    assert real["classes_covered"] == 10 and real["kl_to_uniform"] < 0.05
    assert collapse["classes_covered"] == 1
    assert collapse["kl_to_uniform"] == pytest.approx(np.log(10))


def test_frechet_distance_is_smallest_for_real_digits(scores):
    distance = {name: case["samples"]["frechet_distance"] for name, case in scores.items()}
    assert distance["real"] == pytest.approx(scores["real"]["real"]["frechet_distance"])
    for broken in ("noise", "collapse", "blur"):
        assert distance[broken] > 10 * distance["real"]


def test_precision_recall_flag_noise_and_collapse(scores):
    real, noise, collapse = (scores[name]["samples"] for name in ("real", "noise", "collapse"))
    assert real["precision"] > 0.7 and real["recall"] > 0.7
    assert collapse["recall"] < 0.05
    assert noise["precision"] < real["precision"] - 0.3


def test_scores_are_json_serialisable_and_summarised(scores):
    json.dumps(scores)
    line = summary_line(scores["blur"])
    assert line.startswith("FD ") and "floor" in line and "cond. acc" in line


def test_frechet_distance_of_a_set_with_itself_is_zero():
    feats = np.random.RandomState(0).normal(size=(500, 16))
    assert metrics.frechet_distance(feats, feats) == pytest.approx(0, abs=1e-6)


def test_frechet_distance_matches_closed_form_for_diagonal_gaussians():
    # A Cartesian product of two 1-D sets has an exactly diagonal sample covariance, so the
    # distance is |mu_a - mu_b|^2 + sum over dimensions of (sigma_a - sigma_b)^2.
    rng = np.random.RandomState(0)
    a = _grid(rng.normal(0, 1, 30), rng.normal(0, 2, 40))
    b = _grid(rng.normal(1, 3, 50), rng.normal(-2, 0.5, 20))
    expected = (np.sum((a.mean(0) - b.mean(0)) ** 2)
                + np.sum((a.std(0, ddof=1) - b.std(0, ddof=1)) ** 2))
    assert metrics.frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)


def _grid(xs, ys):
    """Return every (x, y) pair as rows of a (len(xs) * len(ys), 2) array."""
    return np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)


def test_precision_recall_of_a_set_with_itself_is_perfect():
    feats = np.random.RandomState(0).normal(size=(300, 8))
    assert metrics.precision_recall(feats, feats) == {"precision": 1.0, "recall": 1.0}


def test_conditional_accuracy_reports_unasked_classes_as_none():
    probs = np.eye(10)[[0, 0, 1, 2]]
    result = metrics.conditional_accuracy(probs, np.array([0, 1, 1, 2]))
    assert result["accuracy"] == 0.75
    assert result["per_class"][:3] == [1.0, 0.5, 1.0] and result["per_class"][3] is None


def test_evaluate_cli_writes_scores_beside_the_samples(classifier, test_digits, data_root,
                                                       tmp_path):
    images, labels = test_digits
    np.save(tmp_path / "samples.npy", images[:200])
    np.save(tmp_path / "labels.npy", labels[:200])
    result = _evaluate("--samples", tmp_path / "samples.npy", "--labels", tmp_path / "labels.npy",
                       data_root=data_root)
    assert result.returncode == 0, result.stderr
    assert "real data floor" in result.stdout
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert set(scores["samples"]) == {"frechet_distance", "precision", "recall", "coverage",
                                      "conditional_accuracy"}
    assert set(scores["real"]) == set(scores["samples"])
    assert scores["num_samples"] == 200


@pytest.mark.parametrize("samples, labels, extra", [
    ("missing.npy", None, ()),
    (np.zeros((4, 5, 28, 28), np.float32), None, ()),
    (np.zeros((4, 28, 28), np.float32), np.zeros(3, np.int64), ()),
    (np.zeros((4, 28, 28), np.float32), np.array([0, 1, 2, 10]), ()),
    (np.zeros((4, 28, 28), np.float32), None, ("--dataset", "cifar")),
    (None, None, ()),
], ids=["missing-file", "wrong-shape", "label-count", "label-range", "unknown-dataset",
        "nothing-to-score"])
def test_evaluate_cli_rejects_bad_input_in_one_line(samples, labels, extra, data_root, tmp_path):
    args = list(extra)
    for flag, value in (("--samples", samples), ("--labels", labels)):
        if isinstance(value, np.ndarray):
            np.save(tmp_path / (flag[2:] + ".npy"), value)
            value = tmp_path / (flag[2:] + ".npy")
        if value is not None:
            args += [flag, value]
    result = _evaluate(*args, data_root=data_root)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr


def _evaluate(*args, data_root):
    """Run ``python -m mxgan.evaluate`` on the module's data root; return the CompletedProcess."""
    env = dict(os.environ, MXGAN_DATA_DIR=str(data_root), MXGAN_OFFLINE="1")
    return subprocess.run([sys.executable, "-m", "mxgan.evaluate", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=120)
