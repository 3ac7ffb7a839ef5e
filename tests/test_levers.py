"""mxgan.training.levers: DiffAugment's transformations and their transposes, and top-k."""
from mxgan.training.levers import (
    AugmentationError,
    Cutout,
    DiffAugment,
    Translation,
    generator_gradient,
    keep_top_k,
    parse_policy,
    top_k_count,
)

import mxnet as mx
import numpy as np
import pytest

SHAPE = (6, 2, 28, 28)


def _images(seed=0, shape=SHAPE):
    return mx.nd.array(np.random.RandomState(seed).uniform(-1, 1, size=shape))


def test_a_policy_is_canonical_and_an_unknown_name_is_refused():
    assert parse_policy("cutout, translation,cutout") == "translation,cutout"
    assert parse_policy("") == "" and DiffAugment.of("", SHAPE[1:]) is None
    with pytest.raises(AugmentationError, match="translation and cutout, got color"):
        parse_policy("translation,color")


def test_a_translation_moves_each_image_by_its_own_offset_within_an_eighth_filling_zeros():
    mx.random.seed(1)
    images = _images()
    shift = Translation.draw(images, 3)
    moved, original = shift.apply(images).asnumpy(), images.asnumpy()
    offsets = set()
    for b in range(len(original)):
        dy, dx = (int(np.argmax(m[14])) for m in (shift.sy.asnumpy()[b], shift.sx.asnumpy()[b]))
        dy, dx = 14 - dy, 14 - dx
        expected = np.zeros_like(original[b])
        rows, cols = slice(max(dy, 0), 28 + min(dy, 0)), slice(max(dx, 0), 28 + min(dx, 0))
        rows_from = slice(max(-dy, 0), 28 + min(-dy, 0))
        cols_from = slice(max(-dx, 0), 28 + min(-dx, 0))
        expected[:, rows, cols] = original[b][:, rows_from, cols_from]
        np.testing.assert_array_equal(moved[b], expected)
        offsets.add((dy, dx))
    assert len(offsets) > 1 and all(abs(d) <= 3 for pair in offsets for d in pair)


def test_a_cutout_zeroes_one_square_of_half_the_side_clipped_at_the_border():
    mx.random.seed(2)
    images = _images()
    cut = Cutout.draw(images, 14)
    out = cut.apply(images).asnumpy()
    for b, mask in enumerate(cut.mask.asnumpy()[:, 0]):
        rows, cols = np.nonzero(mask == 0)
        assert rows.max() - rows.min() + 1 <= 14 and cols.max() - cols.min() + 1 <= 14
        assert (mask == 0).sum() == (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
        assert not out[b][:, mask == 0].any()
        np.testing.assert_array_equal(out[b][:, mask == 1], images.asnumpy()[b][:, mask == 1])


@pytest.mark.parametrize("policy", ["translation", "cutout", "translation,cutout"])
def test_the_transpose_is_the_augmentations_gradient(policy):
    """<A x, w> = <x, A^T w> exactly (0/1 operators), and finite differences of
    loss(x) = sum(w * A x) along random directions give <A^T w, direction>."""
    mx.random.seed(3)
    augment = DiffAugment(policy, SHAPE[1:])
    images, weights = _images(0), _images(1)
    augmented, transform = augment(images)
    grad = transform.transpose(weights).asnumpy()
    assert np.sum(augmented.asnumpy() * weights.asnumpy()) == pytest.approx(
        np.sum(images.asnumpy() * grad), rel=1e-6)
    operator = transform.drawn

    def loss(x):
        out = mx.nd.array(x)
        for step in operator:
            out = step.apply(out)
        return float(np.sum(out.asnumpy().astype(np.float64) * weights.asnumpy()))
    rng = np.random.RandomState(4)
    for _ in range(3):
        direction = rng.normal(size=SHAPE)
        eps = 1e-2
        numeric = (loss(images.asnumpy() + eps * direction)
                   - loss(images.asnumpy() - eps * direction)) / (2 * eps)
        assert np.sum(grad * direction) == pytest.approx(numeric, rel=1e-3)


def test_each_call_draws_new_transformations_from_mxnets_seed():
    augment = DiffAugment("translation,cutout", SHAPE[1:])
    images = _images()
    mx.random.seed(5)
    first, again = augment(images)[0].asnumpy(), augment(images)[0].asnumpy()
    mx.random.seed(5)
    np.testing.assert_array_equal(augment(images)[0].asnumpy(), first)
    assert not np.array_equal(first, again)


def test_top_k_keeps_the_rows_d_scores_most_real_scaled_to_their_mean():
    grad = mx.nd.ones((4, 1, 2, 2))
    prob = mx.nd.array([[0.2], [0.9], [0.1], [0.6]])
    kept = keep_top_k(grad, prob, 0.5).asnumpy()
    np.testing.assert_array_equal(kept[:, 0, 0, 0], [0, 2, 0, 2])  # B / k = 2
    assert keep_top_k(grad, prob, 1.0) is grad
    assert [top_k_count(f, 64) for f in (1.0, 0.5, 0.01)] == [64, 32, 1]


def test_g_gradient_is_masked_on_the_augmented_images_then_mapped_back():
    mx.random.seed(6)
    images, grad = _images(0), _images(1)
    prob = mx.nd.array(np.arange(SHAPE[0])[:, None] / 10.0)
    _, transform = DiffAugment("translation,cutout", SHAPE[1:])(images)
    found = generator_gradient(grad, prob, fraction=0.5, transform=transform).asnumpy()
    expected = transform.transpose(keep_top_k(grad, prob, 0.5)).asnumpy()
    np.testing.assert_array_equal(found, expected)
    assert not found[:3].any() and found[3:].any()  # the three D scores lowest give nothing
