"""Sample quality: a digit classifier trained on real data, and the scores built on its outputs.

The classifier's softmax gives conditional accuracy and class coverage; its 128-d penultimate layer
("features") gives the Frechet distance (the MNIST analogue of FID) and k-NN precision / recall.
Every score is reported beside a floor: the same score for real held-out images.
"""
import hashlib
import json
import logging
import os
from pathlib import Path

import cv2
import mxnet as mx
import numpy as np

from . import data
from .data import IMAGE_SIZE, NUM_CLASSES, load_dataset, to_unit_range

FEATURE_DIM = 128
RECIPE_VERSION = 1  # bump when the architecture or training recipe changes: caches then retrain
TRAIN_EPOCHS = 6
MAX_TRAIN_IMAGES = 20000  # a fixed subset of larger sets keeps training within about two minutes
INFERENCE_BATCH = 200

_log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------------------------
# The classifier
# ----------------------------------------------------------------------------------------------

def classifier_symbol():
    """Return the LeNet-style training Symbol; its penultimate layer is named ``features``."""
    data = mx.sym.Variable("data")                                          # 1 x 28 x 28
    net = _conv_pool(data, "conv1", 32)                                     # 32 x 12 x 12
    net = _conv_pool(net, "conv2", 64)                                      # 64 x 4 x 4
    net = mx.sym.FullyConnected(mx.sym.flatten(net), num_hidden=FEATURE_DIM, name="fc1")
    net = mx.sym.Activation(net, act_type="relu", name="features")          # 128
    net = mx.sym.Dropout(net, p=0.5, name="drop")
    net = mx.sym.FullyConnected(net, num_hidden=NUM_CLASSES, name="logits")  # 10
    return mx.sym.SoftmaxOutput(net, name="softmax")


def _conv_pool(net, name, num_filter):
    """Apply a 5x5 valid convolution, ReLU and 2x2 max pooling."""
    net = mx.sym.Convolution(net, kernel=(5, 5), num_filter=num_filter, name=name)
    net = mx.sym.Activation(net, act_type="relu", name=name + "_relu")
    return mx.sym.Pooling(net, kernel=(2, 2), stride=(2, 2), pool_type="max", name=name + "_pool")


def to_classifier_input(images):
    """Convert images to the classifier's input: float32 (N, 1, 28, 28) in [-1, 1].

    Parameters
    ----------
    images : numpy.ndarray
        (N, 28, 28) or (N, C, H, W) with C in {1, 3}; uint8 in [0, 255] or float in [-1, 1].
        Channels are averaged and other sizes are resized with area interpolation.

    Returns
    -------
    numpy.ndarray
        float32 array of shape (N, 1, 28, 28).
    """
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[:, None]
    _check_images(images)
    if images.dtype == np.uint8:
        images = to_unit_range(images)
    gray = images.astype(np.float32).mean(axis=1)
    if gray.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        size = (IMAGE_SIZE, IMAGE_SIZE)
        gray = np.stack([cv2.resize(img, size, interpolation=cv2.INTER_AREA) for img in gray])
    return gray[:, None]


def _check_images(images):
    """Raise ValueError unless images are (N, C, H, W), C in {1, 3}, uint8 or float in [-1, 1]."""
    if images.ndim != 4 or images.shape[1] not in (1, 3) or len(images) == 0:
        raise ValueError("images must have shape (N, 28, 28) or (N, C, H, W) with C 1 or 3 and "
                         "N > 0, got %s" % (images.shape,))
    if images.dtype != np.uint8 and images.dtype.kind != "f":
        raise ValueError("images must be uint8 or float, got %s" % images.dtype)
    if images.dtype.kind == "f" and not np.all(np.abs(images) <= 1.001):  # False for NaN too
        raise ValueError("float images must be finite and lie in [-1, 1], got values from %.3g "
                         "to %.3g" % (np.min(images), np.max(images)))


class Classifier:
    """A trained digit classifier, bound once for inference on fixed-size batches.

    Parameters
    ----------
    symbol, arg_params, aux_params
        The training Symbol from `classifier_symbol` and its trained parameters.
    info : dict
        Metadata kept beside the cache (test accuracy, number of training images, fingerprint).
    ctx : mxnet.Context, optional
        Device to run on; the GPU when there is one.
    """

    def __init__(self, symbol, arg_params, aux_params, *, info, ctx=None):
        internals = symbol.get_internals()
        outputs = mx.sym.Group([mx.sym.softmax(internals["logits_output"]),
                                internals["features_output"]])
        self.module = mx.mod.Module(outputs, label_names=None, context=ctx or default_context())
        self.module.bind([("data", (INFERENCE_BATCH, 1, IMAGE_SIZE, IMAGE_SIZE))],
                         for_training=False)
        self.module.set_params(arg_params, aux_params)
        self.info = info

    def predict(self, images):
        """Return class probabilities, float32 (N, 10)."""
        return self.probs_and_features(images)[0]

    def features(self, images):
        """Return penultimate-layer features, float32 (N, 128)."""
        return self.probs_and_features(images)[1]

    def probs_and_features(self, images):
        """Return (probabilities (N, 10), features (N, 128)) from one pass over the images."""
        inputs = to_classifier_input(images)
        chunks = [self._run_batch(inputs[start:start + INFERENCE_BATCH])
                  for start in range(0, len(inputs), INFERENCE_BATCH)]
        return tuple(np.concatenate(parts) for parts in zip(*chunks))

    def _run_batch(self, batch):
        """Run one batch, padding it to the bound batch size and dropping the padding after."""
        padded = np.zeros((INFERENCE_BATCH,) + batch.shape[1:], np.float32)
        padded[:len(batch)] = batch
        self.module.forward(mx.io.DataBatch([mx.nd.array(padded)]), is_train=False)
        return [out.asnumpy()[:len(batch)] for out in self.module.get_outputs()]


def default_context():
    """Return the first GPU when MXNet sees one, else the CPU."""
    return mx.gpu(0) if mx.context.num_gpus() else mx.cpu()


def load_classifier(dataset="mnist", *, data_dir=None, ctx=None):
    """Load the cached classifier for a dataset, training and caching it first when needed.

    Parameters
    ----------
    dataset : str
        A name `mxgan.data.load_dataset` knows ("mnist", "fashion-mnist", "kmnist").
    data_dir : str or os.PathLike, optional
        Data root holding the dataset and ``classifier-<dataset>/``; `mxgan.data.DATA_DIR` by
        default.
    ctx : mxnet.Context, optional
        Device for training and inference.

    Returns
    -------
    Classifier
        Its ``info`` dict holds ``test_accuracy``, ``num_train_images`` and ``fingerprint``.
    """
    prefix = str(Path(data_dir or data.DATA_DIR, "classifier-" + dataset, "classifier"))
    images, labels = _training_subset(*load_dataset(dataset, "train", data_dir=data_dir))
    fingerprint = _fingerprint(images, labels)
    info = _read_info(prefix)
    if info.get("fingerprint") == fingerprint:
        return Classifier(*mx.model.load_checkpoint(prefix, 0), info=info, ctx=ctx)
    _log.info("training the %s classifier on %d images, once: it is cached as %s-*",
              dataset, len(images), prefix)
    symbol, arg_params, aux_params = _train(images, labels, ctx or default_context())
    classifier = Classifier(symbol, arg_params, aux_params, ctx=ctx, info={
        "dataset": dataset, "num_train_images": len(images), "fingerprint": fingerprint})
    test_images, test_labels = load_dataset(dataset, "test", data_dir=data_dir)
    accuracy = conditional_accuracy(classifier.predict(test_images), test_labels)["accuracy"]
    classifier.info["test_accuracy"] = accuracy
    _save_atomically(prefix, symbol, arg_params, aux_params, classifier.info)
    return classifier


def _training_subset(images, labels):
    """Keep at most MAX_TRAIN_IMAGES (a fixed random subset) so training stays within minutes."""
    if len(images) <= MAX_TRAIN_IMAGES:
        return images, labels
    keep = np.sort(np.random.RandomState(0).choice(len(images), MAX_TRAIN_IMAGES, replace=False))
    return images[keep], labels[keep]


def _fingerprint(images, labels):
    """Return a digest of the training data and the recipe version."""
    digest = hashlib.sha256(b"recipe %d" % RECIPE_VERSION)
    digest.update(np.ascontiguousarray(images).tobytes())
    digest.update(np.ascontiguousarray(labels).tobytes())
    return digest.hexdigest()


def _read_info(prefix):
    """Return the cache's metadata, or {} when there is no complete cache."""
    try:
        with open(prefix + ".json", encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def _train(images, labels, ctx):
    """Train the classifier with Adam, seeded; return (symbol, arg_params, aux_params)."""
    mx.random.seed(0)
    np.random.seed(0)  # NDArrayIter shuffles with numpy's global generator
    train_iter = mx.io.NDArrayIter(to_classifier_input(images), labels.astype(np.float32),
                                   batch_size=64, shuffle=True, last_batch_handle="discard")
    module = mx.mod.Module(classifier_symbol(), context=ctx)
    module.fit(train_iter, num_epoch=TRAIN_EPOCHS, optimizer="adam",
               optimizer_params={"learning_rate": 1e-3},
               initializer=mx.init.Xavier(magnitude=2.0))
    return (module.symbol,) + module.get_params()


def _save_atomically(prefix, symbol, arg_params, aux_params, info):
    """Write the checkpoint and its JSON under temporary names, then rename each into place.

    The JSON goes last, so an interrupted save leaves no cache that `_read_info` accepts.
    """
    os.makedirs(os.path.dirname(prefix), exist_ok=True)
    tmp = "%s.tmp%d" % (prefix, os.getpid())
    mx.model.save_checkpoint(tmp, 0, symbol, arg_params, aux_params)
    with open(tmp + ".json", "w", encoding="utf-8") as f:
        json.dump(info, f, indent=2)
    for suffix in ("-symbol.json", "-0000.params", ".json"):
        os.replace(tmp + suffix, prefix + suffix)


# ----------------------------------------------------------------------------------------------
# Scores: pure functions of classifier outputs
# ----------------------------------------------------------------------------------------------

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
    radii = np.partition(_squared_distances(support, support), k, axis=1)[:, k]  # column 0: self
    inside = _squared_distances(queries, support) <= radii[None, :]
    return float(inside.any(axis=1).mean())


def _squared_distances(a, b):
    """Return the (len(a), len(b)) matrix of squared Euclidean distances, via a matrix product."""
    squared = (a ** 2).sum(1)[:, None] + (b ** 2).sum(1)[None, :] - 2 * a @ b.T
    return np.maximum(squared, 0)


# ----------------------------------------------------------------------------------------------
# All scores for a set of samples, beside the real-data floor
# ----------------------------------------------------------------------------------------------

def score_samples(images, labels=None, *, dataset="mnist", classifier=None, num_real=5000):
    """Score samples against real training images, with real held-out images as the floor.

    Both the samples and the floor's held-out test images are unseen by the classifier, and both
    are compared with the same reference: up to ``num_real`` real training images. The floor uses
    as many test images as there are samples (at most the whole test split).

    Parameters
    ----------
    images : numpy.ndarray
        Samples, any shape `to_classifier_input` accepts.
    labels : numpy.ndarray, optional
        (N,) digits the samples were asked to show; adds conditional accuracy.
    dataset : str
        Dataset whose classifier and real images to use.
    classifier : Classifier, optional
        Defaults to ``load_classifier(dataset)``.
    num_real : int
        Most real training images in the reference set.

    Returns
    -------
    dict
        ``samples`` and ``real`` (the floor) each hold ``frechet_distance``, ``precision``,
        ``recall``, ``coverage`` (see `class_coverage`) and, given labels,
        ``conditional_accuracy`` (see `conditional_accuracy`); plus ``dataset``,
        ``num_samples``, ``num_real`` (reference images), ``num_floor`` (test images) and
        ``classifier`` (its info).
    """
    classifier = classifier or load_classifier(dataset)
    rng = np.random.RandomState(0)
    train_images, _ = _random_rows(rng, num_real, *load_dataset(dataset, "train"))
    test_images, test_labels = _random_rows(rng, len(images), *load_dataset(dataset, "test"))
    reference = classifier.features(train_images)
    real_labels = None if labels is None else test_labels
    return {"dataset": dataset, "num_samples": len(images), "num_real": len(reference),
            "num_floor": len(test_images), "classifier": classifier.info,
            "samples": _score_against(classifier, reference, images, labels),
            "real": _score_against(classifier, reference, test_images, real_labels)}


def _random_rows(rng, count, images, labels):
    """Return up to count rows of (images, labels), chosen without replacement."""
    keep = rng.choice(len(images), min(count, len(images)), replace=False)
    return images[keep], labels[keep]


def _score_against(classifier, reference_feats, images, labels):
    """Return every applicable score of images against reference features."""
    probs, feats = classifier.probs_and_features(images)
    scores = {"frechet_distance": frechet_distance(feats, reference_feats),
              **precision_recall(reference_feats, feats),
              "coverage": class_coverage(probs)}
    if labels is not None:
        scores["conditional_accuracy"] = conditional_accuracy(probs, labels)
    return scores
