"""mxgan.training.trainer: the Trainer interface both GANs implement, the optimiser, and the step
metrics."""
import mxnet as mx
import numpy as np
import pytest

import tiny
from mxgan.training.trainer import (METRICS, NETS, Recipe, Trainer, WeightAverage,
                                    cross_entropy, step_metrics)


def test_a_trainer_must_give_every_part_of_the_interface():
    class Half(Trainer):
        def step(self, **batch):
            return None
    with pytest.raises(TypeError, match="abstract"):
        Half()


@pytest.mark.parametrize("model", ["dcgan", "cgan"])
def test_both_trainers_give_what_the_loop_and_checkpoints_use(model, real_u8):
    trainer = tiny.TRAINERS[model]()
    assert trainer.step(**tiny.batch(model, real_u8)).shape == (len(METRICS),)
    images, _ = trainer.monitor()
    assert images.ndim == 4 and images.shape[1:] == (1, 28, 28)
    assert trainer.batch_size == trainer.worker_batch == tiny.BATCH and trainer.device_ids == [0]
    nets = trainer.nets()
    assert sorted(nets) == sorted(NETS)
    for net, state in nets.items():
        assert state.symbol is trainer.symbols[net] and state.updater is trainer.updater(net)
        assert set(state.arg_params) == set(trainer.get_params(net)[0])


def test_adam_averages_the_summed_gradient_over_the_batch_and_d_may_learn_at_its_own_rate():
    recipe = Recipe(lr=1e-3, lr_d=4e-3, beta1=0.5)
    optimizer = recipe.optimizer("generator", 64)
    assert (optimizer.lr, optimizer.beta1, optimizer.rescale_grad) == (1e-3, 0.5, 1 / 64)
    assert recipe.optimizer("discriminator", 64).lr == 4e-3


def test_a_linear_decay_reaches_zero_at_the_last_step():
    optimizer = Recipe(lr=1e-3, decay_steps=100).optimizer("generator", 8)
    rates = [optimizer.lr_scheduler(step) for step in (0, 50, 100)]
    assert rates == pytest.approx([1e-3, 5e-4, 0.0])


def test_the_weight_average_follows_the_weights_with_a_ramped_decay():
    weight = mx.nd.zeros(3)
    average = WeightAverage(["w"], [weight], decay=0.9)
    weight[:] = 10
    average.update()  # t = 1: keep min(0.9, 2 / 11)
    np.testing.assert_allclose(average.average[0].asnumpy(), 10 * (1 - 2 / 11), rtol=1e-6)
    for _ in range(200):
        average.update()
    np.testing.assert_allclose(average.average[0].asnumpy(), 10, rtol=1e-5)
    assert average.params_on_cpu()["w"].context == mx.cpu()


def test_cross_entropy_is_the_logistic_loss_of_a_constant_target():
    prob = mx.nd.array([[0.9], [0.2]])
    expected = -np.mean([0.9 * np.log(0.9) + 0.1 * np.log(0.1),
                         0.9 * np.log(0.2) + 0.1 * np.log(0.8)])
    assert cross_entropy(prob, 0.9).asscalar() == pytest.approx(expected, rel=1e-5)
    assert np.isfinite(cross_entropy(mx.nd.array([[0.0]]), 1).asscalar())


def test_step_metrics_are_the_cross_entropies_each_network_descends():
    prob_real, prob_fake, prob_gen = (np.array([[0.8], [0.6]]), np.array([[0.3], [0.1]]),
                                      np.array([[0.4], [0.5]]))
    got = step_metrics(*map(mx.nd.array, (prob_real, prob_fake, prob_gen)),
                             real_label=0.9).asnumpy()

    def bce(p, y):
        return -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean()
    expected = [bce(prob_real, 0.9), bce(prob_fake, 0), bce(prob_gen, 1), 0.7, 0.2]
    np.testing.assert_allclose(got, expected, rtol=1e-5)
