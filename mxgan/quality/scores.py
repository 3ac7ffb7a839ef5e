"""Sample quality: scores of classifier outputs, and `score_samples`, which sets a set of samples
beside the real-data floor.

Every set is compared with one reference: `FD_SAMPLES` held-out test images that neither the GAN
nor the classifier saw. The floor is the same score for real training images the classifier never
saw (`mxgan.quality.classifier.floor_split`). Samples and floor are measured alike: the Frechet
distance is the mean over up to `FLOOR_SETS` sets of `FD_SAMPLES` images each, because the FD of
one set of 1,000 lands anywhere within about +-20% of that mean (for real digits and samples
alike). FD is reported as a multiple of the floor, so real data scores about 1x and a generator
can only approach it: a generator well below the floor would mean the features cannot tell real
from generated, not a great generator. Samples larger than 28 px are set beside a floor of real
images put through the same round trip as theirs: up to the run's size as its training data are,
then down to 28 px as the classifier reads samples (`Scorer.floor`).
"""
import functools

import numpy as np

from ..data.images import resize_images
from ..data.sources import IMAGE_SIZE, DatasetError, load_dataset
from ..nets.conditions import NUM_CLASSES
from .classifier import FLOOR_SETS, checked_images, floor_split, load_classifier

FD_SAMPLES = 1000  # every Frechet distance and precision / recall compares this many images
SCORED_SAMPLES = FLOOR_SETS * FD_SAMPLES  # what a run draws to be scored: as many as the floor


# ---- scores of classifier outputs ----------------------------------------------------------

def conditional_accuracy(probs, asked_labels):
    """Return how often the predicted class is the asked one.

    Parameters
    ----------
    probs : numpy.ndarray
        (N, 10) class probabilities.
    asked_labels : numpy.ndarray
        (N,) integer labels the samples were asked to show.

    Returns
    -------
    dict
        ``accuracy`` (float) and ``per_class`` (10 floats; None for a class never asked).
    """
    asked_labels = np.asarray(asked_labels)
    correct = probs.argmax(axis=1) == asked_labels
    per_class = [float(correct[asked_labels == c].mean()) if np.any(asked_labels == c) else None
                 for c in range(NUM_CLASSES)]
    return {"accuracy": float(correct.mean()), "per_class": per_class}


def class_coverage(probs, *, min_share=0.05):
    """Return how evenly the predicted classes cover all ten.

    Parameters
    ----------
    probs : numpy.ndarray
        (N, 10) class probabilities.
    min_share : float
        A class counts as covered when it holds at least this fraction of the predictions.

    Returns
    -------
    dict
        ``histogram`` (10 fractions), ``kl_to_uniform`` (KL(histogram || uniform), nats; 0 is
        perfectly even, log 10 = 2.30 is a single class) and ``classes_covered`` (int).
    """
    counts = np.bincount(probs.argmax(axis=1), minlength=NUM_CLASSES)
    histogram = counts / counts.sum()
    present = histogram[histogram > 0]
    kl = float(np.sum(present * np.log(present * NUM_CLASSES)))
    return {"histogram": histogram.tolist(), "kl_to_uniform": kl,
            "classes_covered": int(np.sum(histogram >= min_share))}


def frechet_distance(feats_a, feats_b):
    """Return the Frechet distance between Gaussians fitted to two feature sets.

    ``|mu_a - mu_b|^2 + tr(C_a) + tr(C_b) - 2 tr((C_a^1/2 C_b C_a^1/2)^1/2)``; the last trace equals
    ``tr((C_a C_b)^1/2)`` and is taken from the eigenvalues of a symmetric PSD matrix.

    Parameters
    ----------
    feats_a, feats_b : numpy.ndarray
        (N, D) and (M, D) feature arrays, N, M >= 2.

    Returns
    -------
    float
    """
    mean_a, cov_a = _mean_and_cov(feats_a)
    mean_b, cov_b = _mean_and_cov(feats_b)
    root_a = _psd_sqrt(cov_a)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ cov_b @ root_a), 0, None)).sum()
    distance = np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * cross
    return float(max(distance, 0.0))


def _mean_and_cov(feats):
    """Return the mean and covariance (float64) of the rows of a feature array."""
    feats = np.asarray(feats, np.float64)
    return feats.mean(axis=0), np.cov(feats, rowvar=False)


def _psd_sqrt(matrix):
    """Return the symmetric square root of a symmetric positive semi-definite matrix."""
    eigvals, eigvecs = np.linalg.eigh(matrix)
    return (eigvecs * np.sqrt(np.clip(eigvals, 0, None))) @ eigvecs.T


def precision_recall(real_feats, fake_feats, *, k=3, max_points=2000, seed=0):
    """Return k-NN manifold precision and recall (Kynkaanniemi et al., 2019).

    Each set's manifold is the union of balls reaching every point's k-th nearest neighbour.
    Precision is the fraction of fakes inside the real manifold (are samples realistic?); recall
    is the fraction of reals inside the fake manifold (do samples cover the data?).

    Parameters
    ----------
    real_feats, fake_feats : numpy.ndarray
        (N, D) and (M, D) feature arrays, each with more than k rows.
    k : int
        Neighbour that sets each ball's radius.
    max_points : int
        Each set is subsampled (seeded) to at most this many rows; cost grows with its square.
    seed : int
        Seed of the subsampling.

    Returns
    -------
    dict
        ``precision`` and ``recall`` (floats in [0, 1]).
    """
    rng = np.random.RandomState(seed)
    real = _subsample(real_feats, max_points, rng)
    fake = _subsample(fake_feats, max_points, rng)
    return {"precision": _fraction_inside(fake, real, k), "recall": _fraction_inside(real, fake, k)}


def _subsample(feats, max_points, rng):
    """Return at most max_points rows of a feature array as float64, chosen without replacement."""
    feats = np.asarray(feats, np.float64)
    if len(feats) > max_points:
        feats = feats[rng.choice(len(feats), max_points, replace=False)]
    return feats


def _fraction_inside(queries, support, k):
    """Return the fraction of queries within some support point's k-NN radius."""
    radii = np.partition(squared_distances(support, support), k, axis=1)[:, k]  # column 0: self
    inside = squared_distances(queries, support) <= radii[None, :]
    return float(inside.any(axis=1).mean())


def squared_distances(a, b):
    """Return the (len(a), len(b)) matrix of squared Euclidean distances, via a matrix product."""
    squared = (a ** 2).sum(1)[:, None] + (b ** 2).sum(1)[None, :] - 2 * a @ b.T
    return np.maximum(squared, 0)


# ---- all scores of a set of samples, beside the floor ---------------------------------------

def score_samples(images, labels=None, *, dataset="mnist", classifier=None, num=FD_SAMPLES,
                  data_dir=None):
    """Score samples against held-out real images, beside the floor of unseen real images.

    Parameters
    ----------
    images : numpy.ndarray
        At least ``num`` samples (`SCORED_SAMPLES` for an FD averaged over as many sets as the
        floor's), any shape `mxgan.quality.classifier.to_classifier_input` accepts.
    labels : numpy.ndarray, optional
        (N,) digits the samples were asked to show; adds conditional accuracy.
    dataset : str
        Dataset whose classifier and real images to use.
    classifier : mxgan.quality.classifier.Classifier, optional
        Defaults to ``load_classifier(dataset)``.
    num : int
        Images on each side of every Frechet distance and precision / recall; the FD is the mean
        over the first `FLOOR_SETS` whole sets of ``num``, precision / recall are of the first
        set, accuracy and coverage use all samples.

    Returns
    -------
    dict
        ``samples`` and ``real`` (the floor) each hold ``frechet_distance``, ``fd_ratio`` (FD /
        the floor's FD), ``precision``, ``recall``, ``coverage`` (see `class_coverage`) and,
        given labels, ``conditional_accuracy`` and ``per_class_fd_ratio`` (see
        `per_class_fd_ratios`), and ``frechet_distance_sets``, the FD of each
        set the mean is taken over; plus ``dataset``, ``num_samples``, ``num_fd``,
        ``floor_image_size`` (the samples' side: the floor's images went through the round trip
        to that size and back, see `Scorer.floor`) and ``classifier`` (its info).
    """
    return Scorer(dataset, classifier=classifier, num=num, data_dir=data_dir)(images, labels)


class Scorer:
    """`score_samples` for many sets of samples: the reference features and the floor of each
    image size are computed once (a run's in-training scores go through one)."""

    def __init__(self, dataset="mnist", *, classifier=None, num=FD_SAMPLES, data_dir=None):
        self.dataset, self.num, self.data_dir = dataset, num, data_dir
        self.classifier = classifier or load_classifier(dataset, data_dir=data_dir)
        test_images, _ = load_dataset(dataset, "test", data_dir=data_dir)
        if len(test_images) < num:
            raise DatasetError("%s has %d test images; the scores compare samples with %d of them"
                               % (dataset, len(test_images), num))
        reference = test_images[np.random.RandomState(0).permutation(len(test_images))[:num]]
        _, self._floor_images = floor_split(dataset, data_dir, num)
        self.reference_feats = self.classifier.features(reference)
        self._floors = {}

    def floor(self, image_size=IMAGE_SIZE):
        """The floor for samples of ``image_size`` px: (its scores, (features, labels) of its
        images), computed once per size. Its real images go the round trip a run of that size
        puts digits through: up as its training data (`mxgan.data.images.resize_images`), down
        as the classifier reads its samples; at 28 px they are used as they are."""
        if image_size not in self._floors:
            images, labels = self._floor_images
            probs, feats = self.classifier.probs_and_features(resize_images(images, image_size))
            scores = _scores_of(probs, feats, labels, self.reference_feats, self.num)
            scores.update(fd_ratio=1.0, per_class_fd_ratio=[1.0] * NUM_CLASSES)
            self._floors[image_size] = scores, (feats, labels)
        return self._floors[image_size]

    def __call__(self, images, labels=None):
        """The scores of `score_samples` for ``images`` (and the digits asked, ``labels``)."""
        if len(images) < self.num:
            raise ValueError("scores compare %d samples with %d real images; got only %d samples"
                             % (self.num, self.num, len(images)))
        image_size = checked_images(images).shape[-1]
        floor, floor_feats = self.floor(image_size)
        probs, feats = self.classifier.probs_and_features(images)
        samples = _scores_of(probs, feats, labels, self.reference_feats, self.num)
        samples["fd_ratio"] = samples["frechet_distance"] / floor["frechet_distance"]
        if labels is not None:
            samples["per_class_fd_ratio"] = per_class_fd_ratios(
                (feats, labels), floor_feats, self._test_feats)
        real = {key: value for key, value in floor.items()
                if labels is not None or key not in ("conditional_accuracy", "per_class_fd_ratio")}
        return {"dataset": self.dataset, "num_samples": len(images), "num_fd": self.num,
                "floor_image_size": image_size, "classifier": self.classifier.info,
                "samples": samples, "real": real}

    @functools.cached_property
    def _test_feats(self):
        """Features and labels of every test image: the per-class references."""
        images, labels = load_dataset(self.dataset, "test", data_dir=self.data_dir)
        return self.classifier.features(images), labels


def per_class_fd_ratios(samples, floor, test):
    """Each class's FD, as a multiple of the floor's: the samples asked to show it and the
    floor's real images of it, at equal counts, each against the test images of that class.

    ``samples``, ``floor`` and ``test`` are (features, labels) pairs; a class without two images
    on either side gets None.
    """
    (sample_feats, sample_labels), (floor_feats, floor_labels), (test_feats, test_labels) = (
        samples, floor, test)
    ratios = []
    for digit in range(NUM_CLASSES):
        fake, real = sample_feats[sample_labels == digit], floor_feats[floor_labels == digit]
        count = min(len(fake), len(real))
        reference = test_feats[test_labels == digit]
        ratios.append(frechet_distance(fake[:count], reference)
                      / frechet_distance(real[:count], reference) if count >= 2 else None)
    return ratios


def _scores_of(probs, feats, labels, reference_feats, num):
    """Every applicable score of images, from their classifier outputs, against reference
    features: the FD of each of the first `FLOOR_SETS` whole sets of ``num`` images and their
    mean, precision / recall of the first set, coverage and accuracy of all."""
    distances = [frechet_distance(feats[start:start + num], reference_feats)
                 for start in range(0, min(len(feats), FLOOR_SETS * num) - num + 1, num)]
    scores = {"frechet_distance": float(np.mean(distances)), "frechet_distance_sets": distances,
              **precision_recall(reference_feats, feats[:num]),
              "coverage": class_coverage(probs)}
    if labels is not None:
        scores["conditional_accuracy"] = conditional_accuracy(probs, labels)
    return scores
