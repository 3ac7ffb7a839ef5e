"""MXNet pieces shared by the mxgan and naive implementations: device, graphs and real batch."""
import mxgan  # noqa: F401  (before mxnet: it lets MXNet 1.9.1 run on numpy >= 1.24)
from mxgan.nets import symbols
from mxgan.nets.conditions import encode_digits

import mxnet as mx
import numpy as np

from .workloads import real_batch


def context(device):
    """The MXNet context of ``device`` ("cpu" or "gpu")."""
    return mx.gpu(0) if device == "gpu" else mx.cpu()


def networks(workload, graph):
    """(generator, discriminator with its logistic head) from `mxgan.nets.symbols`: the tutorial's
    layers (``graph="tutorial"``) or their exact faster formulations (``"fast"``)."""
    return symbols.get_network(workload.name, graph=graph, **workload.network_options())


def input_shapes(workload):
    """({G input: shape}, {D input: shape}) of one step's batch."""
    batch = workload.batch_size
    g_shapes = {"rand": (batch, workload.nz, 1, 1)}
    d_shapes = {"data": (batch,) + workload.image_shape, "label": (batch,)}
    if workload.conditional:
        g_shapes["cond"] = d_shapes["cond"] = (batch, 10, 1, 1)
    return g_shapes, d_shapes


def real_inputs(workload):
    """The fixed real batch as an iterator hands it over: uint8 images, plus one-hot digits for
    the CGAN, on the CPU."""
    images, digits = real_batch(workload)
    data = mx.nd.array(images, dtype=np.uint8)
    if not workload.conditional:
        return (data,)
    return data, mx.nd.array(encode_digits(digits, "onehot"))


class MXNetStepper:
    """Base of the MXNet implementations: ``sync`` drains MXNet's asynchronous engine."""

    @staticmethod
    def sync():
        """Wait for every queued operator."""
        mx.nd.waitall()
