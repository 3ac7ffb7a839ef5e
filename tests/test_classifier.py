"""mxgan.quality.classifier: the scorer's feature network, its training data and its cache."""
from mxgan.data import sources
from mxgan.data.sources import DatasetError
from mxgan.quality import classifier
from mxgan.quality.classifier import FEATURE_DIM, floor_split, to_classifier_input

import mxnet as mx
import numpy as np
import pytest

from idx_files import fake_split, write_split


@pytest.mark.slow
def test_the_classifier_gets_99_percent_of_held_out_digits_right(scorer):
    images, labels = sources.load_dataset("mnist", "test")
    accuracy = np.mean(scorer.predict(images).argmax(axis=1) == labels)
    assert accuracy >= 0.99 and len(images) == 10000
    assert scorer.info["test_accuracy"] == pytest.approx(accuracy)
    assert scorer.features(images[:7]).shape == (7, FEATURE_DIM)


def test_the_classifier_never_saw_the_floors_images(scorer):
    (train_images, _), (floor_images, _) = floor_split("mnist")
    assert len(floor_images) == 5000 and scorer.info["num_train_images"] == len(train_images)
    seen = {image.tobytes() for image in train_images}
    assert sum(image.tobytes() in seen for image in floor_images) <= 5  # MNIST repeats a few


def test_a_cached_classifier_loads_without_retraining(scorer, monkeypatch):
    monkeypatch.setattr(classifier, "train_classifier", lambda *a, **k: pytest.fail("retrained"))
    cached = classifier.load_classifier("mnist")
    images = sources.load_dataset("mnist", "test")[0][:300]
    np.testing.assert_array_equal(cached.predict(images), scorer.predict(images))
    assert cached.info == scorer.info


@pytest.mark.parametrize("key", sorted(classifier.RECIPES["mnist"]))
def test_any_other_number_of_the_recipe_means_another_cache(key):
    images, labels = np.zeros((4, 28, 28), np.uint8), np.arange(4)
    recipe = classifier.RECIPES["mnist"]
    changed = dict(recipe, **{key: recipe[key] * 2 if key != "dropout" else 0.5})
    base = classifier._fingerprint(images, labels, recipe)
    assert base != classifier._fingerprint(images, labels, changed)
    assert base != classifier._fingerprint(images + 1, labels, recipe)
    assert base == classifier._fingerprint(images, labels, dict(recipe))


def test_the_recipe_holds_every_number_training_reads(monkeypatch):
    """Training reads the recipe and nothing else: a recipe missing a key cannot train."""
    images, labels = np.zeros((256, 28, 28), np.uint8), np.arange(256) % 10
    read = set()

    class Recording(dict):
        def __getitem__(self, key):
            read.add(key)
            return super().__getitem__(key)
    classifier.train_classifier(images, labels, recipe=Recording(classifier.RECIPES["mnist"],
                                                                 epochs=1), ctx=mx.cpu())
    assert read == set(classifier.RECIPES["mnist"])


@pytest.mark.parametrize("shape", [(5, 28, 28), (5, 1, 28, 28), (5, 3, 64, 64), (5, 1, 64, 64)])
def test_the_input_accepts_every_generators_layout(shape):
    assert to_classifier_input(np.zeros(shape, np.float32)).shape == (5, 1, 28, 28)


@pytest.mark.parametrize("images, message", [
    (np.zeros((5, 2, 28, 28), np.float32), r"must have shape .* got \(5, 2, 28, 28\)"),
    (np.zeros((5, 1, 28, 32), np.float32), r"H = W and N > 0, got \(5, 1, 28, 32\)"),
    (np.full((5, 28, 28), 255.0, np.float32), r"must be finite and lie in \[-1, 1\], got .*255"),
    (np.full((5, 28, 28), np.nan, np.float32), r"must be finite and lie in \[-1, 1\], got .*nan"),
    (np.zeros((5, 28, 28), np.int32), "must be uint8 or float, got int32")])
def test_the_input_refuses_a_wrong_shape_type_or_range(images, message):
    with pytest.raises(ValueError, match=message):
        to_classifier_input(images)


def test_a_training_set_too_small_for_the_floor_and_the_classifier_is_refused(tmp_path):
    write_split(tmp_path / "mnist", *fake_split(3999))
    with pytest.raises(DatasetError, match="mnist has 3999 training images; scoring sets 1000 "
                       "aside for the real-data floor .* needs at least 4000"):
        floor_split("mnist", tmp_path)
    write_split(tmp_path / "mnist", *fake_split(4000))
    (_, _), (floor_images, _) = floor_split("mnist", tmp_path)
    assert len(floor_images) == 1000
