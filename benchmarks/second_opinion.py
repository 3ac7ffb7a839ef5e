"""A second opinion on a run's samples: another classifier, scored as an outside scorer scores.

    python benchmarks/second_opinion.py RUN_DIR [RUN_DIR ...] [--dataset fashion-mnist]

mxgan's own scorer (`mxgan.quality`) reads kinder than an outside one: one DCGAN run scored
2.59x its floor there and 6.0x on an outside scorer. This is an independent check. Its
classifier is the PyTorch MNIST example's network (`ExampleNet`), built with MXNet Gluon and
trained on every training image of the dataset (`RECIPE`, its own seed), cached in
``DATA_DIR/second-opinion-<dataset>-<key>/`` keyed by dataset, data and recipe. Each run's final
checkpoint draws `SAMPLES` images (G's weight average where the run keeps one; a conditional G
500 of each class), scored by `mxgan.quality.scores.Scorer` with this classifier's dense-128
features: FD between 1,000 samples and 1,000 test images, the mean over 5 disjoint sets of
samples, beside the floor (5 sets of 1,000 training images against the same test images;
resized 28 -> size -> 28 for a run of another size), k-NN precision / recall (k = 3) of the
first set, classes covered and, for a conditional G, accuracy as asked and the per-class FD
ratio. Prints one line per run, writes ``second_opinion.json`` into it and appends its summary
(`record_of`, with provenance: `benchmarks.records`) to ``records/second-opinion.jsonl``.
"""
import argparse
import functools
import hashlib
import json
import logging
import sys
from pathlib import Path

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon
from mxnet.gluon import nn

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

from benchmarks import records  # noqa: E402
from mxgan.cli import main_guard, new_parser, path_type, positive_int_type  # noqa: E402
from mxgan.common.files import atomic_write_text, staged_directory  # noqa: E402
from mxgan.data.sources import DATASETS, data_root, load_dataset  # noqa: E402
from mxgan.nets.conditions import NUM_CLASSES  # noqa: E402
from mxgan.quality.classifier import to_classifier_input  # noqa: E402
from mxgan.quality.report import summary_line  # noqa: E402
from mxgan.quality.scores import SCORED_SAMPLES, Scorer  # noqa: E402
from mxgan.runs.lookup import NEEDED_TO_SAMPLE, require_checkpoint  # noqa: E402
from mxgan.runs.watch import score_row  # noqa: E402
from mxgan.training import generate  # noqa: E402

OUT_FILE = "second_opinion.json"
SAMPLES = SCORED_SAMPLES  # 5 sets of 1,000: 500 of each class from a conditional G
# The PyTorch example's training, in two epochs: batches of 64, Adadelta (rho 0.9, its eps
# 1e-6; MXNet's AdaDelta has no learning rate, PyTorch's lr 1.0 is the same step), weights
# uniform in +-1/sqrt(fan-in) as PyTorch's layers start. Inputs are scaled to the training
# set's pixel mean and deviation, as the example's Normalize(0.1307, 0.3081) does for MNIST.
RECIPE = dict(batch_size=64, epochs=2, rho=0.9, epsilon=1e-6, seed=1)
INFERENCE_BATCH = 500

_log = logging.getLogger(__name__)


class ExampleNet(gluon.HybridBlock):
    """The PyTorch MNIST example's classifier; returns (logits, the dense-128 features)."""

    def __init__(self):
        super().__init__()
        with self.name_scope():
            self.trunk = nn.HybridSequential()
            self.trunk.add(nn.Conv2D(32, 3, activation="relu"),         # 32 x 26 x 26
                           nn.Conv2D(64, 3, activation="relu"),         # 64 x 24 x 24
                           nn.MaxPool2D(2), nn.Dropout(0.25),           # 64 x 12 x 12
                           nn.Flatten(), nn.Dense(128, activation="relu"))  # 128: features
            self.head = nn.HybridSequential()
            self.head.add(nn.Dropout(0.5), nn.Dense(NUM_CLASSES))       # 10 logits

    def hybrid_forward(self, F, x):
        features = self.trunk(x)
        return self.head(features), features


class SecondOpinion:
    """The trained `ExampleNet` behind the classifier interface `Scorer` reads: probabilities
    and features of images in any layout `mxgan.quality.classifier.to_classifier_input` takes
    (other sizes resized as mxgan's scorer resizes them). ``info``: dataset, test accuracy."""

    def __init__(self, net, info):
        self.net, self.info = net, info

    def features(self, images):
        """Dense-128 features, float32 (N, 128)."""
        return self.probs_and_features(images)[1]

    def probs_and_features(self, images):
        """(class probabilities (N, 10), features (N, 128)), inference mode (no dropout)."""
        inputs = normalised(to_classifier_input(images), self.info)
        chunks = [self.net(mx.nd.array(inputs[start:start + INFERENCE_BATCH]))
                  for start in range(0, len(inputs), INFERENCE_BATCH)]
        return (np.concatenate([mx.nd.softmax(logits).asnumpy() for logits, _ in chunks]),
                np.concatenate([features.asnumpy() for _, features in chunks]))


def normalised(inputs, info):
    """Classifier inputs in [-1, 1] as the network reads them: pixels in [0, 1] standardised
    by the training set's ``pixel_mean`` and ``pixel_std`` (in ``info``)."""
    return (((inputs + 1) / 2 - info["pixel_mean"]) / info["pixel_std"]).astype(np.float32)


# ---- training and the cache -------------------------------------------------------------------

def load_second_opinion(dataset, *, limit=None, data_dir=None):
    """The dataset's `SecondOpinion`, trained and cached first when no cache has this data and
    recipe; ``limit`` (tests) trains it on the first that many training images and measures it
    on as many test images."""
    images, labels = load_dataset(dataset, "train", data_dir=data_dir)
    images, labels = images[:limit], labels[:limit]
    key = cache_key(dataset, images, labels)
    directory = cache_dir(dataset, key, data_dir)
    if (directory / "info.json").is_file():
        return _load(directory)
    _log.warning("training the second-opinion %s classifier on %d images, once: it is cached "
                 "in %s", dataset, len(images), directory)
    classifier = train(images, labels, dict(dataset=dataset, key=key, **RECIPE))
    test_images, test_labels = load_dataset(dataset, "test", data_dir=data_dir)
    classifier.info["test_accuracy"] = float(np.mean(
        classifier.probs_and_features(test_images[:limit])[0].argmax(axis=1)
        == test_labels[:limit]))
    _save(directory, classifier)
    return classifier


def _load(directory):
    """The `SecondOpinion` cached in ``directory``."""
    net = ExampleNet()
    net.load_parameters(str(directory / "net.params"))
    net.hybridize()
    return SecondOpinion(net, json.loads((directory / "info.json").read_text()))


def _save(directory, classifier):
    """Cache a `SecondOpinion` in ``directory``, renamed into place: never half a cache."""
    with staged_directory(directory) as staging:
        classifier.net.save_parameters(str(staging / "net.params"))
        (staging / "info.json").write_text(json.dumps(classifier.info, indent=2) + "\n")


def cache_dir(dataset, key, data_dir=None):
    """Where the classifier of a dataset, its data and `RECIPE` (digested in ``key``) is kept."""
    return data_root(data_dir) / ("second-opinion-%s-%s" % (dataset, key[:12]))


def cache_key(dataset, images, labels):
    """A digest of the dataset's name, its training images and labels, and `RECIPE`."""
    digest = hashlib.sha256(json.dumps([dataset, RECIPE], sort_keys=True).encode())
    digest.update(np.ascontiguousarray(images).tobytes())
    digest.update(np.ascontiguousarray(labels).tobytes())
    return digest.hexdigest()


def train(images, labels, info):
    """Train an `ExampleNet` by `RECIPE` on uint8 images, seeded; returns its `SecondOpinion`
    (``info`` plus the pixel statistics it standardises with)."""
    mx.random.seed(RECIPE["seed"])
    rng = np.random.RandomState(RECIPE["seed"])
    inputs = to_classifier_input(images)
    pixels = (inputs + 1) / 2
    info = dict(info, pixel_mean=float(pixels.mean()), pixel_std=float(pixels.std()),
                num_train_images=len(images))
    inputs, batch_size = normalised(inputs, info), RECIPE["batch_size"]
    net = ExampleNet()
    net.initialize(mx.init.Xavier(rnd_type="uniform", factor_type="in", magnitude=1))
    net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "adadelta",
                            {"rho": RECIPE["rho"], "epsilon": RECIPE["epsilon"]})
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    for _ in range(RECIPE["epochs"]):
        order = rng.permutation(len(inputs))
        for start in range(0, len(order) - batch_size + 1, batch_size):
            batch = order[start:start + batch_size]
            with autograd.record():
                logits, _ = net(mx.nd.array(inputs[batch]))
                loss(logits, mx.nd.array(labels[batch])).backward()
            trainer.step(batch_size)
    mx.nd.waitall()
    return SecondOpinion(net, info)


# ---- scoring runs -----------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def scorer_of(dataset, limit=None):
    """The `Scorer` of a dataset with its `SecondOpinion`, built once a process."""
    return Scorer(dataset, classifier=load_second_opinion(dataset, limit=limit))


def score_run(run_dir, checkpoint_dir, dataset=None, limit=None):
    """The `Scorer` dict of `SAMPLES` samples of a run's checkpoint, scored against its
    dataset (or ``dataset``), with the run and checkpoint named."""
    images, labels, run_dataset = generate.sample_run(run_dir, SAMPLES,
                                                      checkpoint_dir=checkpoint_dir)
    scores = scorer_of(dataset or run_dataset, limit)(images, labels)
    return dict(scores, run_dir=str(run_dir), checkpoint=str(checkpoint_dir))


def one_line(scores):
    """``RUN_DIR: `` and `mxgan.quality.report.summary_line`, with the per-class FD of a conditional
    G (the mean over classes and the worst)."""
    line = "%s: %s" % (scores["run_dir"], summary_line(scores))
    ratios = [r for r in scores["samples"].get("per_class_fd_ratio", ()) if r is not None]
    if ratios:
        line += " | per-class FD %.2fx (worst %.2fx)" % (np.mean(ratios), max(ratios))
    return line


def record_of(scores):
    """What the records keep of a run's second opinion: the run, the classifier's test accuracy
    and the scores `one_line` prints (`mxgan.runs.watch.score_row`), with the per-class FD
    ratios of a conditional G."""
    ratios = [r for r in scores["samples"].get("per_class_fd_ratio", ()) if r is not None]
    record = {"run_dir": scores["run_dir"], "dataset": scores["dataset"],
              "classifier_accuracy": scores["classifier"]["test_accuracy"], **score_row(scores)}
    if ratios:
        record.update(per_class_fd_ratio_mean=float(np.mean(ratios)),
                      per_class_fd_ratio_worst=max(ratios))
    return record


def parse_args(argv=None):
    """Parse the command line."""
    parser = new_parser(__doc__.splitlines()[0], prog="python benchmarks/second_opinion.py")
    parser.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", type=path_type,
                        help="trained runs; each one's latest checkpoint is sampled")
    parser.add_argument("--dataset", choices=DATASETS,
                        help="score against this dataset instead of each run's own")
    parser.add_argument("--records", type=Path, default=records.RECORDS / "second-opinion.jsonl",
                        metavar="JSONL", help="records file the summaries are appended to")
    parser.add_argument("--limit", type=positive_int_type, help=argparse.SUPPRESS)  # tests
    return parser.parse_args(argv)


@main_guard
def main(argv=None):
    """Score every run (each checked first); a bad run directory exits 2 with one line."""
    args = parse_args(argv)
    checkpoints = [require_checkpoint(run_dir, needs=NEEDED_TO_SAMPLE + ("dataset",))
                   for run_dir in args.run_dirs]
    accuracies = {}
    for run_dir, checkpoint_dir in zip(args.run_dirs, checkpoints):
        scores = score_run(run_dir, checkpoint_dir, args.dataset, args.limit)
        atomic_write_text(Path(run_dir, OUT_FILE), json.dumps(scores, indent=2) + "\n")
        records.write(args.records, records.command_line(__file__, argv), record_of(scores))
        print(one_line(scores), flush=True)
        accuracies[scores["dataset"]] = scores["classifier"]["test_accuracy"]
    print("the second opinion's classifier reads %s of the test images right" % ", ".join(
        "%.2f%% (%s)" % (100 * accuracy, name) for name, accuracy in accuracies.items()))


if __name__ == "__main__":
    main()
