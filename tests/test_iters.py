"""Noise and image iterators: shapes, statistics, in-place reuse and seeded order."""
from mxgan.data.iters import (
    ConditionalRandIter,
    RandIter,
    batch_by_name,
    fill_unit_range,
    image_iter,
)
from mxgan.nets.conditions import encode_digits

import mxnet as mx
import numpy as np


def test_rand_iter_feeds_a_module_bound_through_its_provide_data():
    noise = RandIter(8, 5)
    module = mx.mod.Module(mx.sym.FullyConnected(mx.sym.Variable("rand"), num_hidden=2),
                           data_names=("rand",), label_names=None)
    module.bind(data_shapes=noise.provide_data, for_training=False)
    module.init_params()
    module.forward(noise.next(), is_train=False)
    assert module.get_outputs()[0].shape == (8, 2)
    assert [batch.data[0].shape for batch, _ in zip(noise, range(3))] == [(8, 5, 1, 1)] * 3


def test_rand_iter_draws_standard_normal_noise():
    noise = RandIter(64, 100)
    assert noise.provide_data[0].name == "rand"
    assert noise.provide_data[0].shape == (64, 100, 1, 1)
    draws = np.stack([next(iter(noise)).data[0].asnumpy().copy() for _ in range(50)])
    assert draws.shape == (50, 64, 100, 1, 1)
    assert abs(draws.mean()) < 0.01 and abs(draws.std() - 1) < 0.01
    assert not np.allclose(draws[0], draws[1])  # fresh noise each batch


def test_rand_iter_reuses_one_array():
    noise = RandIter(8, 4)
    first, second = noise.next().data[0], noise.next().data[0]
    assert first is second


def test_rand_iter_follows_mxnet_seed():
    mx.random.seed(7)
    a = RandIter(4, 3).next().data[0].asnumpy()
    mx.random.seed(7)
    b = RandIter(4, 3).next().data[0].asnumpy()
    np.testing.assert_array_equal(a, b)


def test_conditional_iter_gives_onehot_digits_matching_indices():
    noise = ConditionalRandIter(500, 10)
    assert [d.shape for d in noise.provide_data] == [(500, 10, 1, 1), (500, 10, 1, 1)]
    rand, onehot = noise.next().data
    digits = noise.digits.asnumpy()
    np.testing.assert_array_equal(onehot.asnumpy()[:, :, 0, 0].argmax(axis=1), digits)
    assert onehot.asnumpy().sum() == 500
    counts = np.bincount(digits.astype(int), minlength=10)
    assert counts.min() > 25  # uniform over 0-9: 50 expected per digit


def test_conditional_iter_with_an_embedding_gives_the_drawn_indices():
    noise = ConditionalRandIter(6, 5, condition="embedding")
    assert noise.provide_data[1].shape == (6,)
    batches = [noise.next().data[1].asnumpy().copy() for _ in range(3)]
    np.testing.assert_array_equal(batches[-1], noise.digits.asnumpy())
    assert all(set(batch) <= set(range(10)) for batch in batches)
    assert not all(np.array_equal(batches[0], batch) for batch in batches[1:])  # drawn anew


def _images(n):
    return (np.arange(n)[:, None, None, None] * np.ones((n, 1, 2, 2))).astype(np.uint8)


def _epoch_order(data_iter):
    return [int(v) for batch in data_iter for v in batch.data[0].asnumpy()[:, 0, 0, 0]]


def test_image_iter_drops_partial_batch_and_keeps_uint8():
    data = image_iter(_images(10), 3)
    assert data.batches_per_epoch == 3
    batches = list(data)
    assert len(batches) == 3
    assert batches[0].data[0].dtype == np.uint8


def test_image_iter_order_depends_only_on_seed_and_epoch():
    first, again = image_iter(_images(12), 4, seed=3), image_iter(_images(12), 4, seed=3)
    epoch0 = _epoch_order(first)
    assert epoch0 == _epoch_order(again)
    assert sorted(epoch0) == list(range(12)) and epoch0 != list(range(12))
    first.reset()
    epoch1 = _epoch_order(first)
    assert epoch1 != epoch0
    again.start_epoch(1)
    assert _epoch_order(again) == epoch1
    assert _epoch_order(image_iter(_images(12), 4, seed=4)) != epoch0


def test_image_iter_skip_lands_on_the_same_batch():
    data = image_iter(_images(12), 4, seed=1)
    order = _epoch_order(data)
    data.start_epoch(0, skip=2)
    assert _epoch_order(data) == order[8:]


def test_conditional_image_iter_keeps_labels_aligned():
    labels = np.arange(12) % 10
    data = image_iter(_images(12), 4, labels=labels, condition="onehot", seed=2)
    for batch in data:
        named = batch_by_name(data, batch)
        pixels = named["data"].asnumpy()[:, 0, 0, 0].astype(int)
        np.testing.assert_array_equal(named["cond"].asnumpy()[:, :, 0, 0].argmax(1), pixels % 10)


def test_encode_digits_onehot():
    onehot = encode_digits([3, 0], "onehot")
    assert onehot.shape == (2, 10, 1, 1) and onehot[0, 3, 0, 0] == 1 and onehot.sum() == 2


def test_to_unit_range_scales_and_tiles_channels():
    pixels = mx.nd.array([[[[0, 255], [127.5, 51]]]], dtype=np.uint8)
    out = fill_unit_range(pixels, mx.nd.zeros((1, 3, 2, 2)))
    np.testing.assert_allclose(out.asnumpy()[0, 2], [[-1, 1], [127 / 127.5 - 1, 51 / 127.5 - 1]],
                               rtol=1e-6)
    np.testing.assert_array_equal(out.asnumpy()[0, 0], out.asnumpy()[0, 2])
