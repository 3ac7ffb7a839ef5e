"""mxgan.nets.layers: every fast formulation equals the tutorial layer, forward and every gradient,
and the oneDNN workaround equals the plain layer; whole networks likewise, and checkpoints move
between the two graphs."""
import os
import subprocess
import sys

from mxgan.nets import layers, symbols
from mxgan.training import checkpoint

import mxnet as mx
import numpy as np
import pytest

import tiny

BATCH = 4


def _run(symbol, values, out_grad_seed=1):
    """Outputs and every gradient of ``symbol`` at ``values`` (name -> array), float64 host."""
    grad_req = {name: "null" if name in ("cond", "label") else "write" for name in values}
    executor = symbol.simple_bind(mx.cpu(), grad_req=grad_req,
                                  **{name: value.shape for name, value in values.items()})
    for name, value in values.items():
        executor.arg_dict[name][:] = value
    executor.forward(is_train=True)
    out_grad = np.random.RandomState(out_grad_seed).normal(size=executor.outputs[0].shape)
    executor.backward(mx.nd.array(out_grad))
    return {"output": executor.outputs[0].asnumpy(),
            **{name: grad.asnumpy() for name, grad in executor.grad_dict.items()
               if grad is not None}}


def _assert_same_function(fast, tutorial, values):
    got, expected = _run(fast, values), _run(tutorial, values)
    assert sorted(got) == sorted(expected)
    for key in expected:
        scale = np.abs(expected[key]).max()
        np.testing.assert_allclose(got[key], expected[key], rtol=0, atol=1e-5 * scale,
                                   err_msg=key)


def _normal(*shape, seed=0, scale=1.0):
    return np.random.RandomState(seed + len(shape)).normal(0, scale, size=shape)


def test_first_deconvolution_as_a_product_is_the_deconvolution():
    code = mx.sym.Variable("code")
    fast, tutorial = (layers.first_deconvolution(code, in_channels=7, num_filter=3, kernel=4,
                                                 name="p", fast=f) for f in (True, False))
    _assert_same_function(fast, tutorial, {"code": _normal(BATCH, 7),
                                           "p_weight": _normal(7, 3, 4, 4, scale=0.1)})


@pytest.mark.parametrize("in_size, stride, pad", [(3, 2, 1), (4, 1, 0)], ids=["28px", "64px"])
def test_last_convolution_as_a_product_is_the_convolution(in_size, stride, pad):
    data = mx.sym.Variable("data")
    fast, tutorial = (layers.last_convolution(data, in_channels=6, in_size=in_size, kernel=4,
                                              stride=stride, pad=pad, name="c", fast=f)
                      for f in (True, False))
    _assert_same_function(fast, tutorial, {"data": _normal(BATCH, 6, in_size, in_size),
                                           "c_weight": _normal(1, 6, 4, 4, scale=0.1)})


@pytest.mark.parametrize("kernel, stride, pad", [(3, 1, 0), (4, 2, 1)], ids=["valid", "padded"])
@pytest.mark.parametrize("cond", ["onehot", "vector"])
def test_condition_planes_as_a_bias_map_are_the_convolution(kernel, stride, pad, cond):
    image, condition = mx.sym.Variable("image"), mx.sym.Variable("cond")
    fast, tutorial = (layers.conditioned_convolution(
        image, condition, image_channels=1, num_classes=10, size=28, num_filter=5, kernel=kernel,
        stride=stride, pad=pad, name="c", fast=f) for f in (True, False))
    values = np.eye(10)[np.arange(BATCH) % 10] if cond == "onehot" else _normal(BATCH, 10)
    _assert_same_function(fast, tutorial, {"image": _normal(BATCH, 1, 28, 28), "cond": values,
                                           "c_weight": _normal(5, 11, kernel, kernel, scale=0.1)})


def test_minibatch_std_appends_the_features_spread_over_the_batch_as_one_constant_map():
    data = _normal(BATCH, 3, 2, 2)
    got = _run(layers.minibatch_std(mx.sym.Variable("data"), name="s"), {"data": data})
    assert got["output"].shape == (BATCH, 4, 2, 2)
    np.testing.assert_array_equal(got["output"][:, :3], data.astype(np.float32))
    spread = np.sqrt(data.var(axis=0) + 1e-8).mean()  # each feature's std, averaged
    np.testing.assert_allclose(got["output"][:, 3], np.full((BATCH, 2, 2), spread), rtol=1e-5)


NETWORK_OPTIONS = {
    "dcgan64": dict(channels=3, ngf=4, ndf=4, nz=8),
    "dcgan28": dict(channels=1, ngf=4, ndf=4, nz=8),
    "cgan28": dict(ngf=(16, 8, 8), ndf=(4, 4, 8), nz=8, condition="onehot"),
    "cdcgan28": dict(ngf=4, ndf=4, nz=8, condition="embedding"),
}


def _values(symbol, name):
    """Random weights and inputs for every argument of ``symbol``: noise, images, digits."""
    size, channels = (64, 3) if name == "dcgan64" else (28, 1)
    digits = np.arange(BATCH) % 10
    inputs = {"rand": _normal(BATCH, 8, 1, 1),
              "data": np.tanh(_normal(BATCH, channels, size, size)),
              "label": np.ones(BATCH),
              "cond": np.eye(10)[digits].reshape(BATCH, 10, 1, 1)
              if NETWORK_OPTIONS[name].get("condition") == "onehot" else digits}
    shapes = {n: v.shape for n, v in inputs.items() if n in symbol.list_arguments()}
    arg_shapes = dict(zip(symbol.list_arguments(), symbol.infer_shape(**shapes)[0]))
    rng = np.random.RandomState(3)
    return {n: inputs[n] if n in inputs else rng.normal(0, 0.2, size=s)
            for n, s in arg_shapes.items()}


@pytest.mark.parametrize("levers", [{}, dict(minibatch_std=True, spectral_norm=True)],
                         ids=["plain", "levers"])
@pytest.mark.parametrize("name", sorted(NETWORK_OPTIONS))
def test_the_fast_networks_are_the_tutorial_networks(name, levers):
    """Same parameter names and shapes, same outputs and gradients on the same weights, with
    the discriminators' levers too."""
    fast = symbols.get_network(name, graph="fast", **NETWORK_OPTIONS[name], **levers)
    tutorial = symbols.get_network(name, graph="tutorial", **NETWORK_OPTIONS[name], **levers)
    for net_fast, net_tutorial in zip(fast, tutorial):
        values = _values(net_tutorial, name)
        assert {n: v.shape for n, v in _values(net_fast, name).items()} == {
            n: v.shape for n, v in values.items()}
        _assert_same_function(net_fast, net_tutorial, values)


@pytest.mark.parametrize("model", ["dcgan", "cgan"])
def test_a_checkpoint_of_the_fast_graph_resumes_in_the_tutorial_graph(model, tmp_path, real_u8):
    fast = tiny.TRAINERS[model]()
    fast.step(**tiny.batch(model, real_u8))
    checkpoint.save(tmp_path, 1, fast.checkpoint_states(), {"config": {}})
    tutorial = tiny.TRAINERS[model](seed=5, graph="tutorial")
    tutorial.restore(checkpoint.find(tmp_path))
    steps = []
    for trainer in (fast, tutorial):
        mx.random.seed(7)  # the same noise for both
        steps.append(trainer.step(**tiny.batch(model, real_u8)).asnumpy())
    np.testing.assert_allclose(steps[1], steps[0], rtol=1e-4)



# Run in a fresh process so that MXNET_MKLDNN_ENABLED, read once at start-up, can differ.
_FORWARD_BACKWARD_SCRIPT = """
import sys
import mxgan
import mxnet as mx
import numpy as np
folder = sys.argv[1]
symbol = mx.sym.load(folder + "/symbol.json")
inputs = {name: np.load("%s/%s.npy" % (folder, name)) for name in symbol.list_arguments()}
shapes = {name: array.shape for name, array in inputs.items()}
executor = symbol.simple_bind(mx.cpu(), grad_req="write", **shapes)
for name, array in inputs.items():
    executor.arg_dict[name][:] = array
executor.forward(is_train=True)
executor.backward(mx.nd.array(np.load(folder + "/head_grad.npy")))
np.save(folder + "/output.npy", executor.outputs[0].asnumpy())
for name, grad in executor.grad_dict.items():
    np.save("%s/%s_grad.npy" % (folder, name), grad.asnumpy())
"""


def _forward_backward_in_subprocess(symbol, arrays, folder, *, onednn):
    """Run `symbol` forward and backward in a fresh process; return its output and gradients."""
    folder.mkdir()
    symbol.save(str(folder / "symbol.json"))
    for name, array in arrays.items():
        np.save(folder / (name + ".npy"), array)
    env = dict(os.environ, MXNET_MKLDNN_ENABLED="1" if onednn else "0")
    subprocess.run([sys.executable, "-c", _FORWARD_BACKWARD_SCRIPT, str(folder)], env=env,
                   check=True, capture_output=True)
    names = ["output", "data_grad", "layer_weight_grad"]
    return {name: np.load(folder / (name + ".npy")) for name in names}


def _assert_float32_close(actual, expected):
    """Equal up to the float32 round-off of long sums: 1e-5 of the largest magnitude."""
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-5 * np.abs(expected).max())


@pytest.mark.slow
def test_single_filter_workaround_matches_the_plain_layer(tmp_path):
    # The CGAN's last layer (96 -> 1 filter, 14 x 14 -> 28 x 28): the plain layer with oneDNN off,
    # since it crashes with oneDNN on, against the workaround with oneDNN on.
    layer = {"kernel": 4, "stride": 2, "pad": 1}
    rng = np.random.RandomState(7)
    data = rng.normal(size=(BATCH, 96, 14, 14)).astype(np.float32)
    weight_pair = rng.normal(0, 0.1, size=(96, 2, 4, 4)).astype(np.float32)
    head_grad = rng.normal(size=(BATCH, 1, 28, 28)).astype(np.float32)
    plain = mx.sym.Deconvolution(mx.sym.Variable("data"), num_filter=1, no_bias=True, name="layer",
                                 **{key: (value, value) for key, value in layer.items()})
    workaround = layers._two_filters_one_kept(mx.sym.Variable("data"), name="layer",
                                                      **layer)
    expected = _forward_backward_in_subprocess(
        plain, {"data": data, "layer_weight": weight_pair[:, :1], "head_grad": head_grad},
        tmp_path / "plain", onednn=False)
    actual = _forward_backward_in_subprocess(
        workaround, {"data": data, "layer_weight": weight_pair, "head_grad": head_grad},
        tmp_path / "workaround", onednn=True)
    _assert_float32_close(actual["output"], expected["output"])
    _assert_float32_close(actual["data_grad"], expected["data_grad"])
    weight_grad = actual["layer_weight_grad"]
    _assert_float32_close(weight_grad[:, :1], expected["layer_weight_grad"])
    assert not weight_grad[:, 1:].any()  # the spare filter never learns
