"""mxgan.quality.classifier: the scorer's feature network, its training data and its cache."""
import numpy as np
import pytest

from mxgan.data import sources
from mxgan.quality import classifier
from mxgan.quality.classifier import FEATURE_DIM, floor_split, to_classifier_input


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


def test_another_recipe_means_another_fingerprint():
    images, labels = np.zeros((4, 28, 28), np.uint8), np.arange(4)
    base = classifier._fingerprint(images, labels, dict(width=16, epochs=2))
    assert base != classifier._fingerprint(images, labels, dict(width=16, epochs=3))
    assert base != classifier._fingerprint(images + 1, labels, dict(width=16, epochs=2))


@pytest.mark.parametrize("shape", [(5, 28, 28), (5, 1, 28, 28), (5, 3, 64, 64), (5, 1, 64, 64)])
def test_the_input_accepts_every_generators_layout(shape):
    assert to_classifier_input(np.zeros(shape, np.float32)).shape == (5, 1, 28, 28)


@pytest.mark.parametrize("images", [np.zeros((5, 2, 28, 28), np.float32),
                                    np.full((5, 28, 28), 255.0, np.float32),
                                    np.full((5, 28, 28), np.nan, np.float32)])
def test_the_input_refuses_a_wrong_shape_or_range(images):
    with pytest.raises(ValueError):
        to_classifier_input(images)
