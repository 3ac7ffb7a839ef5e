"""Symbol builders for the GAN generators and discriminators, by name (`get_network`).

Every builder returns a bare trunk: generators end in tanh, discriminators in logits (B, 1). The
loss head is attached apart (`logistic_head`) so a trainer can reuse a trunk with another loss.
Every layer is named with the builder's prefix; the inputs are the Variables "rand", "cond" and
"data". Each builder writes its layers stage by stage through a `LayerFactory`, with the shape
after each. ``graph="tutorial"`` builds the layers as the tutorials write them, ``"fast"`` (the
default) their exact faster formulations from `mxgan.nets.layers`: the same parameters and
function.

Every discriminator takes two levers, off by default (`D_LEVERS`), the graph unchanged when off:
``minibatch_std`` appends ProGAN's minibatch standard-deviation feature map to its last layer's
input (`mxgan.nets.layers.minibatch_std`); ``spectral_norm`` divides each convolution and
fully-connected weight by its spectral norm (`mxgan.nets.spectral`) and drops its BatchNorm
layers, as SNGAN's discriminator has none.
"""
import functools

import mxnet as mx

from ..common.checks import check_choice
from .conditions import NUM_CLASSES, check_condition
from .factory import LayerFactory

DCGAN_SIZES = (28, 64)
GRAPHS = ("fast", "tutorial")
_DCGAN_DEFAULT_FILTERS = {28: 28, 64: 128}
D_LEVERS = dict(minibatch_std=False, spectral_norm=False)  # the discriminators' levers, off


def _noise(nz):
    """The Variable "rand" (B, nz, 1, 1); declaring nz lets parameter shapes infer without it."""
    return mx.sym.Variable("rand", shape=(0, nz, 1, 1))


# ---- DCGAN --------------------------------------------------------------------------------------

def dcgan_generator(*, size=64, nz=100, ngf=None, channels=3, prefix="g_", fast=True):
    """DCGAN generator: noise "rand" (B, nz, 1, 1) to tanh images (B, channels, size, size).

    ``size`` 64 is MXNet's DCGAN tutorial's network, 28 the torch-for-R tutorial's; ``ngf``
    (None: 128 for 64 px, 28 for 28 px) is the last hidden layer's width, the others multiples.
    """
    check_choice("size", size, DCGAN_SIZES)
    ngf = _DCGAN_DEFAULT_FILTERS[size] if ngf is None else ngf
    build = _generator64 if size == 64 else _generator28
    return build(mx.sym.flatten(_noise(nz)), LayerFactory(prefix, fast=fast), in_channels=nz,
                 ngf=ngf, channels=channels)


def _generator64(code, g, *, in_channels, ngf, channels):
    """MXNet's DCGAN tutorial's generator: a code (B, in_channels) to 64 px images."""
    net = g.first_deconv(code, in_channels=in_channels, num_filter=8 * ngf, kernel=4)
    net = g.relu(g.batch_norm(net))  # (B, 8*ngf, 4, 4)
    net = g.deconv(net, 4 * ngf, kernel=4, stride=2, pad=1)
    net = g.relu(g.batch_norm(net))  # (B, 4*ngf, 8, 8)
    net = g.deconv(net, 2 * ngf, kernel=4, stride=2, pad=1)
    net = g.relu(g.batch_norm(net))  # (B, 2*ngf, 16, 16)
    net = g.deconv(net, ngf, kernel=4, stride=2, pad=1)
    net = g.relu(g.batch_norm(net))  # (B, ngf, 32, 32)
    net = g.deconv(net, channels, kernel=4, stride=2, pad=1)
    return g.tanh(net)  # (B, channels, 64, 64)


def _generator28(code, g, *, in_channels, ngf, channels):
    """The torch-for-R DCGAN tutorial's generator: a code (B, in_channels) to 28 px images."""
    net = g.first_deconv(code, in_channels=in_channels, num_filter=4 * ngf, kernel=4)
    net = g.relu(g.batch_norm(net))  # (B, 4*ngf, 4, 4)
    net = g.deconv(net, 2 * ngf, kernel=4, stride=2, pad=1)
    net = g.relu(g.batch_norm(net))  # (B, 2*ngf, 8, 8)
    net = g.deconv(net, ngf, kernel=4, stride=2, pad=2)
    net = g.relu(g.batch_norm(net))  # (B, ngf, 14, 14)
    net = g.deconv(net, channels, kernel=4, stride=2, pad=1)
    return g.tanh(net)  # (B, channels, 28, 28)


def dcgan_discriminator(*, size=64, ndf=None, channels=3, prefix="d_", fast=True,
                        minibatch_std=False, spectral_norm=False):
    """DCGAN discriminator: images "data" (B, channels, size, size) to logits (B, 1); the
    options are those of `dcgan_generator`, ``ndf`` being the first layer's width, and the
    levers (`D_LEVERS`)."""
    check_choice("size", size, DCGAN_SIZES)
    ndf = _DCGAN_DEFAULT_FILTERS[size] if ndf is None else ndf
    build = _discriminator64 if size == 64 else _discriminator28
    d = LayerFactory(prefix, fast=fast, spectral_norm=spectral_norm)
    return build(mx.sym.Variable("data"), d, ndf=ndf, minibatch_std=minibatch_std)


def _discriminator64(data, d, *, ndf, minibatch_std):
    """MXNet's DCGAN tutorial's discriminator: 64 px images to logits (B, 1)."""
    net = d.lrelu(d.conv(data, ndf, kernel=4, stride=2, pad=1))  # (B, ndf, 32, 32)
    net = d.conv(net, 2 * ndf, kernel=4, stride=2, pad=1)
    net = d.lrelu(d.batch_norm(net))  # (B, 2*ndf, 16, 16)
    net = d.conv(net, 4 * ndf, kernel=4, stride=2, pad=1)
    net = d.lrelu(d.batch_norm(net))  # (B, 4*ndf, 8, 8)
    net = d.conv(net, 8 * ndf, kernel=4, stride=2, pad=1)
    net = d.lrelu(d.batch_norm(net))  # (B, 8*ndf, 4, 4)
    return d.last_conv(net, in_channels=8 * ndf, in_size=4, kernel=4, stride=1, pad=0,
                       minibatch_std=minibatch_std)  # (B, 1)


def _discriminator28(data, d, *, ndf, minibatch_std):
    """The torch-for-R DCGAN tutorial's discriminator: 28 px images to logits (B, 1)."""
    net = d.lrelu(d.conv(data, ndf, kernel=4, stride=2, pad=1))  # (B, ndf, 14, 14)
    net = d.conv(net, 2 * ndf, kernel=4, stride=2, pad=1)
    net = d.lrelu(d.batch_norm(net))  # (B, 2*ndf, 7, 7)
    net = d.conv(net, 4 * ndf, kernel=4, stride=2, pad=1)
    net = d.lrelu(d.batch_norm(net))  # (B, 4*ndf, 3, 3)
    return d.last_conv(net, in_channels=4 * ndf, in_size=3, kernel=4, stride=2, pad=1,
                       minibatch_std=minibatch_std)  # (B, 1)


# ---- conditional GANs ---------------------------------------------------------------------------

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
    g = LayerFactory(prefix, fast=fast)
    code = _conditioned_code(nz, condition, prefix)
    net = g.first_deconv(code, in_channels=NUM_CLASSES + nz, num_filter=ngf[0], kernel=4)
    net = g.relu(g.batch_norm(net))  # (B, ngf[0], 4, 4)
    net = g.deconv(net, ngf[1], kernel=3, stride=2, pad=1)
    net = g.relu(g.batch_norm(net))  # (B, ngf[1], 7, 7)
    net = g.deconv(net, ngf[2], kernel=4, stride=2, pad=1)
    net = g.relu(g.batch_norm(net))  # (B, ngf[2], 14, 14)
    net = g.deconv(net, 1, kernel=4, stride=2, pad=1)
    return g.tanh(net)  # (B, 1, 28, 28)


def _check_three_filters(option, filters):
    """Raise ValueError unless ``filters`` holds three filter counts."""
    if len(filters) != 3:
        raise ValueError("%s must hold 3 filter counts, got %r" % (option, filters))


def cgan_discriminator(*, ndf=(24, 32, 64), condition="onehot", prefix="d_", fast=True,
                       minibatch_std=False, spectral_norm=False):
    """MXNet's R CGAN tutorial's discriminator: images "data" (B, 1, 28, 28) and digit "cond"
    (as for `cgan_generator`) to logits (B, 1); the levers (`D_LEVERS`) act before its
    fully-connected last layer.

    The third convolution is 4x4 as in the R setup file's graph, where a 3x3 one is also defined
    but not connected to the output.
    """
    _check_three_filters("ndf", ndf)
    d = LayerFactory(prefix, fast=fast, spectral_norm=spectral_norm)
    cond = _condition_vector(condition, prefix)
    net = d.conditioned_conv(mx.sym.Variable("data"), cond, ndf[0], num_classes=NUM_CLASSES,
                             kernel=3, stride=1, pad=0)
    net = d.elu(d.batch_norm(net))  # (B, ndf[0], 26, 26)
    net = d.max_pool(net)  # (B, ndf[0], 13, 13)
    net = d.conv(net, ndf[1], kernel=3, stride=2)
    net = d.elu(d.batch_norm(net))  # (B, ndf[1], 6, 6)
    net = d.conv(net, ndf[2], kernel=4, stride=1)
    net = d.elu(d.batch_norm(net))  # (B, ndf[2], 3, 3)
    if minibatch_std:
        net = d.minibatch_std(net, before="fc")  # (B, ndf[2] + 1, 3, 3)
    net = d.flatten(net)  # (B, 9*ndf[2]), 9*(ndf[2]+1) with the minibatch std
    return d.fully_connected(net, 1, name="fc")  # (B, 1)


def cdcgan_generator(*, nz=100, ngf=28, condition="onehot", prefix="g_", fast=True):
    """A conditional DCGAN generator: the torch-for-R tutorial's 28 px network drawing from the
    digit and the noise joined as in the R CGAN tutorial (options as for `cgan_generator`)."""
    return _generator28(_conditioned_code(nz, condition, prefix), LayerFactory(prefix, fast=fast),
                        in_channels=NUM_CLASSES + nz, ngf=ngf, channels=1)


def cdcgan_discriminator(*, ndf=28, condition="onehot", projection=False, classifier=False,
                         prefix="d_", fast=True, minibatch_std=False, spectral_norm=False):
    """A conditional DCGAN discriminator: the 28 px DCGAN discriminator whose first layer also
    sees the digit as constant planes, as in the R CGAN tutorial. ``projection`` adds to its
    logit the projection term of Miyato and Koyama (2018), `_projection`; ``classifier`` makes
    it a group of (logit, the ten digit logits of `_classifier`); the levers: `D_LEVERS`."""
    d = LayerFactory(prefix, fast=fast, spectral_norm=spectral_norm)
    cond = _condition_vector(condition, prefix)
    net = d.conditioned_conv(mx.sym.Variable("data"), cond, ndf, num_classes=NUM_CLASSES,
                             kernel=4, stride=2, pad=1)
    net = d.lrelu(net)  # (B, ndf, 14, 14)
    net = d.conv(net, 2 * ndf, kernel=4, stride=2, pad=1)
    net = d.lrelu(d.batch_norm(net))  # (B, 2*ndf, 7, 7)
    features = d.conv(net, 4 * ndf, kernel=4, stride=2, pad=1)
    features = d.lrelu(d.batch_norm(features))  # (B, 4*ndf, 3, 3)
    logits = d.last_conv(features, in_channels=4 * ndf, in_size=3, kernel=4, stride=2, pad=1,
                         minibatch_std=minibatch_std)  # (B, 1)
    if projection:
        logits = logits + _projection(features, cond, d, channels=4 * ndf)
    if classifier:
        return mx.sym.Group([logits, _classifier(features, d)])
    return logits


def _classifier(features, d):
    """AC-GAN's auxiliary classifier on D's last features summed over space: the ten digits'
    logits (B, 10), from the same features as the projection."""
    pooled = mx.sym.sum(features, axis=(2, 3), name=d.prefix + "class_pool")  # (B, channels)
    return d.fully_connected(pooled, NUM_CLASSES, name="class")  # (B, 10)


def _projection(features, cond, d, *, channels):
    """The inner product of the digit's learned embedding (B, channels) with D's last features
    summed over space: (B, 1). The digit then weighs on D's verdict directly, not only through
    the planes its first layer sees, which makes G draw the digit asked for more reliably. With
    ``spectral_norm`` the embedding is normalised too, as in Miyato and Koyama's code."""
    pooled = mx.sym.sum(features, axis=(2, 3), name=d.prefix + "proj_pool")  # (B, channels)
    embedded = d.fully_connected(cond, channels, no_bias=True, name="proj")  # (B, channels)
    return mx.sym.sum(pooled * embedded, axis=1, keepdims=True, name=d.prefix + "proj_sum")


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
