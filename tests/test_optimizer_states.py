"""mxgan.training.optimizer_states: one copy of each parameter's state is saved, on the CPU, and
comes back as one copy per device; loading admits NDArrays only."""
import io
import pickle

from mxgan.common import mxnet_internals
from mxgan.training import optimizer_states

import mxnet as mx
import pytest


def _updater(states, counts, device_ids):
    """An Adam updater holding ``states`` {index: (mean, variance)} and per-device step counts."""
    optimizer = mx.optimizer.Adam()
    updater = mx.optimizer.get_updater(optimizer)
    updater.states = states
    mxnet_internals.set_update_counts(optimizer, max(counts.values()),
                                      {device: dict(counts) for device in device_ids})
    return updater


def test_one_copy_is_saved_and_each_device_gets_its_own_back():
    two = (0, 1)  # two devices: parameter i's copies sit at 2i and 2i + 1
    saved_states = {index: (mx.nd.full((2,), index // 2), mx.nd.full((2,), -(index // 2)))
                    for index in range(4)}  # both copies of a parameter hold the same values
    updater = _updater(saved_states, {index: 7 for index in range(4)}, two)
    states, counts = optimizer_states.first_copy(updater, two)
    assert sorted(states) == [0, 1] and counts == {0: 7, 1: 7}
    states = optimizer_states.load(io.BytesIO(optimizer_states.dumps(states)))
    restored = mx.optimizer.get_updater(mx.optimizer.Adam())
    optimizer_states.install(restored, states, {"num_update": 7, "counts": sorted(counts.items())},
                             two)
    assert sorted(restored.states) == [0, 1, 2, 3]
    assert restored.states[3][0].asnumpy().tolist() == [1, 1]
    assert restored.states[2][0] is not restored.states[3][0]  # each copy owns its arrays
    for k, device in enumerate(two):  # each device counts the steps of its own copies
        assert mxnet_internals.update_counts(restored.optimizer, device) == {k: 7, 2 + k: 7}


def test_a_state_that_does_not_fit_its_parameter_is_found():
    states = {0: mx.nd.zeros((3,)), 1: (mx.nd.zeros((2, 2)), mx.nd.zeros((2, 2)))}
    assert optimizer_states.misfit(states, [(3,), (2, 2)]) is None
    assert optimizer_states.misfit(states, [(3,), (2, 3)]) == 1
    assert optimizer_states.misfit(states, [(3,)]) == 1  # no parameter 1


def test_loading_refuses_anything_but_arrays():
    with pytest.raises(pickle.UnpicklingError, match="posix.system is not optimiser state"):
        optimizer_states.load(io.BytesIO(pickle.dumps({0: __import__("os").system})))
    assert optimizer_states.is_state_by_index({0: None})
    assert not optimizer_states.is_state_by_index([None])
