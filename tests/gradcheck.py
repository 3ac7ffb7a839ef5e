"""Finite-difference checks of the gradient a discriminator hands to its generator."""
import mxnet as mx
import numpy as np
import pytest


def float64_d_loss(discriminator, arg_params, target, **fixed_inputs):
    """``loss(images)``: summed BCE of D against ``target`` (0 or 1), plus the summed weighted
    cross-entropy of its digit classifier where it has one, train-mode BatchNorm, float64.

    ``fixed_inputs`` give every input's value (``data`` only fixes its shape)."""
    shapes = {name: value.shape for name, value in fixed_inputs.items()}
    executor = discriminator.simple_bind(mx.cpu(), grad_req="null",
                                         type_dict=dict.fromkeys(shapes, np.float64),
                                         **shapes)
    for name, value in dict(arg_params, **fixed_inputs).items():
        executor.arg_dict[name][:] = np.asarray(value.asnumpy() if hasattr(value, "asnumpy")
                                                else value, np.float64)
    executor.arg_dict["label"][:] = target

    def loss(images):
        executor.arg_dict["data"][:] = images
        outputs = executor.forward(is_train=True)
        prob = outputs[0].asnumpy()[:, 0]
        classifier = sum(np.sum(out.asnumpy()) for out in outputs[1:])
        return -np.sum(np.log(prob if target == 1 else 1 - prob)) + classifier
    return loss


def assert_matches_finite_differences(gradient, loss, images, *, seed=0, directions=3,
                                      eps=1e-4):
    """Compare ``gradient`` with central differences of ``loss`` along random directions.

    Each direction covers every pixel at once. The float64 graph still carries ~1e-9 of
    rounding in the loss (some CPU kernels accumulate in float32), so eps is 1e-4 and the
    tolerance 0.5%; a wrong gradient (e.g. without BatchNorm's coupling across the batch, or
    for the wrong label) is off by tens of percent. A net whose activations sit near the kinks
    of LeakyReLU or max pooling needs a smaller eps: steps of 1e-4 cross them (a spectrally
    normalised D, without BatchNorm: up to 2% off at 1e-4, under 0.1% at 1e-5).
    """
    rng = np.random.RandomState(seed)
    for _ in range(directions):
        direction = rng.normal(size=images.shape)
        numeric = (loss(images + eps * direction) - loss(images - eps * direction)) / (2 * eps)
        assert np.sum(gradient * direction) == pytest.approx(numeric, rel=5e-3)
