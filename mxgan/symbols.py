"""Symbol builders for the GAN generators and discriminators.

Every builder returns a bare trunk: generators end in tanh, discriminators in logits (B, 1). The
loss head is attached apart (`logistic_head`) so a trainer can reuse a trunk with another loss.
Every layer is named with the builder's prefix; the inputs are the Variables "rand", "cond" and
"data".
"""
import functools

import mxnet as mx

from .checks import check_choice
from .conditions import NUM_CLASSES, check_condition

BN_EPS = 1e-5 + 1e-12  # cuDNN rejects eps <= 1e-5; MXNet's tutorials add 1e-12 to stay above it
DCGAN_SIZES = (28, 64)
_DCGAN_DEFAULT_FILTERS = {28: 28, 64: 128}


def _check_three_filters(option, filters):
    """Raise ValueError unless `filters` holds three filter counts."""
    if len(filters) != 3:
        raise ValueError("%s must hold 3 filter counts, got %r" % (option, filters))


def _batch_norm(data, name):
    """BatchNorm with gamma fixed at 1, as in MXNet's DCGAN and CGAN tutorials."""
    return mx.sym.BatchNorm(data, fix_gamma=True, eps=BN_EPS, name=name)


def _single_filter_deconvolution(data, *, kernel, stride, pad, name):
    """A 1-filter Deconvolution computed with a spare second filter whose output is dropped.

    MXNet 1.9.1's oneDNN fails in backward ("could not create a primitive descriptor for a
    reorder primitive") on a 1-filter Deconvolution whose input channel count is a multiple of 8;
    2 filters work. Channel 0 is the plain layer's function of filter 0 and the spare filter gets
    zero gradient, so the weight is (in, 2, k, k) of which [:, :1] is the plain layer's. Repeating
    an (in, 1, k, k) weight inside the graph instead fails too ("could not execute a primitive")
    for 16 or 32 input channels.
    """
    both = mx.sym.Deconvolution(data, num_filter=2, kernel=(kernel, kernel),
                                stride=(stride, stride), pad=(pad, pad), no_bias=True,
                                name=name)  # (B, 2, H, W)
    return mx.sym.slice_axis(both, axis=1, begin=0, end=1, name=name + "_first")  # (B, 1, H, W)


def _deconvolution(data, *, num_filter, kernel, stride, pad, name):
    """Bias-free square Deconvolution; 1-filter layers go through the oneDNN workaround."""
    if num_filter == 1:
        return _single_filter_deconvolution(data, kernel=kernel, stride=stride, pad=pad, name=name)
    return mx.sym.Deconvolution(data, num_filter=num_filter, kernel=(kernel, kernel),
                                stride=(stride, stride), pad=(pad, pad), no_bias=True, name=name)


def _convolution(data, *, num_filter, kernel, stride=1, pad=0, name):
    """Bias-free square Convolution."""
    return mx.sym.Convolution(data, num_filter=num_filter, kernel=(kernel, kernel),
                              stride=(stride, stride), pad=(pad, pad), no_bias=True, name=name)


def _noise(nz):
    """The Variable "rand" (B, nz, 1, 1); declaring nz lets parameter shapes infer without it."""
    return mx.sym.Variable("rand", shape=(0, nz, 1, 1))


def _project(code, *, in_channels, num_filter, kernel, name):
    """A k x k Deconvolution of a 1 x 1 input, computed as the matrix product it is.

    out[b, o, i, j] = sum_c code[b, c] W[c, o, i, j], with W named and shaped as the Deconvolution
    weight (in, out, k, k), so the maths and the checkpoints are the Deconvolution's. oneDNN's
    deconvolution weight gradient for a 1 x 1 input is slow: 57 ms against 7.6 ms for this
    (forward + backward, 106 -> 384 x 4 x 4, batch 64, 2 cores).
    """
    weight = mx.sym.Variable(name + "_weight", shape=(in_channels, num_filter, kernel, kernel))
    product = mx.sym.dot(code, mx.sym.reshape(weight, shape=(in_channels, -1)),
                         name=name)  # (B, out*k*k)
    return mx.sym.reshape(product, shape=(0, num_filter, kernel, kernel),
                          name=name + "_map")  # (B, out, k, k)


def _upsample_to_image(code, layers, *, in_channels, prefix):
    """Project the code vector (B, in_channels) to the first layer of `layers`, then deconvolve
    through the rest; each entry is (num_filter, kernel, stride, pad); BN + ReLU, tanh out."""
    (num_filter, kernel, _, _), rest = layers[0], layers[1:]
    net = _project(code, in_channels=in_channels, num_filter=num_filter, kernel=kernel,
                   name=prefix + "deconv1")
    for index, (num_filter, kernel, stride, pad) in enumerate(rest, start=2):
        net = _batch_norm(net, name="%sbn%d" % (prefix, index - 1))
        net = mx.sym.Activation(net, act_type="relu", name="%srelu%d" % (prefix, index - 1))
        net = _deconvolution(net, num_filter=num_filter, kernel=kernel, stride=stride, pad=pad,
                             name="%sdeconv%d" % (prefix, index))
    return mx.sym.Activation(net, act_type="tanh", name=prefix + "tanh")


def _dcgan_generator_layers(size, ngf, channels):
    """(num_filter, kernel, stride, pad) of each deconvolution of the DCGAN generator."""
    if size == 64:  # MXNet's DCGAN tutorial
        return [(8 * ngf, 4, 1, 0),  # (B, 8*ngf, 4, 4)
                (4 * ngf, 4, 2, 1),  # (B, 4*ngf, 8, 8)
                (2 * ngf, 4, 2, 1),  # (B, 2*ngf, 16, 16)
                (ngf, 4, 2, 1),  # (B, ngf, 32, 32)
                (channels, 4, 2, 1)]  # (B, channels, 64, 64)
    return [(4 * ngf, 4, 1, 0),  # (B, 4*ngf, 4, 4); the torch-for-R DCGAN tutorial
            (2 * ngf, 4, 2, 1),  # (B, 2*ngf, 8, 8)
            (ngf, 4, 2, 2),  # (B, ngf, 14, 14)
            (channels, 4, 2, 1)]  # (B, channels, 28, 28)


def dcgan_generator(*, size=64, nz=100, ngf=None, channels=3, prefix="g_"):
    """DCGAN generator: noise "rand" (B, nz, 1, 1) to tanh images (B, channels, size, size).

    Parameters
    ----------
    size : int
        Image side: 64 (MXNet's DCGAN tutorial) or 28 (the torch-for-R one).
    nz : int
        Length of the noise vector.
    ngf : int or None
        Filters of the last hidden layer; the others are multiples of it. None: 128 for 64 px,
        28 for 28 px.
    channels : int
        Channels of the generated images.
    prefix : str
        Prefix of every layer name.

    Returns
    -------
    mx.sym.Symbol
    """
    check_choice("size", size, DCGAN_SIZES)
    ngf = _DCGAN_DEFAULT_FILTERS[size] if ngf is None else ngf
    layers = _dcgan_generator_layers(size, ngf, channels)
    return _upsample_to_image(mx.sym.flatten(_noise(nz)), layers, in_channels=nz, prefix=prefix)


def _downsample(data, layers, *, prefix):
    """Stride-2 4x4 convolutions to `layers` filters; BN after all but the first; LeakyReLU."""
    net = data
    for index, num_filter in enumerate(layers, start=1):
        net = _convolution(net, num_filter=num_filter, kernel=4, stride=2, pad=1,
                           name="%sconv%d" % (prefix, index))
        if index > 1:
            net = _batch_norm(net, name="%sbn%d" % (prefix, index))
        net = mx.sym.LeakyReLU(net, act_type="leaky", slope=0.2,
                               name="%slrelu%d" % (prefix, index))
    return net


def dcgan_discriminator(*, size=64, ndf=None, channels=3, prefix="d_"):
    """DCGAN discriminator: images "data" (B, channels, size, size) to logits (B, 1).

    Parameters
    ----------
    size : int
        Image side: 64 (MXNet's DCGAN tutorial) or 28 (the torch-for-R one).
    ndf : int or None
        Filters of the first layer; the others are multiples of it. None: 128 for 64 px, 28 for
        28 px.
    channels : int
        Channels of the input images.
    prefix : str
        Prefix of every layer name.

    Returns
    -------
    mx.sym.Symbol
    """
    check_choice("size", size, DCGAN_SIZES)
    ndf = _DCGAN_DEFAULT_FILTERS[size] if ndf is None else ndf
    data = mx.sym.Variable("data")
    if size == 64:
        net = _downsample(data, [ndf, 2 * ndf, 4 * ndf, 8 * ndf],
                          prefix=prefix)  # (B, 8*ndf, 4, 4)
        net = _convolution(net, num_filter=1, kernel=4, name=prefix + "conv5")  # (B, 1, 1, 1)
    else:
        net = _downsample(data, [ndf, 2 * ndf, 4 * ndf], prefix=prefix)  # (B, 4*ndf, 3, 3)
        net = _convolution(net, num_filter=1, kernel=4, stride=2, pad=1,
                           name=prefix + "conv4")  # (B, 1, 1, 1)
    return mx.sym.Flatten(net, name=prefix + "flatten")  # (B, 1)


def _condition_vector(condition, prefix):
    """The Variable "cond" as a (B, 10) vector: one-hot as given, or digits (B,) embedded."""
    check_condition(condition)
    cond = mx.sym.Variable("cond")
    if condition == "embedding":
        return mx.sym.Embedding(cond, input_dim=NUM_CLASSES, output_dim=NUM_CLASSES,
                                name=prefix + "cond_embed")  # (B, 10)
    return mx.sym.flatten(cond, name=prefix + "cond_flat")  # (B, 10)


def _condition_map(condition, prefix):
    """The Variable "cond" as a (B, 10, 1, 1) map."""
    return mx.sym.reshape(_condition_vector(condition, prefix), shape=(0, 0, 1, 1),
                          name=prefix + "cond_map")  # (B, 10, 1, 1)


def cgan_generator(*, nz=96, ngf=(384, 192, 96), condition="onehot", prefix="g_"):
    """Conditional generator: noise "rand" (B, nz, 1, 1) and digit "cond" to images (B, 1, 28, 28).

    Parameters
    ----------
    nz : int
        Length of the noise vector.
    ngf : tuple of int
        Filters of the three hidden deconvolutions.
    condition : str
        "onehot": "cond" is (B, 10, 1, 1) one-hot; "embedding": "cond" is (B,) digits, which a
        learned 10 x 10 table embeds.
    prefix : str
        Prefix of every layer name.

    Returns
    -------
    mx.sym.Symbol
    """
    _check_three_filters("ngf", ngf)
    # Joined as vectors: oneDNN cannot split the gradient of a 4-D concat whose channel count is
    # a multiple of 8 back into an embedding ("could not construct a sub-memory").
    code = mx.sym.concat(_condition_vector(condition, prefix), mx.sym.flatten(_noise(nz)), dim=1,
                         name=prefix + "concat")  # (B, 10+nz)
    layers = [(ngf[0], 4, 1, 0),  # (B, ngf[0], 4, 4)
              (ngf[1], 3, 2, 1),  # (B, ngf[1], 7, 7)
              (ngf[2], 4, 2, 1),  # (B, ngf[2], 14, 14)
              (1, 4, 2, 1)]  # (B, 1, 28, 28)
    return _upsample_to_image(code, layers, in_channels=NUM_CLASSES + nz, prefix=prefix)


def _conv_bn_elu(data, *, num_filter, kernel, stride, index, prefix):
    """Bias-free Convolution, BatchNorm and ELU, as in the R CGAN discriminator."""
    net = _convolution(data, num_filter=num_filter, kernel=kernel, stride=stride,
                       name="%sconv%d" % (prefix, index))
    net = _batch_norm(net, name="%sbn%d" % (prefix, index))
    return mx.sym.LeakyReLU(net, act_type="elu", slope=0.25, name="%selu%d" % (prefix, index))


def cgan_discriminator(*, ndf=(24, 32, 64), condition="onehot", prefix="d_"):
    """Conditional discriminator: images "data" (B, 1, 28, 28) and digit "cond" to logits (B, 1).

    The third convolution is 4x4 as in the R setup file's graph, where a 3x3 one is also defined
    but not connected to the output.

    Parameters
    ----------
    ndf : tuple of int
        Filters of the three convolutions.
    condition : str
        "onehot": "cond" is (B, 10, 1, 1) one-hot; "embedding": "cond" is (B,) digits, which a
        learned 10 x 10 table embeds.
    prefix : str
        Prefix of every layer name.

    Returns
    -------
    mx.sym.Symbol
    """
    _check_three_filters("ndf", ndf)
    cond = mx.sym.broadcast_to(_condition_map(condition, prefix), shape=(0, 0, 28, 28),
                               name=prefix + "cond_broadcast")  # (B, 10, 28, 28)
    net = mx.sym.concat(mx.sym.Variable("data"), cond, dim=1,
                        name=prefix + "concat")  # (B, 11, 28, 28)
    net = _conv_bn_elu(net, num_filter=ndf[0], kernel=3, stride=1, index=1,
                       prefix=prefix)  # (B, ndf[0], 26, 26)
    net = mx.sym.Pooling(net, pool_type="max", kernel=(2, 2), stride=(2, 2),
                         name=prefix + "pool1")  # (B, ndf[0], 13, 13)
    net = _conv_bn_elu(net, num_filter=ndf[1], kernel=3, stride=2, index=2,
                       prefix=prefix)  # (B, ndf[1], 6, 6)
    net = _conv_bn_elu(net, num_filter=ndf[2], kernel=4, stride=1, index=3,
                       prefix=prefix)  # (B, ndf[2], 3, 3)
    net = mx.sym.Flatten(net, name=prefix + "flatten")  # (B, 9*ndf[2])
    return mx.sym.FullyConnected(net, num_hidden=1, name=prefix + "fc")  # (B, 1)


def logistic_head(logits, *, name="dloss"):
    """Attach a logistic loss with Variable "label" to `logits`; outputs probabilities (B, 1).

    Parameters
    ----------
    logits : mx.sym.Symbol
        Discriminator output (B, 1).
    name : str
        Name of the loss layer.

    Returns
    -------
    mx.sym.Symbol
    """
    return mx.sym.LogisticRegressionOutput(data=logits, label=mx.sym.Variable("label"), name=name)


NETWORKS = {
    "dcgan64": (functools.partial(dcgan_generator, size=64),
                functools.partial(dcgan_discriminator, size=64)),
    "dcgan28": (functools.partial(dcgan_generator, size=28),
                functools.partial(dcgan_discriminator, size=28)),
    "cgan28": (cgan_generator, cgan_discriminator),
}
_GENERATOR_ONLY_OPTIONS = ("nz", "ngf")
_DISCRIMINATOR_ONLY_OPTIONS = ("ndf",)


def _split_options(options):
    """Split `get_network` options into the generator's and the discriminator's."""
    generator = {k: v for k, v in options.items() if k not in _DISCRIMINATOR_ONLY_OPTIONS}
    discriminator = {k: v for k, v in options.items() if k not in _GENERATOR_ONLY_OPTIONS}
    return generator, discriminator


def get_network(name, **kwargs):
    """Build a registered generator and its discriminator with the logistic loss head.

    Parameters
    ----------
    name : str
        A key of `NETWORKS`: "dcgan64", "dcgan28" or "cgan28".
    **kwargs
        nz and ngf go to the generator, ndf to the discriminator, anything else (channels,
        condition) to both; an option a builder lacks raises TypeError.

    Returns
    -------
    tuple of mx.sym.Symbol
        (generator, discriminator ending in `logistic_head`).
    """
    check_choice("network", name, tuple(NETWORKS))
    build_generator, build_discriminator = NETWORKS[name]
    generator_options, discriminator_options = _split_options(kwargs)
    generator = build_generator(**generator_options)
    return generator, logistic_head(build_discriminator(**discriminator_options))
