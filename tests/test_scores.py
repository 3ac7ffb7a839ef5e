"""mxgan.quality.scores: the scorer ranks fixtures of known order by clear margins, never below
the floor, and every score is right on sets whose answer is known."""
import json

from mxgan.data import sources
from mxgan.data.images import resize_images, to_unit_range
from mxgan.data.sources import DatasetError
from mxgan.quality.classifier import floor_split
from mxgan.quality.scores import (
    Scorer,
    conditional_accuracy,
    frechet_distance,
    precision_recall,
    score_samples,
)

import cv2
import numpy as np
import pytest

from idx_files import fake_split, write_split


@pytest.fixture(scope="module")
def fixtures():
    """1,000 real held-out digits (not the scorer's reference), the same slightly blurred, 10 of
    them repeated 100 times (collapse) and uniform noise, with the labels each was "asked"."""
    images, labels = sources.load_dataset("mnist", "test")
    held_out = np.random.RandomState(0).permutation(len(images))[1000:2000]
    real, asked = to_unit_range(images[held_out]), labels[held_out]
    return {"real": (real, asked),
            "blurred": (np.stack([cv2.GaussianBlur(im, (0, 0), 0.5) for im in real]), asked),
            "collapse": (np.repeat(real[:10], 100, axis=0), np.repeat(asked[:10], 100)),
            "noise": (np.random.RandomState(1).uniform(-1, 1, real.shape).astype(np.float32),
                      asked)}


@pytest.fixture(scope="module")
def scores(scorer, fixtures):
    return {name: score_samples(images, labels, classifier=scorer)
            for name, (images, labels) in fixtures.items()}


@pytest.mark.slow
def test_the_fixtures_rank_real_blurred_collapse_noise_each_by_2x(scores):
    ratios = [scores[name]["samples"]["fd_ratio"] for name in ("real", "blurred", "collapse",
                                                               "noise")]
    assert all(later > 2 * earlier for earlier, later in zip(ratios, ratios[1:])), ratios


@pytest.mark.slow
def test_real_held_out_digits_score_at_the_floor_and_nothing_else_below_it(scores):
    floor = scores["real"]["real"]
    spread = [d / floor["frechet_distance"] for d in floor["frechet_distance_sets"]]
    assert len(spread) == 5 and 0.75 < min(spread) <= max(spread) < 1.33
    assert 0.75 < scores["real"]["samples"]["fd_ratio"] < 1.33
    assert all(scores[name]["samples"]["fd_ratio"] > 1.5 for name in ("blurred", "collapse",
                                                                       "noise"))


@pytest.mark.slow
def test_samples_fd_is_the_mean_over_whole_sets_of_1000_as_the_floors_is(scorer):
    images, _ = sources.load_dataset("mnist", "test")
    unseen = np.random.RandomState(0).permutation(len(images))[1000:3500]  # 2.5 sets
    scores = score_samples(to_unit_range(images[unseen]), classifier=scorer)
    sets = scores["samples"]["frechet_distance_sets"]
    assert len(sets) == 2 and len(scores["real"]["frechet_distance_sets"]) == 5
    assert scores["samples"]["frechet_distance"] == pytest.approx(np.mean(sets))
    assert abs(sets[0] - sets[1]) > 0  # two different sets, not one counted twice


@pytest.mark.slow
def test_recall_sees_collapse_and_blur_that_precision_misses(scores):
    real, blurred, collapse, noise = (scores[n]["samples"] for n in ("real", "blurred",
                                                                     "collapse", "noise"))
    assert real["precision"] > 0.8 and real["recall"] > 0.8
    assert collapse["precision"] > 0.9 and collapse["recall"] < 0.05
    assert blurred["precision"] > 0.8 and blurred["recall"] < real["recall"] - 0.15
    assert noise["precision"] < 0.05


@pytest.mark.slow
def test_accuracy_and_coverage_see_noise_and_collapse(scores):
    accuracy = {n: s["samples"]["conditional_accuracy"]["accuracy"] for n, s in scores.items()}
    assert accuracy["real"] >= 0.99 and accuracy["noise"] < 0.25
    real, collapse = (scores[n]["samples"]["coverage"] for n in ("real", "collapse"))
    assert real["classes_covered"] == 10 and real["kl_to_uniform"] < 0.05
    assert collapse["classes_covered"] <= 7


def test_fewer_samples_than_the_fixed_count_are_refused(scorer, fixtures):
    with pytest.raises(ValueError, match="compare 1000 samples with 1000 real images; got only"):
        score_samples(fixtures["real"][0][:999], classifier=scorer)


def test_a_test_split_smaller_than_the_reference_set_is_refused(scorer, fixtures, tmp_path):
    write_split(tmp_path / "mnist", *fake_split(999), prefix="t10k")
    with pytest.raises(DatasetError, match="mnist has 999 test images; the scores compare "
                       "samples with 1000 of them"):
        score_samples(fixtures["real"][0], classifier=scorer, data_dir=tmp_path)


@pytest.mark.slow
def test_scores_are_json_serialisable(scores):
    assert json.loads(json.dumps(scores))["real"]["samples"]["fd_ratio"] > 0


def test_frechet_distance_of_a_set_with_itself_is_zero():
    feats = np.random.RandomState(0).normal(size=(500, 16))
    assert frechet_distance(feats, feats) == pytest.approx(0, abs=1e-6)


def test_frechet_distance_matches_closed_form_for_diagonal_gaussians():
    # A Cartesian product of two 1-D sets has an exactly diagonal sample covariance, so the
    # distance is |mu_a - mu_b|^2 + sum over dimensions of (sigma_a - sigma_b)^2.
    rng = np.random.RandomState(0)
    a = _grid(rng.normal(0, 1, 30), rng.normal(0, 2, 40))
    b = _grid(rng.normal(1, 3, 50), rng.normal(-2, 0.5, 20))
    expected = (np.sum((a.mean(0) - b.mean(0)) ** 2)
                + np.sum((a.std(0, ddof=1) - b.std(0, ddof=1)) ** 2))
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)


def _grid(xs, ys):
    """Return every (x, y) pair as rows of a (len(xs) * len(ys), 2) array."""
    return np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)


def test_precision_recall_of_a_set_with_itself_is_perfect():
    feats = np.random.RandomState(0).normal(size=(300, 8))
    assert precision_recall(feats, feats) == {"precision": 1.0, "recall": 1.0}


def test_conditional_accuracy_reports_unasked_classes_as_none():
    probs = np.eye(10)[[0, 0, 1, 2]]
    result = conditional_accuracy(probs, np.array([0, 1, 1, 2]))
    assert result["accuracy"] == 0.75
    assert result["per_class"][:3] == [1.0, 0.5, 1.0] and result["per_class"][3] is None


@pytest.mark.slow
def test_per_digit_fd_puts_real_digits_near_the_floor_and_collapse_far_above(scores, fixtures):
    real, blurred, collapse = (scores[n]["samples"]["per_class_fd_ratio"]
                               for n in ("real", "blurred", "collapse"))
    # the fixture's real digits are test digits, as the per-class references are: they land a
    # little below the floor of unseen training digits
    assert len(real) == 10 and all(0.4 < ratio < 1.3 for ratio in real), real
    assert min(b - r for b, r in zip(blurred, real)) > 0.3, (blurred, real)
    # the ten repeated digits miss some classes, which have no per-digit FD
    assert min(ratio for ratio in collapse if ratio is not None) > 3, collapse
    assert collapse.count(None) == 10 - len(set(fixtures["collapse"][1]))
    assert scores["real"]["real"]["per_class_fd_ratio"] == [1.0] * 10


# ---- the floor of samples larger than the data: real digits resized the same way -------------

@pytest.fixture(scope="module")
def round_trip(scorer):
    """A scorer, and 1,000 held-out real digits as a 64 px run trains on them (28 -> 64 px,
    bilinear) with their labels."""
    images, labels = sources.load_dataset("mnist", "test")
    held_out = np.random.RandomState(0).permutation(len(images))[1000:2000]
    resized = to_unit_range(resize_images(images[held_out], 64))[:, None]
    return Scorer(classifier=scorer), resized, labels[held_out]


@pytest.mark.slow
def test_real_digits_resized_as_a_64_px_run_s_score_at_the_64_px_floor(round_trip):
    scorer, images, labels = round_trip
    scores = scorer(images, labels)
    assert scores["floor_image_size"] == 64
    assert 0.75 < scores["samples"]["fd_ratio"] < 1.33
    assert all(0.5 < ratio < 1.5 for ratio in scores["samples"]["per_class_fd_ratio"])
    assert scores["real"]["frechet_distance"] == scorer.floor(64)[0]["frechet_distance"]


@pytest.mark.slow
def test_the_64_px_floor_is_the_round_trip_s_and_far_from_the_28_px_one(round_trip):
    scorer, images, _ = round_trip
    floor_28, floor_64 = (scorer.floor(size)[0]["frechet_distance"] for size in (28, 64))
    assert floor_64 > 2 * floor_28  # the round trip blurs: against 28 px, real reads > 2x
    assert scorer(images)["samples"]["frechet_distance"] > 2 * floor_28


@pytest.mark.slow
def test_the_28_px_floor_scores_the_floor_images_as_they_are(round_trip, scorer):
    _, (images, _) = floor_split("mnist", set_size=1000)
    unresized = frechet_distance(scorer.features(images[:1000]), round_trip[0].reference_feats)
    assert round_trip[0].floor(28)[0]["frechet_distance_sets"][0] == unresized
