"""mxgan.common.mxnet_internals: every helper against MXNet's public behaviour."""
import os
import pickle

from mxgan.common import mxnet_internals as internals

import mxnet as mx
import numpy as np

BATCH = 4


def _module(context=(mx.cpu(),)):
    """A one-layer regression Module, bound and initialised."""
    data = mx.sym.Variable("data")
    net = mx.sym.FullyConnected(data, num_hidden=3, name="fc")
    module = mx.mod.Module(mx.sym.LinearRegressionOutput(net, name="out"),
                           data_names=("data",), label_names=("out_label",), context=list(context))
    module.bind(data_shapes=[("data", (BATCH, 5))], label_shapes=[("out_label", (BATCH, 3))])
    module.init_params(mx.init.Normal(0.5))
    return module


def _batch(seed=0):
    rng = np.random.RandomState(seed)
    return mx.io.DataBatch([mx.nd.array(rng.normal(size=(BATCH, 5)))],
                           [mx.nd.array(rng.normal(size=(BATCH, 3)))])


def test_module_grad_arrays_are_the_gradients_update_applies():
    module = _module()
    internals.init_optimizer_in_workers(module, "local",
                                         mx.optimizer.SGD(learning_rate=1.0,
                                                          rescale_grad=1.0 / BATCH))
    module.forward_backward(_batch())
    grads = [g.asnumpy() for g in internals.module_grad_arrays(module)]
    before = [a.asnumpy() for a in module.get_params()[0].values()]
    module.update()
    after = [a.asnumpy() for a in module.get_params()[0].values()]
    assert len(grads) == 2  # fc_weight, fc_bias
    for w0, w1, g in zip(before, after, grads):
        np.testing.assert_allclose(w1, w0 - g / BATCH, rtol=1e-5, atol=1e-6)


def test_the_updater_is_what_module_saves_as_optimizer_state(tmp_path):
    module = _module()
    internals.init_optimizer_in_workers(module, "local",
                                         mx.optimizer.Adam(rescale_grad=1.0 / BATCH))
    module.forward_backward(_batch())
    module.update()
    module.save_optimizer_states(str(tmp_path / "s.states"))
    saved = pickle.loads((tmp_path / "s.states").read_bytes())
    updater = internals.module_updater(module)
    assert sorted(saved) == sorted(updater.states) == [0, 1]
    np.testing.assert_array_equal(saved[0][0].asnumpy(), updater.states[0][0].asnumpy())


def test_optimizer_stays_in_the_module_with_several_devices_and_the_switch_is_restored():
    os.environ.pop("MXNET_UPDATE_ON_KVSTORE", None)
    module = _module(context=(mx.cpu(0), mx.cpu(1)))
    internals.init_optimizer_in_workers(module, "local",
                                         mx.optimizer.Adam(rescale_grad=1.0 / BATCH))
    assert internals.module_updater(module) is not None  # else the state would be in the store
    assert "MXNET_UPDATE_ON_KVSTORE" not in os.environ


def test_sum_gradients_and_update_steps_every_copy_by_the_summed_gradient():
    weights = [[mx.nd.ones(3), mx.nd.ones(3)]]
    grads = [[mx.nd.array([1, 2, 3]), mx.nd.array([10, 20, 30])]]
    store = mx.kv.create("local")
    store.init("w", weights[0][0])
    updater = mx.optimizer.get_updater(mx.optimizer.SGD(learning_rate=0.1))
    internals.sum_gradients_and_update(updater, ["w"], weights, grads, store)
    for copy in weights[0]:
        np.testing.assert_allclose(copy.asnumpy(), 1 - 0.1 * np.array([11, 22, 33]), rtol=1e-6)


def _adam_steps(updater, weight, steps):
    for step in range(steps):
        updater(0, mx.nd.full(weight.shape, step + 1.0), weight)


def test_restored_states_and_counts_continue_adam_exactly():
    straight = mx.optimizer.get_updater(mx.optimizer.Adam(learning_rate=0.1))
    w_straight = mx.nd.ones(3)
    _adam_steps(straight, w_straight, 2)
    counts = internals.update_counts(straight.optimizer, 0)
    assert counts == {0: 2}
    restored = mx.optimizer.get_updater(mx.optimizer.Adam(learning_rate=0.1))
    internals.set_updater_states(restored, {0: tuple(s.copy() for s in straight.states[0])})
    internals.set_update_counts(restored.optimizer, straight.optimizer.num_update, {0: counts})
    w_restored = w_straight.copy()
    for updater, weight in ((straight, w_straight), (restored, w_restored)):
        updater(0, mx.nd.full((3,), 5.0), weight)
    np.testing.assert_array_equal(w_restored.asnumpy(), w_straight.asnumpy())
