"""mxgan.nets.conditions: how the digit reaches a conditional network."""
from mxgan.nets.conditions import (
    CONDITIONS,
    NUM_CLASSES,
    condition_shape,
    encode_digits,
)

import numpy as np
import pytest


def test_onehot_is_a_column_with_a_one_at_the_digit():
    encoded = encode_digits(np.array([3, 0, 9]), "onehot")
    assert encoded.shape == (3, NUM_CLASSES, 1, 1) and encoded.dtype == np.float32
    np.testing.assert_array_equal(encoded[:, :, 0, 0].argmax(axis=1), [3, 0, 9])
    assert encoded.sum() == 3


def test_embedding_takes_the_digit_itself():
    encoded = encode_digits(np.array([3, 0, 9], np.int64), "embedding")
    np.testing.assert_array_equal(encoded, np.float32([3, 0, 9]))


@pytest.mark.parametrize("condition, shape", [("onehot", (5, 10, 1, 1)), ("embedding", (5,))])
def test_condition_shape_is_the_shape_encode_digits_gives(condition, shape):
    assert condition_shape(5, condition) == shape == encode_digits(np.zeros(5, int),
                                                                    condition).shape


def test_an_unknown_condition_names_the_choices():
    for call in (lambda: condition_shape(2, "bits"), lambda: encode_digits([1], "bits")):
        with pytest.raises(ValueError, match="unknown condition 'bits': choose one of "
                                             + ", ".join(CONDITIONS)):
            call()
