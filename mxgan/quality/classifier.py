"""The feature network of the sample scores: a small MXNet CNN trained once per dataset, cached.

Its softmax gives conditional accuracy and class coverage; its 128-d penultimate layer
("features") gives the Frechet distance and k-NN precision / recall (`mxgan.quality.scores`). It is
trained on the training split *minus* the floor sets (`floor_split`), seeded; the cache in
``DATA_DIR/classifier-<dataset>/`` is keyed by a fingerprint of the data and the recipe, so a
change of either retrains it.
"""
import hashlib
import json
import logging
from pathlib import Path

import cv2
import mxnet as mx
import numpy as np
from tqdm import tqdm

from ..common import mxnet_internals
from ..common.files import staged_directory
from ..data import sources
from ..data.images import to_unit_range
from ..data.sources import IMAGE_SIZE, DatasetError, load_dataset
from ..nets.conditions import NUM_CLASSES

FEATURE_DIM = 128
FLOOR_SETS = 5  # the floor is the mean over this many sets of real images (fewer if too few)
# Scoring needs this many sets of training images: one for the floor (never more than a quarter
# of the split, see `floor_split`), the rest for the classifier. With fewer it cannot learn the
# digits; measured on the first N MNIST training images (a set of 1,000 for the floor, the rest
# for the classifier), test accuracy: N = 2,000: 20.8%, 3,000: 86.0%, 4,000: 94.9%, 5,000: 96.3%.
MIN_TRAINING_SETS = 4
INFERENCE_BATCH = 200
# How every classifier is trained: Adam with weight decay on a cosine schedule from ``lr`` to
# ``final_lr``, after a linear warm-up from ``warmup_begin_lr`` over ``warmup_fraction`` of the
# steps (at most ``max_warmup_steps``); Xavier weights of ``init_magnitude``; ``dropout`` before
# the softmax layer. `RECIPES` adds each dataset's width and epochs.
TRAINING = dict(batch_size=128, init_magnitude=2.0, lr=3e-3, final_lr=3e-5, warmup_begin_lr=3e-4,
                warmup_fraction=0.1, max_warmup_steps=200, weight_decay=1e-4, dropout=0.3)
# Per dataset: width and epochs. Measured on 2 cores (accuracy on the 10,000 test images, time
# to train): MNIST 99.26% / 99.24% (two seeds) in 16 s, 2 epochs; Fashion-MNIST 92.05% in 51 s,
# 4 epochs (3: 91.79% / 91.47%). Random
# affine augmentation did not pay (MNIST 99.20% with it), nor did LeNet-style 5x5 layers (99.21%
# in 24 s) or a deeper net pooled globally (99.06% in 102 s, one epoch).
RECIPES = {
    "mnist": dict(TRAINING, width=16, epochs=2),
    "kmnist": dict(TRAINING, width=16, epochs=3),
    "fashion-mnist": dict(TRAINING, width=16, epochs=4),
}
# The cache's fingerprint covers the data, the whole recipe and the network's graph; bump this
# when the training code changes in a way none of those shows.
RECIPE_VERSION = 2

_log = logging.getLogger(__name__)


# ---- the network ------------------------------------------------------------------------------

def classifier_symbol(width=16, dropout=TRAINING["dropout"]):
    """The training Symbol: three 3x3 convolutions with BatchNorm and ReLU (``width``, 2x and 4x
    its filters), the first two max-pooled, then 128 features (ReLU), ``dropout`` and a
    softmax."""
    net = mx.sym.Variable("data")                                          # 1 x 28 x 28
    for stage, filters in enumerate((width, 2 * width, 4 * width), 1):
        net = mx.sym.Convolution(net, kernel=(3, 3), pad=(1, 1), num_filter=filters,
                                 no_bias=True, name="conv%d" % stage)
        net = mx.sym.BatchNorm(net, fix_gamma=False, name="conv%d_bn" % stage)
        net = mx.sym.Activation(net, act_type="relu", name="conv%d_relu" % stage)
        if stage < 3:
            net = mx.sym.Pooling(net, kernel=(2, 2), stride=(2, 2), pool_type="max",
                                 name="pool%d" % stage)                     # 14 x 14, 7 x 7
    net = mx.sym.FullyConnected(mx.sym.flatten(net, name="flatten"), num_hidden=FEATURE_DIM,
                                name="fc1")
    net = mx.sym.Activation(net, act_type="relu", name="features")         # 128
    net = mx.sym.Dropout(net, p=dropout, name="drop")
    net = mx.sym.FullyConnected(net, num_hidden=NUM_CLASSES, name="logits")  # 10
    return mx.sym.SoftmaxOutput(net, name="softmax")


def to_classifier_input(images):
    """Images as the classifier's input: float32 (N, 1, 28, 28) in [-1, 1].

    Accepts (N, 28, 28) or (N, C, H, W) with C in {1, 3} and H = W, uint8 in [0, 255] or float
    in [-1, 1]; channels are averaged and other sizes resized with area interpolation.
    """
    images = checked_images(images)
    if images.dtype == np.uint8:
        images = to_unit_range(images)
    gray = images.astype(np.float32).mean(axis=1)
    if gray.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        size = (IMAGE_SIZE, IMAGE_SIZE)
        gray = np.stack([cv2.resize(img, size, interpolation=cv2.INTER_AREA) for img in gray])
    return gray[:, None]


def checked_images(images):
    """Images as (N, C, H, W), checked: a ValueError unless they are (N, H, W) or (N, C, H, W),
    C in {1, 3}, square, uint8 or float in [-1, 1]."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[:, None]
    if (images.ndim != 4 or images.shape[1] not in (1, 3) or images.shape[2] != images.shape[3]
            or len(images) == 0):
        raise ValueError("images must have shape (N, 28, 28) or (N, C, H, W) with C 1 or 3, "
                         "H = W and N > 0, got %s" % (images.shape,))
    if images.dtype != np.uint8 and images.dtype.kind != "f":
        raise ValueError("images must be uint8 or float, got %s" % images.dtype)
    if images.dtype.kind == "f" and not np.all(np.abs(images) <= 1.001):  # False for NaN too
        raise ValueError("float images must be finite and lie in [-1, 1], got values from %.3g "
                         "to %.3g" % (np.min(images), np.max(images)))
    return images


class Classifier:
    """A trained classifier, bound once for inference on fixed-size batches.

    ``info`` is the metadata kept beside the cache (dataset, test accuracy, number of training
    images, fingerprint).
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
        """Class probabilities, float32 (N, 10)."""
        return self.probs_and_features(images)[0]

    def features(self, images):
        """Penultimate-layer features, float32 (N, 128)."""
        return self.probs_and_features(images)[1]

    def probs_and_features(self, images):
        """(probabilities (N, 10), features (N, 128)) from one pass over the images."""
        inputs = to_classifier_input(images)
        chunks = [self._run_batch(inputs[start:start + INFERENCE_BATCH])
                  for start in range(0, len(inputs), INFERENCE_BATCH)]
        return tuple(np.concatenate(parts) for parts in zip(*chunks))

    def _run_batch(self, batch):
        """Run one batch, padded to the bound batch size, the padding dropped after."""
        padded = np.zeros((INFERENCE_BATCH,) + batch.shape[1:], np.float32)
        padded[:len(batch)] = batch
        self.module.forward(mx.io.DataBatch([mx.nd.array(padded)]), is_train=False)
        return [out.asnumpy()[:len(batch)] for out in self.module.get_outputs()]


def default_context():
    """The first GPU when MXNet sees one, else the CPU."""
    return mx.gpu(0) if mx.context.num_gpus() else mx.cpu()


# ---- training and the cache -------------------------------------------------------------------

def floor_split(dataset, data_dir=None, set_size=1000):
    """The training split as ((classifier images, labels), (floor images, labels)): a fixed
    random `FLOOR_SETS` x ``set_size`` images (at most a quarter of the split) are kept out of the
    classifier's training, so the floor compares real images the classifier never saw.

    A `DatasetError` when the split holds fewer than `MIN_TRAINING_SETS` x ``set_size`` images,
    too few for the floor and a classifier that knows the digits."""
    images, labels = load_dataset(dataset, "train", data_dir=data_dir)
    if len(images) < MIN_TRAINING_SETS * set_size:
        raise DatasetError(
            "%s has %d training images; scoring sets %d aside for the real-data floor and trains "
            "its classifier on the rest, so it needs at least %d (train with --no-eval to skip "
            "scoring)" % (dataset, len(images), set_size, MIN_TRAINING_SETS * set_size))
    count = set_size * max(1, min(FLOOR_SETS, len(images) // (4 * set_size)))
    order = np.random.RandomState(0).permutation(len(images))
    floor, rest = np.sort(order[:count]), np.sort(order[count:])
    return (images[rest], labels[rest]), (images[floor], labels[floor])


def load_classifier(dataset="mnist", *, data_dir=None, ctx=None):
    """The cached classifier of a dataset, trained and cached first when needed.

    Parameters
    ----------
    dataset : str
        A name `mxgan.data.sources.load_dataset` knows ("mnist", "fashion-mnist", "kmnist").
    data_dir : str or os.PathLike, optional
        Data root holding the dataset and ``classifier-<dataset>/``; `mxgan.sources.DATA_DIR` by
        default.
    ctx : mxnet.Context, optional
        Device for training and inference.

    Returns
    -------
    Classifier
        Its ``info`` dict holds ``test_accuracy``, ``num_train_images`` and ``fingerprint``.
    """
    directory = Path(data_dir or sources.DATA_DIR, "classifier-" + dataset)
    (images, labels), _ = floor_split(dataset, data_dir)
    recipe = RECIPES[dataset]
    fingerprint = _fingerprint(images, labels, recipe)
    info = _read_info(directory)
    if info.get("fingerprint") == fingerprint:
        prefix = str(directory / "classifier")
        return Classifier(*mx.model.load_checkpoint(prefix, 0), info=info, ctx=ctx)
    _log.info("training the %s classifier on %d images, once: it is cached in %s",
              dataset, len(images), directory)
    trained = train_classifier(images, labels, recipe=recipe, ctx=ctx or default_context())
    classifier = Classifier(*trained, ctx=ctx, info={
        "dataset": dataset, "num_train_images": len(images), "fingerprint": fingerprint})
    test_images, test_labels = load_dataset(dataset, "test", data_dir=data_dir)
    accuracy = float(np.mean(classifier.predict(test_images).argmax(axis=1) == test_labels))
    classifier.info["test_accuracy"] = accuracy
    _save(directory, trained, classifier.info)
    return classifier


def _fingerprint(images, labels, recipe):
    """A digest of the training data, the recipe and the graph it builds: another value of any
    of them names another cache."""
    graph = classifier_symbol(recipe["width"], recipe["dropout"]).tojson()
    digest = hashlib.sha256(b"recipe %d %s\n" % (RECIPE_VERSION,
                                                 json.dumps(recipe, sort_keys=True).encode()))
    digest.update(graph.encode())
    digest.update(np.ascontiguousarray(images).tobytes())
    digest.update(np.ascontiguousarray(labels).tobytes())
    return digest.hexdigest()


def _read_info(directory):
    """The cache's metadata, or {} when there is no complete cache."""
    try:
        return json.loads((Path(directory) / "classifier.json").read_text())
    except (OSError, ValueError):
        return {}


def _save(directory, trained, info):
    """Write the cache into a staged directory renamed into place: never half a cache. A full or
    read-only disk costs a warning, not the scores (the classifier is trained again next time)."""
    try:
        with staged_directory(directory) as staging:
            mx.model.save_checkpoint(str(staging / "classifier"), 0, *trained)
            (staging / "classifier.json").write_text(json.dumps(info, indent=2))
    except (OSError, mx.base.MXNetError) as err:
        _log.warning("cannot cache the classifier in %s (%s)", directory,
                     str(err).splitlines()[0])


def train_classifier(images, labels, *, recipe, ctx, seed=0):
    """Train `classifier_symbol` by ``recipe`` (see `TRAINING`), seeded; returns (symbol,
    arg_params, aux_params)."""
    mx.random.seed(seed)
    rng = np.random.RandomState(seed)
    inputs = to_classifier_input(images)
    batch_size = recipe["batch_size"]
    module = mx.mod.Module(classifier_symbol(recipe["width"], recipe["dropout"]), context=ctx)
    module.bind([("data", (batch_size, 1, IMAGE_SIZE, IMAGE_SIZE))],
                [("softmax_label", (batch_size,))])
    module.init_params(mx.init.Xavier(magnitude=recipe["init_magnitude"]))
    steps = recipe["epochs"] * (len(inputs) // batch_size)
    module.init_optimizer(optimizer="adam", optimizer_params={
        "learning_rate": recipe["lr"], "lr_scheduler": _schedule(recipe, steps),
        "wd": recipe["weight_decay"]})
    with tqdm(total=steps, desc="training the scorer's classifier (once)", unit="batch") as bar:
        for _ in range(recipe["epochs"]):
            order = rng.permutation(len(inputs))
            for batch in mx.io.NDArrayIter(inputs[order], labels[order].astype(np.float32),
                                           batch_size=batch_size, last_batch_handle="discard"):
                module.forward_backward(batch)
                module.update()
                bar.update(1)
    mxnet_internals.wait_for_queued_work()
    return (module.symbol,) + module.get_params()


def _schedule(recipe, steps):
    """The recipe's learning rates over ``steps``: a linear warm-up, then a cosine decay."""
    warmup = min(recipe["max_warmup_steps"], int(steps * recipe["warmup_fraction"]))
    return mx.lr_scheduler.CosineScheduler(
        max_update=steps, base_lr=recipe["lr"], final_lr=recipe["final_lr"], warmup_steps=warmup,
        warmup_begin_lr=recipe["warmup_begin_lr"])
