"""Layers of the tutorials' networks, each as the tutorial writes it or as an exact faster
formulation (``fast=True``) with the same parameter names and shapes, and the oneDNN workarounds.

Every fast formulation computes the tutorial layer's function and gradients (to float rounding;
`tests/test_layers.py` checks each), so a checkpoint of one graph loads into the other. Measured
on 2 cores, forward and backward, batch 64 (benchmarks/README.md has the whole table):
- D's last convolution, whose output is 1 x 1, as a matrix product: 1.50 -> 0.07 ms (28 px),
  4.10 -> 0.14 ms (64 px); D runs three times a step.
- a convolution of constant condition planes as a per-class bias map: D's first layer of the
  CGAN 22.7 -> 15.2 ms.
- G's first layer, a k x k deconvolution of a 1 x 1 input, as a matrix product: 57 -> 7.6 ms.
Tried and dropped (slower here): stride-2 deconvolutions as sub-pixel convolutions with
``depth_to_space`` (exact, but 1.4x-8x slower: oneDNN's 3x3 forward kernels do not beat its
deconvolution at these sizes), 2 x 2 max pooling as a reshape and ``max`` (28x slower) and
``contrib.BatchNormWithReLU`` (3x slower than BatchNorm then ReLU).
"""
import mxnet as mx

from . import spectral

BN_EPS = 1e-5 + 1e-12  # cuDNN rejects eps <= 1e-5; MXNet's tutorials add 1e-12 to stay above it


def batch_norm(data, name):
    """BatchNorm with gamma fixed at 1, as in MXNet's DCGAN and CGAN tutorials."""
    return mx.sym.BatchNorm(data, fix_gamma=True, eps=BN_EPS, name=name)


def layer_weight(name, *, rows, shape=None, ndim=4, spectral_norm=False):
    """The Variable "<name>_weight" (``rows`` first, ``ndim`` axes), or with ``spectral_norm``
    the weight divided by its spectral norm (`mxgan.nets.spectral.normalized_weight`)."""
    weight = mx.sym.Variable(name + "_weight", shape=shape)
    if not spectral_norm:
        return weight
    return spectral.normalized_weight(weight, layer=name, rows=rows, ndim=ndim)


def convolution(data, *, num_filter, kernel, stride=1, pad=0, name, weight=None,
                spectral_norm=False):
    """Bias-free square Convolution; its own weight, spectrally normalised with
    ``spectral_norm``, unless ``weight`` is given."""
    if weight is None:
        weight = layer_weight(name, rows=num_filter, spectral_norm=spectral_norm)
    return mx.sym.Convolution(data, weight=weight, num_filter=num_filter, kernel=(kernel, kernel),
                              stride=(stride, stride), pad=(pad, pad), no_bias=True, name=name)


def deconvolution(data, *, num_filter, kernel, stride, pad, name):
    """Bias-free square Deconvolution; a 1-filter layer goes through `_two_filters_one_kept`."""
    if num_filter == 1:
        return _two_filters_one_kept(data, kernel=kernel, stride=stride, pad=pad, name=name)
    return mx.sym.Deconvolution(data, num_filter=num_filter, kernel=(kernel, kernel),
                                stride=(stride, stride), pad=(pad, pad), no_bias=True, name=name)


def _two_filters_one_kept(data, *, kernel, stride, pad, name):
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


def first_deconvolution(code, *, in_channels, num_filter, kernel, name, fast):
    """G's first layer: a k x k Deconvolution of the code (B, in_channels) as a 1 x 1 image.

    Fast: the matrix product it is, out[b, o, i, j] = sum_c code[b, c] W[c, o, i, j], with W
    named and shaped as the Deconvolution weight (in, out, k, k).
    """
    weight = mx.sym.Variable(name + "_weight", shape=(in_channels, num_filter, kernel, kernel))
    if not fast:
        image = mx.sym.reshape(code, shape=(0, 0, 1, 1))  # (B, in, 1, 1)
        return mx.sym.Deconvolution(image, weight=weight, num_filter=num_filter,
                                    kernel=(kernel, kernel), no_bias=True, name=name)
    product = mx.sym.dot(code, mx.sym.reshape(weight, shape=(in_channels, -1)),
                         name=name)  # (B, out*k*k)
    return mx.sym.reshape(product, shape=(0, num_filter, kernel, kernel),
                          name=name + "_map")  # (B, out, k, k)


def last_convolution(data, *, in_channels, in_size, kernel, stride, pad, name, fast,
                     spectral_norm=False):
    """D's last layer: a 1-filter Convolution whose output is 1 x 1, flattened to logits (B, 1).

    Fast: only the kernel taps over the image (the others meet padding) multiply anything, so
    it is a FullyConnected layer with those taps as its weight (named and shaped as the
    Convolution's (1, in, k, k); with ``spectral_norm``, the taps of the normalised weight).
    """
    weight = layer_weight(name, rows=1, shape=(1, in_channels, kernel, kernel),
                          spectral_norm=spectral_norm)
    if not fast:
        net = convolution(data, num_filter=1, kernel=kernel, stride=stride, pad=pad, name=name,
                          weight=weight)
        return mx.sym.Flatten(net, name=name + "_flatten")
    taps = mx.sym.slice(weight, begin=(None, None, pad, pad),
                        end=(None, None, pad + in_size, pad + in_size))  # over the image
    return mx.sym.FullyConnected(data, weight=mx.sym.reshape(taps, shape=(1, -1)), num_hidden=1,
                                 no_bias=True, flatten=True, name=name)  # (B, 1)


def conditioned_convolution(image, cond, *, image_channels, num_classes, size, num_filter,
                            kernel, stride=1, pad=0, name, fast, spectral_norm=False):
    """D's first layer of a CGAN: a Convolution of the image with the condition (B, classes)
    broadcast to constant planes beside it, with the weight (out, image + classes, k, k)
    (spectrally normalised as a whole with ``spectral_norm``).

    Fast: a constant plane convolves to the same map for every image, so the planes' part is a
    per-class bias map (borders included: it is the convolution of a plane of ones) mixed by
    the condition; only the image is convolved per image.
    """
    weight = layer_weight(name, rows=num_filter, spectral_norm=spectral_norm,
                          shape=(num_filter, image_channels + num_classes, kernel, kernel))
    conv = dict(num_filter=num_filter, kernel=kernel, stride=stride, pad=pad)
    if not fast:
        planes = mx.sym.broadcast_to(mx.sym.reshape(cond, shape=(0, 0, 1, 1)),
                                     shape=(0, 0, size, size), name=name + "_planes")
        return convolution(mx.sym.concat(image, planes, dim=1, name=name + "_concat"),
                           name=name, weight=weight, **conv)
    image_weight = mx.sym.slice_axis(weight, axis=1, begin=0, end=image_channels)
    class_weight = mx.sym.slice_axis(weight, axis=1, begin=image_channels, end=None)
    ones = mx.sym.ones_like(mx.sym.slice(image, begin=(0, 0, 0, 0), end=(1, 1, None, None)))
    per_class = convolution(ones, name=name + "_class", weight=mx.sym.reshape(
        class_weight, shape=(num_filter * num_classes, 1, kernel, kernel)),
        **dict(conv, num_filter=num_filter * num_classes))
    maps = mx.sym.reshape(per_class, shape=(num_filter, num_classes, -1))  # (out, classes, HW)
    bias = mx.sym.dot(cond, mx.sym.transpose(maps, axes=(1, 0, 2)))  # (B, out, HW)
    by_image = convolution(image, name=name + "_image", weight=image_weight, **conv)
    return by_image + mx.sym.reshape_like(bias, by_image)


def minibatch_std(data, *, name):
    """ProGAN's minibatch standard deviation: ``data`` (B, C, H, W) with one more feature map,
    constant, holding the standard deviation of each feature over the batch averaged to one
    number: (B, C + 1, H, W). D can then tell a batch of fakes by its lack of variety.

    The batch is the one this graph computes: a device's slice when a batch is split across
    devices.
    """
    mean = mx.sym.mean(data, axis=0, keepdims=True)  # (1, C, H, W)
    variance = mx.sym.mean(mx.sym.square(mx.sym.broadcast_sub(data, mean)), axis=0)  # (C, H, W)
    spread = mx.sym.mean(mx.sym.sqrt(variance + 1e-8))  # (1,)
    plane = mx.sym.slice_axis(data, axis=1, begin=0, end=1)  # (B, 1, H, W), for its shape
    feature = mx.sym.broadcast_like(mx.sym.reshape(spread, shape=(1, 1, 1, 1)), plane,
                                    name=name + "_map")  # (B, 1, H, W)
    return mx.sym.concat(data, feature, dim=1, name=name)  # (B, C + 1, H, W)
