"""mxgan.training.trainer: the Trainer interface both GANs implement, G's weight average, and the
step metrics (the optimiser's settings: tests/test_recipe.py)."""
from mxgan.training.recipe import Recipe
from mxgan.training.trainer import (
    AVERAGE,
    METRICS,
    NETS,
    Trainer,
    WeightAverage,
    cross_entropy,
    step_metrics,
)

import mxnet as mx
import numpy as np
import pytest

import tiny


def test_a_trainer_must_give_every_part_of_the_interface():
    class Half(Trainer):
        def _generate_fakes(self):
            return None
    with pytest.raises(TypeError, match="abstract"):
        Half()


@pytest.mark.parametrize("model", ["dcgan", "cgan"])
def test_both_trainers_give_what_the_loop_and_checkpoints_use(model, real_u8):
    trainer = tiny.TRAINERS[model]()
    assert trainer.step(**tiny.batch(model, real_u8)).shape == (len(METRICS),)
    images, _ = trainer.fixed_noise_grid()
    assert images.ndim == 4 and images.shape[1:] == (1, 28, 28)
    assert trainer.batch_size == trainer.worker_batch == tiny.BATCH and trainer.device_ids == [0]
    nets = trainer.checkpoint_states()
    assert sorted(nets) == sorted(NETS)
    for net, state in nets.items():
        assert state.symbol is trainer.symbols[net] and state.updater is trainer.updater(net)
        assert set(state.arg_params) == set(trainer.get_params(net)[0])


def _unit(vector):
    return vector / np.linalg.norm(vector)


@pytest.mark.parametrize("model", ["dcgan", "cgan"])
def test_each_d_update_takes_one_power_iteration_on_every_device_and_no_optimiser_step(
        model, real_u8):
    trainer = tiny.TRAINERS[model](context=[mx.cpu(0), mx.cpu(1)],
                                   levers=dict(spectral_norm=True))
    pairs = trainer._d_power.pairs
    assert len(pairs) == 2 * 4  # D's 4 weighted layers, on 2 devices
    before = [u.asnumpy() for _, u in pairs]
    trainer.step(**tiny.batch(model, real_u8))
    for (weight, u), previous in zip(pairs, before):  # the weight as updated
        matrix = weight.asnumpy().reshape(len(previous), -1)
        expected = _unit(matrix @ _unit(matrix.T @ previous))
        np.testing.assert_allclose(u.asnumpy(), expected, rtol=1e-4, atol=1e-6)
    learned = [name for name, _, _ in trainer.param_arrays("discriminator")]
    assert len(learned) == (5 if model == "cgan" else 4)  # weights (and the cgan's fc bias) only
    assert len(trainer.updater("discriminator").states) == 2 * len(learned)


def test_the_weight_average_follows_the_weights_with_a_ramped_decay():
    weight = mx.nd.zeros(3)
    average = WeightAverage(["w"], [weight], decay=0.9)
    weight[:] = 10
    average.update(1)  # t = 1: keep min(0.9, 2 / 11)
    np.testing.assert_allclose(average.average[0].asnumpy(), 10 * (1 - 2 / 11), rtol=1e-6)
    for step in range(2, 202):
        average.update(step)
    np.testing.assert_allclose(average.average[0].asnumpy(), 10, rtol=1e-5)
    assert average.params_on_cpu()["w"].context == mx.cpu()


def test_the_weight_average_copies_the_weights_until_its_start_then_ramps_from_there():
    weight = mx.nd.zeros(3)
    average = WeightAverage(["w"], [weight], decay=0.9, start=3)
    for step in (1, 2, 3):
        weight[:] = 0.1 * step + 1e-7  # a copy, bit for bit: no (1 - keep) arithmetic
        average.update(step)
        np.testing.assert_array_equal(average.average[0].asnumpy(), weight.asnumpy())
    weight[:] = 10
    average.update(4)  # the ramp counts from the first step: keep min(0.9, 5 / 14)
    keep = 5 / 14
    np.testing.assert_allclose(average.average[0].asnumpy(),
                               keep * (0.3 + 1e-7) + (1 - keep) * 10, rtol=1e-6)


def _snapshot(trainer):
    """G's, D's and G's average's parameters as numpy arrays, by network and name."""
    params = {net: trainer.get_params(net)[0] for net in NETS}
    params[AVERAGE] = trainer.average.params_on_cpu()
    return {net: {name: array.asnumpy() for name, array in arrays.items()}
            for net, arrays in params.items()}


def _differ(one, other):
    return any(not np.array_equal(one[name], other[name]) for name in one)


@pytest.mark.parametrize("model", ["dcgan", "cgan"])
def test_with_d_steps_2_g_and_its_average_train_on_every_second_step_d_on_every_one(
        model, real_u8):
    trainer = tiny.TRAINERS[model](recipe=Recipe(lr=1e-3, lr_warmup=8, d_steps=2, ema_decay=0.9))
    for step in range(1, 5):
        before = _snapshot(trainer)
        metrics = trainer.step(**tiny.batch(model, real_u8)).asnumpy()
        after = _snapshot(trainer)
        assert np.isfinite(metrics).all() and metrics[METRICS.index("finite")] == 1
        changed = {net: _differ(before[net], after[net]) for net in after}
        assert changed == {"discriminator": True, "generator": step % 2 == 0,
                           AVERAGE: step % 2 == 0}, step
    optimizers = {net: trainer.updater(net).optimizer for net in NETS}
    assert (optimizers["generator"].num_update, optimizers["discriminator"].num_update) == (2, 4)
    for optimizer in optimizers.values():  # G's second update is step 4: both at 4 / 8 of lr
        assert optimizer.learning_rate == pytest.approx(5e-4)


def test_the_average_is_g_itself_until_ema_start_and_an_average_after_it(real_u8):
    trainer = tiny.dcgan(recipe=Recipe(lr=1e-3, ema_decay=0.9, ema_start=2))
    for step in (1, 2, 3):
        trainer.step(**tiny.batch("dcgan", real_u8))
        params = _snapshot(trainer)
        assert _differ(params["generator"], params[AVERAGE]) == (step > 2), step


def test_cross_entropy_is_the_logistic_loss_of_a_constant_target():
    prob = mx.nd.array([[0.9], [0.2]])
    expected = -np.mean([0.9 * np.log(0.9) + 0.1 * np.log(0.1),
                         0.9 * np.log(0.2) + 0.1 * np.log(0.8)])
    assert cross_entropy(prob, 0.9).asscalar() == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("prob, target, loss", [(1.0, 1, 0.0), (0.0, 0, 0.0), (1.0, 0, 15.9),
                                                (0.0, 1, 16.1)])
def test_a_saturated_d_gives_a_finite_loss(prob, target, loss):
    # float32 rounds 1 - 1e-12 to 1: with that margin a D output of exactly 1 against target 1
    # gave 0 * log(0) = NaN (the G loss logged as NaN at step 41 of a --lr 0.05 run)
    got = cross_entropy(mx.nd.array([[prob]]), target).asscalar()
    assert got == pytest.approx(loss, abs=0.1)


def test_step_metrics_are_the_cross_entropies_each_network_descends():
    prob_real, prob_fake, prob_gen = (np.array([[0.8], [0.6]]), np.array([[0.3], [0.1]]),
                                      np.array([[0.4], [0.5]]))
    got = step_metrics(*map(mx.nd.array, (prob_real, prob_fake, prob_gen)), mx.nd.ones(1),
                       real_label=0.9).asnumpy()

    def bce(p, y):
        return -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean()
    expected = [bce(prob_real, 0.9), bce(prob_fake, 0), bce(prob_gen, 1), 0.7, 0.2, 1]
    np.testing.assert_allclose(got, expected, rtol=1e-5)


@pytest.mark.parametrize("model", ["dcgan", "cgan"])
@pytest.mark.parametrize("net, kind", [("generator", 1), ("discriminator", 2)],
                         ids=["G weight", "D gradient"])
def test_all_finite_sees_one_nan_in_any_parameter_or_gradient(model, net, kind, real_u8):
    trainer = tiny.TRAINERS[model]()
    trainer.step(**tiny.batch(model, real_u8))
    assert trainer.all_finite().asscalar() == 1
    array = trainer.param_arrays(net)[-1][kind]
    values = array.asnumpy()
    values.flat[-1] = np.nan
    array[:] = values
    assert trainer.all_finite().asscalar() == 0


@pytest.mark.parametrize("model", ["dcgan", "cgan"])
def test_the_levers_reach_every_image_d_sees_and_the_gradient_g_receives(
        model, real_u8, monkeypatch):
    """DiffAugment draws for the fakes and reals of D's step and the fakes of G's; top-k gets D's
    verdict on G's (augmented) fakes and the share of the step; G's out-grad is what comes back."""
    from mxgan.training import levers
    drawn, handed = [], []
    draw, generator_gradient = levers.DiffAugment.__call__, levers.generator_gradient

    def spy_draw(self, images):
        drawn.append(images.shape)
        return draw(self, images)

    def spy_gradient(grad, prob, **kwargs):
        handed.append((prob.asnumpy(), kwargs["fraction"], kwargs["transform"]))
        return generator_gradient(grad, prob, **kwargs)
    monkeypatch.setattr(levers.DiffAugment, "__call__", spy_draw)
    monkeypatch.setattr("mxgan.training.%s.generator_gradient" % model, spy_gradient)
    recipe = Recipe(lr=1e-3, top_k_final=0.25, top_k_steps=2, diffaugment="translation,cutout")
    trainer = tiny.TRAINERS[model](recipe=recipe)
    for _ in range(2):
        trainer.step(**tiny.batch(model, real_u8))
    assert drawn == [(tiny.BATCH, 1, 28, 28)] * 6
    assert [fraction for _, fraction, _ in handed] == [0.5, 0.25]
    assert all(prob.shape == (tiny.BATCH, 1) and isinstance(transform, levers.Transform)
               for prob, _, transform in handed)
