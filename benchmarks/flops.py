"""The useful arithmetic of one GAN step on the tutorial's graph, and the machine's fp32 peak.

A step is G forward; D forward and backward on the fakes and on the reals (weight gradients,
and data gradients below the first layer); D forward again with every layer's data gradient
(G's out-grad) but no weight gradients; G backward (data and weight gradients). Counted from the
layer shapes `infer_shape` gives: convolutions, deconvolutions and dense layers, two FLOPs per
multiply-add; the rest (BatchNorm, activations) is memory traffic and not counted.
"""
import json
import time

import mxgan  # noqa: F401  (before mxnet: it lets MXNet 1.9.1 run on numpy >= 1.24)

import mxnet as mx
import numpy as np

PEAK_SIZE = 4096


def layer_macs(symbol, **input_shapes):
    """Multiply-adds per batch of each convolution, deconvolution and dense layer of
    ``symbol``, in graph order."""
    internals = symbol.get_internals()
    arg_shapes, out_shapes, _ = internals.infer_shape(**input_shapes)
    shapes = dict(zip(internals.list_arguments(), arg_shapes))
    shapes.update(zip(internals.list_outputs(), out_shapes))
    nodes = json.loads(symbol.tojson())["nodes"]
    macs = []
    for node in nodes:
        if node["op"] not in ("Convolution", "Deconvolution", "FullyConnected"):
            continue
        weight = shapes[node["name"] + "_weight"]
        source = nodes[node["inputs"][0][0]]
        data = shapes[source["name"] if source["op"] == "null" else source["name"] + "_output"]
        if node["op"] == "Convolution":  # each output element: in/groups x k x k products
            macs.append(int(np.prod(shapes[node["name"] + "_output"])) * int(np.prod(weight[1:])))
        elif node["op"] == "Deconvolution":  # each input element scatters out x k x k
            macs.append(int(np.prod(data)) * int(np.prod(weight[1:])))
        else:
            macs.append(data[0] * int(np.prod(weight)))
    return macs


def step_flops(generator, discriminator, g_shapes, d_shapes):
    """FLOPs of one step (see the module docstring) from the two graphs' layer sizes."""
    g, d = sum(layer_macs(generator, **g_shapes)), layer_macs(discriminator, **d_shapes)
    d_forward, d_first = sum(d), d[0]
    d_total = 3 * d_forward + 2 * d_forward + 2 * (d_forward - d_first) + d_forward
    return 2 * (3 * g + d_total)


def sgemm_gflops(size=PEAK_SIZE, repeats=5):
    """GFLOP/s of a size x size fp32 matrix product through MXNet (its BLAS), best of
    ``repeats`` after a warm-up: the machine's practical peak for these threads."""
    a, b = (mx.nd.random.normal(shape=(size, size)) for _ in range(2))
    mx.nd.dot(a, b).wait_to_read()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        mx.nd.dot(a, b).wait_to_read()
        best = min(best, time.perf_counter() - start)
    return 2 * size ** 3 / best / 1e9
