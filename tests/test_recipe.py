"""A run's recipe: each network's Adam, learning-rate schedule and warm-up, the top-k share,
and settings that contradict each other refused naming their flags."""
from mxgan.training.recipe import Recipe, RecipeError
from mxgan.training.trainer import NETS

import mxnet as mx
import pytest


def test_adam_averages_the_summed_gradient_over_the_batch_and_d_may_learn_at_its_own_rate():
    recipe = Recipe(lr=1e-3, lr_d=4e-3, beta1=0.5)
    optimizer = recipe.optimizer("generator", 64)
    assert (optimizer.lr, optimizer.beta1, optimizer.rescale_grad) == (1e-3, 0.5, 1 / 64)
    assert recipe.optimizer("discriminator", 64).lr == 4e-3


def test_a_linear_decay_reaches_zero_at_the_last_step():
    optimizer = Recipe(lr=1e-3, decay_steps=100).optimizer("generator", 8)
    rates = [optimizer.lr_scheduler(step) for step in (0, 50, 100)]
    assert rates == pytest.approx([1e-3, 5e-4, 0.0])


def _rates(recipe, net, steps):
    """The learning rate network ``net``'s real optimiser updates with at each of ``steps``
    updates."""
    optimizer = recipe.optimizer(net, 8)
    updater, weight, grad = mx.optimizer.get_updater(optimizer), mx.nd.zeros(1), mx.nd.ones(1)
    rates = []
    for _ in range(steps):
        updater(0, grad, weight)
        rates.append(optimizer.learning_rate)
    return rates


@pytest.mark.parametrize("decay_steps, after_warmup", [(None, 1.0), (40, 1 - 1 / 30)],
                         ids=["constant", "linear decay"])
def test_a_warm_up_rises_linearly_to_the_rate_then_the_schedule_goes_on(decay_steps,
                                                                        after_warmup):
    recipe = Recipe(lr=1e-3, lr_d=2e-3, lr_warmup=10, decay_steps=decay_steps)
    for net in NETS:
        lr, rates = recipe.base_lr(net), _rates(recipe, net, 11)
        assert [rates[step - 1] for step in (1, 5, 10, 11)] == pytest.approx(
            [lr / 10, lr / 2, lr, lr * after_warmup])
        assert [recipe.learning_rate(net, step) for step in range(1, 12)] == pytest.approx(rates)


def test_settings_that_contradict_each_other_are_refused_naming_their_flags():
    with pytest.raises(RecipeError, match="--lr-warmup 40 leaves none of the run's 40 steps"):
        Recipe(lr_warmup=40, decay_steps=40)
    with pytest.raises(RecipeError, match="--ema-start 5 starts G's weight average, which "
                                          "--ema-decay 0 turns off"):
        Recipe(ema_start=5)
    Recipe(lr_warmup=39, decay_steps=40, ema_start=5, ema_decay=0.9)


def test_the_logged_learning_rates_are_those_the_optimiser_steps_with():
    recipe = Recipe(lr=1e-3, lr_d=3e-3, decay_steps=40)
    for net in NETS:
        schedule = recipe.optimizer(net, 8).lr_scheduler
        for step in (1, 20, 40):  # the scheduler sees num_update = step at step ``step``
            assert recipe.learning_rate(net, step) == pytest.approx(schedule(step))
    assert Recipe(lr=1e-3).learning_rate("discriminator", 7) == 1e-3


def test_the_top_k_share_falls_geometrically_to_its_final_value_then_stays():
    recipe = Recipe(top_k_final=0.25, top_k_steps=100)
    shares = [recipe.top_k_fraction(step) for step in (0, 50, 100, 101, 10 ** 6)]
    assert shares == pytest.approx([1.0, 0.5, 0.25, 0.25, 0.25])
    assert Recipe().top_k_fraction(5) == 1.0  # off
