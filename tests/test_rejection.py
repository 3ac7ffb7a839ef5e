"""Discriminator rejection: the acceptance rule calibrated on D's logits keeps the asked share of
samples, more of those D rates higher."""
from mxgan.training import rejection

import numpy as np
import pytest


def _synthetic_logits(seed, count=4000):
    """Logits of reals and fakes as a D that separates them moderately would give."""
    rng = np.random.RandomState(seed)
    return rng.normal(1.0, 1.0, count), rng.normal(-1.0, 1.0, count)


def test_the_acceptance_probability_rises_with_the_logit_to_certainty():
    real, fake = _synthetic_logits(0)
    rule = rejection.AcceptanceRule.calibrate(real, fake, 0.5)
    logits = np.linspace(-6, 6, 200)
    probability = rule.probability(logits)
    below_max = logits < rule.max_logit / rule.scale
    assert np.all(np.diff(probability) >= 0) and np.all(np.diff(probability[below_max]) > 0)
    assert probability[0] < 0.01 and probability[-1] > 0.99


@pytest.mark.parametrize("rate", [0.8, 0.6, 0.4, 0.1])
def test_the_rule_accepts_the_asked_fraction_of_new_samples(rate):
    real, fake = _synthetic_logits(0)
    rule = rejection.AcceptanceRule.calibrate(real, fake, rate)
    _, new_fakes = _synthetic_logits(1)
    assert abs(rule.probability(new_fakes).mean() - rate) < 0.02


def test_the_logit_calibration_recovers_a_logistic_models_scale_and_bias():
    rng = np.random.RandomState(0)
    logits = rng.normal(0, 2, 20000)
    is_real = rng.uniform(size=logits.size) < 1 / (1 + np.exp(-(0.5 * logits - 0.3)))
    scale, bias = rejection.fit_logit_scale(logits[is_real], logits[~is_real])
    assert abs(scale - 0.5) < 0.05 and abs(bias + 0.3) < 0.05
