"""Spectral normalisation of a layer's weight (Miyato et al. 2018, SNGAN): W / sigma(W), sigma(W)
the largest singular value of W as a (rows, -1) matrix, estimated by power iteration.

MXNet 1.9.1's Symbol API has no operator for it, so it is built from two halves that compute the
same estimate:
- in the graph (`normalized_weight`), from the weight and a non-learned input "<layer>_sn_u"
  (rows,): v = unit(W^T u) and sigma = |W v|, v held constant, so sigma's gradient is the
  paper's u' v^T with u' = unit(W v);
- after each update of D, on the device (`PowerIteration`): u <- unit(W unit(W^T u)), one
  power iteration a step on the new weights, kept from step to step.
u is a parameter without a gradient (grad_req "null"): checkpoints save it with the weights and
``set_params`` restores it, so a resumed run continues the estimate exactly. Its scale never
matters (v is a unit vector), so it starts as Normal(0, 1) draws.
"""
import mxnet as mx

POWER_VECTOR = "_sn_u"  # suffix of a layer's power-iteration vector: "<layer>_sn_u"
_EPS = 1e-12  # keeps a zero vector's unit() finite, as PyTorch's spectral_norm does


def power_vector_name(layer):
    """The name of ``layer``'s power-iteration vector."""
    return layer + POWER_VECTOR


def is_power_vector(name):
    """Whether the argument ``name`` is a power-iteration vector, not a learned parameter."""
    return name.endswith(POWER_VECTOR)


def normalized_weight(weight, *, layer, rows, ndim):
    """``weight`` (a Symbol of ``ndim`` axes, the first of ``rows``) divided by its spectral
    norm estimate; adds the input "<layer>_sn_u" (rows,)."""
    u = mx.sym.Variable(power_vector_name(layer), shape=(rows,), init=mx.init.Normal(1.0))
    matrix = mx.sym.reshape(weight, shape=(rows, -1))  # (rows, n)
    v = mx.sym.BlockGrad(_unit_sym(mx.sym.dot(matrix, u, transpose_a=True)))  # (n,)
    sigma = mx.sym.norm(mx.sym.dot(matrix, v))  # (1,)
    # W / sigma written element-wise, so that W's shape is inferred from the layer using it
    return weight / mx.sym.broadcast_like(mx.sym.reshape(sigma, shape=(1,) * ndim), weight,
                                          name=layer + "_sigma")


def _unit_sym(vector):
    return mx.sym.broadcast_div(vector, mx.sym.norm(vector) + _EPS)


def _unit(vector):
    return mx.nd.broadcast_div(vector, mx.nd.norm(vector) + _EPS)


def power_iteration(weight, u):
    """One power iteration in place on NDArrays: u <- unit(W unit(W^T u)), W as (rows, -1)."""
    matrix = weight.reshape((u.shape[0], -1))
    v = _unit(mx.nd.dot(matrix, u, transpose_a=True))
    u[:] = _unit(mx.nd.dot(matrix, v))


class PowerIteration:
    """The power iterations of a network's spectrally normalised weights, every device's copy.

    ``names`` and ``per_device`` are the network's parameters and their ``[parameter][device]``
    arrays; each power vector is paired with its layer's "<layer>_weight". Without any, `step`
    does nothing.
    """

    def __init__(self, names, per_device):
        arrays = dict(zip(names, per_device))
        self.pairs = [(weight, u) for name in names if is_power_vector(name)
                      for weight, u in zip(arrays[name[:-len(POWER_VECTOR)] + "_weight"],
                                           arrays[name])]

    def step(self):
        """One power iteration of every vector with its weight as it is now (after an update)."""
        for weight, u in self.pairs:
            power_iteration(weight, u)
