"""Symbol builders for the GAN generators and discriminators, by name (`get_network`).

Every builder returns a bare trunk: generators end in tanh, discriminators in logits (B, 1). The
loss head is attached apart (`logistic_head`) so a trainer can reuse a trunk with another loss.
Every layer is named with the builder's prefix; the inputs are the Variables "rand", "cond" and
"data". ``graph="tutorial"`` builds the layers as the tutorials write them, ``"fast"`` (the
default) their exact faster formulations from `mxgan.nets.layers`: the same parameters and function.

Every discriminator takes two levers, off by default (`D_LEVERS`), the graph unchanged when off:
``minibatch_std`` appends ProGAN's minibatch standard-deviation feature map to its last layer's
input (`mxgan.nets.layers.minibatch_std`); ``spectral_norm`` divides each convolution and
fully-connected weight by its spectral norm (`mxgan.nets.spectral`) and drops its BatchNorm
layers, as SNGAN's discriminator has none.
"""
import functools

import mxnet as mx

from ..checks import check_choice
from . import layers
from .conditions import NUM_CLASSES, check_condition

DCGAN_SIZES = (28, 64)
GRAPHS = ("fast", "tutorial")
_DCGAN_DEFAULT_FILTERS = {28: 28, 64: 128}
D_LEVERS = dict(minibatch_std=False, spectral_norm=False)  # the discriminators' levers, off


def _noise(nz):
    """The Variable "rand" (B, nz, 1, 1); declaring nz lets parameter shapes infer without it."""
    return mx.sym.Variable("rand", shape=(0, nz, 1, 1))


def _upsample_to_image(code, layer_specs, *, in_channels, prefix, fast):
    """Deconvolve the code vector (B, in_channels) through ``layer_specs``, each (num_filter,
    kernel, stride, pad), the first from a 1 x 1 input; BN + ReLU between, tanh out."""
    (num_filter, kernel, _, _), rest = layer_specs[0], layer_specs[1:]
    net = layers.first_deconvolution(code, in_channels=in_channels, num_filter=num_filter,
                                     kernel=kernel, name=prefix + "deconv1", fast=fast)
    for index, (num_filter, kernel, stride, pad) in enumerate(rest, start=2):
        net = layers.batch_norm(net, name="%sbn%d" % (prefix, index - 1))
        net = mx.sym.Activation(net, act_type="relu", name="%srelu%d" % (prefix, index - 1))
        net = layers.deconvolution(net, num_filter=num_filter, kernel=kernel, stride=stride,
                                   pad=pad, name="%sdeconv%d" % (prefix, index))
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


def dcgan_generator(*, size=64, nz=100, ngf=None, channels=3, prefix="g_", fast=True):
    """DCGAN generator: noise "rand" (B, nz, 1, 1) to tanh images (B, channels, size, size).

    ``size`` 64 is MXNet's DCGAN tutorial's network, 28 the torch-for-R tutorial's; ``ngf``
    (None: 128 for 64 px, 28 for 28 px) is the last hidden layer's width, the others multiples.
    """
    check_choice("size", size, DCGAN_SIZES)
    ngf = _DCGAN_DEFAULT_FILTERS[size] if ngf is None else ngf
    return _upsample_to_image(mx.sym.flatten(_noise(nz)), _dcgan_generator_layers(
        size, ngf, channels), in_channels=nz, prefix=prefix, fast=fast)


def _downsample(data, filters, *, prefix, first_index=1, spectral_norm=False):
    """Stride-2 4x4 convolutions to ``filters``, numbered from ``first_index``; BN after all but
    layer 1 (spectral norm instead, with ``spectral_norm``); LeakyReLU 0.2."""
    net = data
    for index, num_filter in enumerate(filters, start=first_index):
        net = layers.convolution(net, num_filter=num_filter, kernel=4, stride=2, pad=1,
                                 name="%sconv%d" % (prefix, index), spectral_norm=spectral_norm)
        if index > 1 and not spectral_norm:
            net = layers.batch_norm(net, name="%sbn%d" % (prefix, index))
        net = mx.sym.LeakyReLU(net, act_type="leaky", slope=0.2,
                               name="%slrelu%d" % (prefix, index))
    return net


def dcgan_discriminator(*, size=64, ndf=None, channels=3, prefix="d_", fast=True,
                        minibatch_std=False, spectral_norm=False):
    """DCGAN discriminator: images "data" (B, channels, size, size) to logits (B, 1); the
    options are those of `dcgan_generator`, ``ndf`` being the first layer's width, and the
    levers (`D_LEVERS`)."""
    check_choice("size", size, DCGAN_SIZES)
    ndf = _DCGAN_DEFAULT_FILTERS[size] if ndf is None else ndf
    filters = [ndf, 2 * ndf, 4 * ndf, 8 * ndf] if size == 64 else [ndf, 2 * ndf, 4 * ndf]
    net = _downsample(mx.sym.Variable("data"), filters, prefix=prefix,
                      spectral_norm=spectral_norm)  # (B, 8*ndf, 4, 4) or (B, 4*ndf, 3, 3)
    last = dict(in_size=4, stride=1, pad=0) if size == 64 else dict(in_size=3, stride=2, pad=1)
    return _last_layer(net, channels=filters[-1], name="%sconv%d" % (prefix, len(filters) + 1),
                       fast=fast, minibatch_std=minibatch_std, spectral_norm=spectral_norm,
                       **last)  # (B, 1)


def _last_layer(net, *, channels, in_size, stride, pad, name, fast, minibatch_std,
                spectral_norm):
    """A DCGAN discriminator's 4x4 last convolution of ``net`` (B, channels, in_size, in_size)
    to logits (B, 1), after the minibatch standard deviation with ``minibatch_std``."""
    if minibatch_std:
        net = layers.minibatch_std(net, name=name + "_mbstd")  # (B, channels + 1, ...)
        channels += 1
    return layers.last_convolution(net, in_channels=channels, in_size=in_size, kernel=4,
                                   stride=stride, pad=pad, name=name, fast=fast,
                                   spectral_norm=spectral_norm)  # (B, 1)


def _condition_vector(condition, prefix):
    """The Variable "cond" as a (B, 10) vector: one-hot as given, or digits (B,) embedded."""
    check_condition(condition)
    cond = mx.sym.Variable("cond")
    if condition == "embedding":
        return mx.sym.Embedding(cond, input_dim=NUM_CLASSES, output_dim=NUM_CLASSES,
                                name=prefix + "cond_embed")  # (B, 10)
    return mx.sym.flatten(cond, name=prefix + "cond_flat")  # (B, 10)


def _conditioned_code(nz, condition, prefix):
    """The digit and the noise joined as one code vector (B, 10 + nz), G's input.

    Joined as vectors: oneDNN cannot split the gradient of a 4-D concat whose channel count is
    a multiple of 8 back into an embedding ("could not construct a sub-memory").
    """
    return mx.sym.concat(_condition_vector(condition, prefix), mx.sym.flatten(_noise(nz)),
                         dim=1, name=prefix + "concat")  # (B, 10+nz)


def cgan_generator(*, nz=96, ngf=(384, 192, 96), condition="onehot", prefix="g_", fast=True):
    """MXNet's R CGAN tutorial's generator: noise "rand" (B, nz, 1, 1) and digit "cond" to
    images (B, 1, 28, 28). ``condition`` "onehot": "cond" is (B, 10, 1, 1) one-hot;
    "embedding": "cond" is (B,) digits, embedded by a learned 10 x 10 table."""
    _check_three_filters("ngf", ngf)
    layer_specs = [(ngf[0], 4, 1, 0),  # (B, ngf[0], 4, 4)
                   (ngf[1], 3, 2, 1),  # (B, ngf[1], 7, 7)
                   (ngf[2], 4, 2, 1),  # (B, ngf[2], 14, 14)
                   (1, 4, 2, 1)]  # (B, 1, 28, 28)
    return _upsample_to_image(_conditioned_code(nz, condition, prefix), layer_specs,
                              in_channels=NUM_CLASSES + nz, prefix=prefix, fast=fast)


def _check_three_filters(option, filters):
    """Raise ValueError unless ``filters`` holds three filter counts."""
    if len(filters) != 3:
        raise ValueError("%s must hold 3 filter counts, got %r" % (option, filters))


def _bn_elu(data, *, index, prefix, batch_norm=True):
    """BatchNorm (unless ``batch_norm`` is False) and ELU, as in the R CGAN discriminator."""
    net = layers.batch_norm(data, name="%sbn%d" % (prefix, index)) if batch_norm else data
    return mx.sym.LeakyReLU(net, act_type="elu", slope=0.25, name="%selu%d" % (prefix, index))


def _conditioned_input(cond, *, num_filter, kernel, stride, pad, prefix, fast, spectral_norm):
    """D's first convolution of the image "data" (B, 1, 28, 28) with the digit ``cond`` (B, 10)
    as ten constant planes beside it (`mxgan.nets.layers.conditioned_convolution`)."""
    return layers.conditioned_convolution(
        mx.sym.Variable("data"), cond, image_channels=1,
        num_classes=NUM_CLASSES, size=28, num_filter=num_filter, kernel=kernel, stride=stride,
        pad=pad, name=prefix + "conv1", fast=fast, spectral_norm=spectral_norm)


def cgan_discriminator(*, ndf=(24, 32, 64), condition="onehot", prefix="d_", fast=True,
                       minibatch_std=False, spectral_norm=False):
    """MXNet's R CGAN tutorial's discriminator: images "data" (B, 1, 28, 28) and digit "cond"
    (as for `cgan_generator`) to logits (B, 1); the levers (`D_LEVERS`) act before its
    fully-connected last layer.

    The third convolution is 4x4 as in the R setup file's graph, where a 3x3 one is also defined
    but not connected to the output.
    """
    _check_three_filters("ndf", ndf)
    batch_norm = not spectral_norm
    net = _conditioned_input(_condition_vector(condition, prefix), num_filter=ndf[0], kernel=3,
                             stride=1, pad=0, prefix=prefix, fast=fast,
                             spectral_norm=spectral_norm)  # (B, ndf[0], 26, 26)
    net = _bn_elu(net, index=1, prefix=prefix, batch_norm=batch_norm)
    net = mx.sym.Pooling(net, pool_type="max", kernel=(2, 2), stride=(2, 2),
                         name=prefix + "pool1")  # (B, ndf[0], 13, 13)
    for index, (num_filter, kernel, stride) in enumerate(((ndf[1], 3, 2), (ndf[2], 4, 1)), 2):
        net = layers.convolution(net, num_filter=num_filter, kernel=kernel, stride=stride,
                                 name="%sconv%d" % (prefix, index),
                                 spectral_norm=spectral_norm)  # (B, ndf[1], 6, 6), then
        net = _bn_elu(net, index=index, prefix=prefix, batch_norm=batch_norm)  # (B, ndf[2], 3, 3)
    if minibatch_std:
        net = layers.minibatch_std(net, name=prefix + "fc_mbstd")  # (B, ndf[2] + 1, 3, 3)
    net = mx.sym.Flatten(net, name=prefix + "flatten")  # (B, 9*ndf[2]), 9*(ndf[2]+1) with it
    return _fully_connected(net, num_hidden=1, name=prefix + "fc",
                            spectral_norm=spectral_norm)  # (B, 1)


def _fully_connected(data, *, num_hidden, name, spectral_norm, **options):
    """A FullyConnected layer, its weight spectrally normalised with ``spectral_norm``; without,
    the weight FullyConnected makes itself, as in the graphs of runs before the levers."""
    if spectral_norm:
        options["weight"] = layers.layer_weight(name, rows=num_hidden, ndim=2, spectral_norm=True)
    return mx.sym.FullyConnected(data, num_hidden=num_hidden, name=name, **options)


def cdcgan_generator(*, nz=100, ngf=28, condition="onehot", prefix="g_", fast=True):
    """A conditional DCGAN generator: the torch-for-R tutorial's 28 px network drawing from the
    digit and the noise joined as in the R CGAN tutorial (options as for `cgan_generator`)."""
    return _upsample_to_image(_conditioned_code(nz, condition, prefix),
                              _dcgan_generator_layers(28, ngf, 1), in_channels=NUM_CLASSES + nz,
                              prefix=prefix, fast=fast)


def cdcgan_discriminator(*, ndf=28, condition="onehot", projection=False, classifier=False,
                         prefix="d_", fast=True, minibatch_std=False, spectral_norm=False):
    """A conditional DCGAN discriminator: the 28 px DCGAN discriminator whose first layer also
    sees the digit as constant planes, as in the R CGAN tutorial. ``projection`` adds to its
    logit the projection term of Miyato and Koyama (2018), `_projection`; ``classifier`` makes
    it a group of (logit, the ten digit logits of `_classifier`); the levers: `D_LEVERS`."""
    cond = _condition_vector(condition, prefix)
    net = _conditioned_input(cond, num_filter=ndf, kernel=4, stride=2, pad=1, prefix=prefix,
                             fast=fast, spectral_norm=spectral_norm)  # (B, ndf, 14, 14)
    net = mx.sym.LeakyReLU(net, act_type="leaky", slope=0.2, name=prefix + "lrelu1")
    net = _downsample(net, [2 * ndf, 4 * ndf], first_index=2, prefix=prefix,
                      spectral_norm=spectral_norm)  # (B, 4ndf, 3, 3)
    logits = _last_layer(net, channels=4 * ndf, in_size=3, stride=2, pad=1,
                         name=prefix + "conv4", fast=fast, minibatch_std=minibatch_std,
                         spectral_norm=spectral_norm)  # (B, 1)
    if projection:
        logits = logits + _projection(net, cond, channels=4 * ndf, prefix=prefix,
                                      spectral_norm=spectral_norm)
    if classifier:
        return mx.sym.Group([logits, _classifier(net, prefix=prefix,
                                                 spectral_norm=spectral_norm)])
    return logits


def _classifier(features, *, prefix, spectral_norm):
    """AC-GAN's auxiliary classifier on D's last features summed over space: the ten digits'
    logits (B, 10), from the same features as the projection."""
    pooled = mx.sym.sum(features, axis=(2, 3), name=prefix + "class_pool")  # (B, channels)
    return _fully_connected(pooled, num_hidden=NUM_CLASSES, name=prefix + "class",
                            spectral_norm=spectral_norm)  # (B, 10)


def _projection(features, cond, *, channels, prefix, spectral_norm):
    """The inner product of the digit's learned embedding (B, channels) with D's last features
    summed over space: (B, 1). The digit then weighs on D's verdict directly, not only through
    the planes its first layer sees, which makes G draw the digit asked for more reliably. With
    ``spectral_norm`` the embedding is normalised too, as in Miyato and Koyama's code."""
    pooled = mx.sym.sum(features, axis=(2, 3), name=prefix + "proj_pool")  # (B, channels)
    embedded = _fully_connected(cond, num_hidden=channels, no_bias=True, name=prefix + "proj",
                                spectral_norm=spectral_norm)  # (B, channels)
    return mx.sym.sum(pooled * embedded, axis=1, keepdims=True, name=prefix + "proj_sum")


def logistic_head(logits, *, name="dloss"):
    """Attach a logistic loss with Variable "label" to ``logits`` (B, 1); outputs D's
    probabilities (B, 1)."""
    return mx.sym.LogisticRegressionOutput(data=logits, label=mx.sym.Variable("label"), name=name)


def classifier_head(class_logits, *, name="dclass"):
    """Attach to the digit logits (B, 10) the cross-entropy against Variable "digit" (B,), each
    sample's weighed by Variable "digit_weight" (B,); outputs the weighted losses (B,).

    The weight is an input so one graph serves every pass: D learns the digits of real images
    (weight 1) but not of its fakes (0), and G's pass adds its loss at G's own weight.
    """
    log_prob = mx.sym.log_softmax(class_logits, axis=1)
    picked = mx.sym.pick(log_prob, mx.sym.Variable("digit"), axis=1)  # (B,)
    return mx.sym.MakeLoss(-picked * mx.sym.Variable("digit_weight"), name=name)


def loss_heads(discriminator):
    """D with its losses: `logistic_head` on its logit, and `classifier_head` on its digit
    logits where it has them (a group of two outputs, D's probabilities first)."""
    if len(discriminator.list_outputs()) == 1:
        return logistic_head(discriminator)
    return mx.sym.Group([logistic_head(discriminator[0]), classifier_head(discriminator[1])])


NETWORKS = {
    "dcgan64": (functools.partial(dcgan_generator, size=64),
                functools.partial(dcgan_discriminator, size=64)),
    "dcgan28": (functools.partial(dcgan_generator, size=28),
                functools.partial(dcgan_discriminator, size=28)),
    "cgan28": (cgan_generator, cgan_discriminator),
    "cdcgan28": (cdcgan_generator, cdcgan_discriminator),
}
_GENERATOR_ONLY_OPTIONS = ("nz", "ngf")
_DISCRIMINATOR_ONLY_OPTIONS = ("ndf", "projection", "classifier") + tuple(D_LEVERS)


def get_network(name, *, graph="fast", **options):
    """Build a registered generator and its discriminator with the logistic loss head.

    Parameters
    ----------
    name : str
        A key of `NETWORKS`: "dcgan64" and "dcgan28" (MXNet's and the torch-for-R DCGAN
        tutorials'), "cgan28" (MXNet's R CGAN tutorial's) or "cdcgan28" (a conditional
        "dcgan28").
    graph : {"fast", "tutorial"}
        The layers as the tutorials write them, or their exact faster formulations.
    **options
        nz and ngf go to the generator, ndf and the levers (`D_LEVERS`) to the
        discriminator, anything else (channels, condition) to both; an option a builder lacks
        raises TypeError.

    Returns
    -------
    tuple of mx.sym.Symbol
        (generator, discriminator ending in `loss_heads`).
    """
    check_choice("network", name, tuple(NETWORKS))
    check_choice("graph", graph, GRAPHS)
    build_generator, build_discriminator = NETWORKS[name]
    fast = graph == "fast"
    generator = build_generator(fast=fast, **{k: v for k, v in options.items()
                                              if k not in _DISCRIMINATOR_ONLY_OPTIONS})
    discriminator = build_discriminator(fast=fast, **{k: v for k, v in options.items()
                                                      if k not in _GENERATOR_ONLY_OPTIONS})
    return generator, loss_heads(discriminator)
