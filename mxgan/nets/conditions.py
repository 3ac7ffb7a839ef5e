"""How a conditional GAN is told which digit to draw: the ``cond`` input of its networks.

``"onehot"`` gives a (B, 10, 1, 1) one-hot column (MXNet's R CGAN tutorial); ``"embedding"``
gives the digit indices (B,), which a learned 10 x 10 table embeds (the PyTorch MLP CGAN
tutorial). Symbols, iterators, sampling and export all encode digits through this module.
"""
import numpy as np

from ..common.checks import check_choice

NUM_CLASSES = 10
CONDITIONS = ("onehot", "embedding")


def check_condition(condition):
    """Raise ValueError unless ``condition`` is one of `CONDITIONS`."""
    check_choice("condition", condition, CONDITIONS)


def condition_shape(batch_size, condition):
    """Shape of the ``cond`` input: a one-hot column (B, 10, 1, 1) or digit indices (B,)."""
    check_condition(condition)
    return (batch_size, NUM_CLASSES, 1, 1) if condition == "onehot" else (batch_size,)


def encode_digits(digits, condition):
    """Encode digit indices (numpy, any int dtype) as the ``cond`` input the symbols expect."""
    check_condition(condition)
    digits = np.asarray(digits)
    if condition == "embedding":
        return digits.astype(np.float32)
    onehot = np.zeros((len(digits), NUM_CLASSES, 1, 1), np.float32)
    onehot[np.arange(len(digits)), digits, 0, 0] = 1
    return onehot
