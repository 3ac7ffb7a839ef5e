"""mxgan.nets.spectral: the graph divides a weight by its largest singular value once the power
vector has converged, with the paper's gradient, and the in-place power iteration on every
device copy converges to it."""
from mxgan.nets import spectral

import mxnet as mx
import numpy as np
import pytest

SHAPE = (6, 3, 2, 2)  # a convolution's (out, in, k, k): a 6 x 12 matrix


def _weight(seed=0):
    return np.random.RandomState(seed).normal(0, 0.1, size=SHAPE)


def _largest_singular_value(weight):
    return np.linalg.svd(weight.reshape(weight.shape[0], -1), compute_uv=False)[0]


def _normalized(weight, u, out_grad=None):
    """(W_sn, dL/dW for L = sum(out_grad * W_sn)) from the graph, float64."""
    symbol = spectral.normalized_weight(mx.sym.Variable("c_weight"), layer="c", rows=SHAPE[0],
                                        ndim=len(SHAPE))
    assert symbol.list_arguments() == ["c_weight", "c_sn_u"]
    executor = symbol.simple_bind(mx.cpu(), grad_req={"c_weight": "write", "c_sn_u": "null"},
                                  type_dict={"c_weight": np.float64, "c_sn_u": np.float64},
                                  c_weight=SHAPE)
    executor.arg_dict["c_weight"][:] = weight
    executor.arg_dict["c_sn_u"][:] = u
    executor.forward(is_train=True)
    executor.backward(mx.nd.array(np.ones(SHAPE) if out_grad is None else out_grad,
                                  dtype=np.float64))
    return executor.outputs[0].asnumpy(), executor.grad_dict["c_weight"].asnumpy()


def _iterated_u(weight, steps):
    """The power vector after ``steps`` in-place iterations from Normal(0, 1) draws."""
    w, u = (mx.nd.array(a, dtype=np.float64) for a in (weight, np.random.RandomState(1).normal(
        size=SHAPE[0])))
    for _ in range(steps):
        spectral.power_iteration(w, u)
    return u.asnumpy()


def test_after_a_few_power_iterations_the_weight_has_spectral_norm_one():
    weight = _weight()
    normalized, _ = _normalized(weight, _iterated_u(weight, 10))
    assert _largest_singular_value(normalized) == pytest.approx(1, abs=1e-3)
    np.testing.assert_allclose(normalized, weight / _largest_singular_value(weight), rtol=1e-3)


def test_without_iterations_the_estimate_is_below_the_largest_singular_value():
    """One power step from a random vector (what the graph does itself) underestimates sigma:
    the weight comes out too large, which the iterations after each update then shrink."""
    weight = _weight()
    normalized, _ = _normalized(weight, _iterated_u(weight, 0))
    assert _largest_singular_value(normalized) > 1.001


def test_the_weight_gradient_is_the_papers():
    """dL/dW = (G - <G, W_sn> u v^T) / sigma, u and v the converged singular vectors: the
    gradient of W / sigma(W) (Miyato et al. 2018, eq. 12), not of a detached sigma."""
    weight, out_grad = _weight(), np.random.RandomState(2).normal(size=SHAPE)
    normalized, grad = _normalized(weight, _iterated_u(weight, 30), out_grad)
    left, singular, right = np.linalg.svd(weight.reshape(SHAPE[0], -1))
    outer = np.outer(left[:, 0], right[0]).reshape(SHAPE)
    expected = (out_grad - np.sum(out_grad * normalized) * outer) / singular[0]
    np.testing.assert_allclose(grad, expected, rtol=1e-4, atol=1e-8)


def test_power_iteration_steps_every_device_copy_of_every_normalised_weight_only():
    names = ["a_weight", "a_sn_u", "b_weight", "c_weight", "c_sn_u"]
    rng = np.random.RandomState(3)
    arrays = {"a_weight": rng.normal(size=(4, 5)), "a_sn_u": rng.normal(size=4),
              "b_weight": rng.normal(size=(2, 2)), "c_weight": rng.normal(size=(3, 2, 2, 2)),
              "c_sn_u": rng.normal(size=3)}
    per_device = [[mx.nd.array(arrays[name], ctx=mx.cpu(k)) for k in (0, 1)] for name in names]
    spectral.PowerIteration(names, per_device).step()
    for index, name in enumerate(names):
        for copy in per_device[index]:
            expected = arrays[name]
            if spectral.is_power_vector(name):
                matrix = arrays[name.replace("_sn_u", "_weight")].reshape(len(expected), -1)
                v = matrix.T @ expected / np.linalg.norm(matrix.T @ expected)
                expected = matrix @ v / np.linalg.norm(matrix @ v)
            np.testing.assert_allclose(copy.asnumpy(), expected, rtol=1e-5, err_msg=name)
    assert spectral.PowerIteration(["b_weight"], per_device[2:3]).pairs == []
