"""The executor-level conditional GAN: shared-array executor, gradients, updates, sampling."""
from mxgan.nets import symbols
from mxgan.nets.conditions import encode_digits
from mxgan.training import checkpoint, generate
from mxgan.training.cgan import ExecutorGAN

import mxnet as mx
import numpy as np
import pytest

from gradcheck import assert_matches_finite_differences, float64_d_loss

BATCH = 8


def make_trainer(condition="onehot", seed=0, levers=None):
    mx.random.seed(seed)
    generator, discriminator = symbols.get_network(
        "cgan28", condition=condition, nz=6, ngf=(16, 8, 8), ndf=(4, 4, 8), **(levers or {}))
    return ExecutorGAN(generator, discriminator, batch_size=BATCH, nz=6, condition=condition,
                       context=mx.cpu())


def make_classifying_trainer(ac_weight, condition="onehot"):
    """cdcgan28 with the projection and the auxiliary digit classifier."""
    mx.random.seed(0)
    generator, discriminator = symbols.get_network(
        "cdcgan28", condition=condition, nz=6, ngf=4, ndf=4, projection=True, classifier=True)
    return ExecutorGAN(generator, discriminator, batch_size=BATCH, nz=6, condition=condition,
                       context=mx.cpu(), ac_weight=ac_weight)


def test_g_gets_the_classifiers_cross_entropy_at_its_weight_in_its_gradient():
    # A weight at which the classifier's term outweighs the logistic one: at 0.7 the two nearly
    # cancel along these directions, which leaves float32's rounding (0.2%) a larger share.
    trainer = make_classifying_trainer(ac_weight=2.0)
    rng = np.random.RandomState(1)
    images = np.tanh(rng.normal(size=(BATCH, 1, 28, 28)))
    digits = rng.randint(0, 10, BATCH)
    cond = encode_digits(digits, "onehot")
    device = trainer.devices[0]
    device.g_backward_through_d(mx.nd.array(images), mx.nd.array(cond))
    handed = device.d_input.grad_dict["data"].asnumpy()
    params = {name: device.d.arg_dict[name] for name in trainer._names["discriminator"]}
    loss = float64_d_loss(trainer.symbols["discriminator"], params, 1, data=images, cond=cond,
                          label=np.ones(BATCH), digit=digits, digit_weight=np.full(BATCH, 2.0))
    assert_matches_finite_differences(handed, loss, images, eps=1e-5)


def test_the_classifier_learns_the_digits_of_real_images_only(real_u8):
    trainer = make_classifying_trainer(ac_weight=0.7)
    device = trainer.devices[0]
    grad = device.d.grad_dict["d_class_weight"]
    data, cond = _batch(real_u8, "onehot")
    fakes, asked = trainer._generate_fakes()
    grad[:] = 0
    device.d_forward_backward(fakes[0], asked[0], label=0)
    assert not grad.asnumpy().any()
    device.d_forward_backward_real(data, cond, label=1)
    assert grad.asnumpy().any()
    np.testing.assert_array_equal(device.d.arg_dict["digit"].asnumpy(), np.arange(BATCH) % 10)


def _batch(real_u8, condition):
    digits = np.arange(BATCH) % 10
    return (mx.nd.array(real_u8[:BATCH], dtype=np.uint8),
            mx.nd.array(encode_digits(digits, condition)))


@pytest.mark.parametrize("levers", [{}, dict(minibatch_std=True), dict(spectral_norm=True)],
                         ids=["plain", "minibatch_std", "spectral_norm"])
def test_input_gradient_executor_matches_finite_differences(levers, condition="onehot"):
    # One-hot only: mx.sym.Embedding emits float32 whatever its input, so the embedding graph
    # cannot be bound in float64; the input-gradient executor is the same code for both. Steps
    # of 1e-5: at 1e-4 a few pixels switch a max pool's winner (0.2-0.8% off; at 1e-5, under
    # 0.001%).
    trainer = make_trainer(condition, levers=levers)
    rng = np.random.RandomState(1)
    images = np.tanh(rng.normal(size=(BATCH, 1, 28, 28)))
    cond = encode_digits(rng.randint(0, 10, BATCH), condition)
    device = trainer.devices[0]
    device.generate(*trainer.noise.next().data)  # G's forward, which its backward follows
    device.g_backward_through_d(mx.nd.array(images), mx.nd.array(cond))
    handed = device.d_input.grad_dict["data"].asnumpy()
    params = {name: device.d.arg_dict[name] for name in trainer._names["discriminator"]}
    loss = float64_d_loss(trainer.symbols["discriminator"], params, 1, data=images, cond=cond,
                          label=np.ones(BATCH))
    assert_matches_finite_differences(handed, loss, images, eps=1e-5)


def test_input_gradient_executor_sees_the_same_network_as_d():
    """It shares D's arrays and runs BatchNorm on batch statistics, exactly like D's executor."""
    trainer = make_trainer()
    images = mx.nd.array(np.tanh(np.random.RandomState(2).normal(size=(BATCH, 1, 28, 28))))
    cond = mx.nd.array(encode_digits(np.arange(BATCH) % 10, "onehot"))
    device = trainer.devices[0]
    via_d = device.d_forward_backward(images, cond, label=1)
    device.generate(*trainer.noise.next().data)
    via_input = device.g_backward_through_d(images, cond)
    np.testing.assert_array_equal(via_d.asnumpy(), via_input.asnumpy())


def test_one_step_moves_every_trainable_weight(real_u8):
    trainer = make_trainer()
    executors = trainer.devices[0].executors
    before = {(executors[net], n): executors[net].arg_dict[n].asnumpy().copy()
              for net, names in trainer._names.items() for n in names
              if n.endswith(("weight", "bias"))}
    metrics = trainer.step(*_batch(real_u8, "onehot")).asnumpy()
    assert np.all(np.isfinite(metrics))
    for (executor, name), value in before.items():
        assert not np.array_equal(executor.arg_dict[name].asnumpy(), value), name


def test_the_fixed_noise_grid_draws_digit_d_in_row_d_from_the_same_ten_noise_codes():
    trainer = make_trainer()
    images, columns = trainer.fixed_noise_grid()
    assert images.shape == (100, 1, 28, 28) and columns == 10
    assert images.min() >= -1 and images.max() <= 1
    noise = trainer._grid_noise.reshape(10, 10, -1)
    for row in noise[1:]:
        np.testing.assert_array_equal(row, noise[0])  # column c: one code in every row
    assert len({tuple(code) for code in noise[0]}) == 10
    digits = trainer._grid_cond.reshape(10, 10, -1).argmax(axis=2)
    np.testing.assert_array_equal(digits, np.repeat(np.arange(10)[:, None], 10, axis=1))
    rows = images.reshape(10, 10, -1)
    assert not np.allclose(rows[0], rows[1])  # the digit changes the picture


@pytest.mark.parametrize("condition", ["onehot", "embedding"])
def test_a_restored_trainer_draws_the_same_grid_and_a_run_samples_repeatably(
        tmp_path, real_u8, condition):
    trainer = make_trainer(condition)
    trainer.step(*_batch(real_u8, condition))
    config = {"model": "cgan", "condition": condition, "nz": 6, "batch_size": BATCH,
              "dataset": "mnist", "seed": 0}
    ckpt = checkpoint.save(tmp_path, 1, trainer.checkpoint_states(), {"config": config})
    restored = make_trainer(condition, seed=5)
    restored.restore(ckpt)
    np.testing.assert_array_equal(restored.fixed_noise_grid()[0], trainer.fixed_noise_grid()[0])
    images, digits, dataset = generate.sample_run(tmp_path, 25, seed=3)
    assert images.shape == (25, 1, 28, 28) and images.dtype == np.float32
    assert np.abs(images).max() <= 1 and dataset == "mnist"
    np.testing.assert_array_equal(digits, np.arange(25) % 10)
    again, _, _ = generate.sample_run(tmp_path, 25, seed=3)
    np.testing.assert_array_equal(images, again)
