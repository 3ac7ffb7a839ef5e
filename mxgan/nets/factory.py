"""The layers of one network as its builder asks for them: named with the network's prefix and
its stage, and built with the network's options, so a builder reads as the tutorial's chain.

A stage is opened by its (de)convolution, numbered from 1; the normalisation and activation after
it take its number (``g_deconv2``, ``g_bn2``, ``g_relu2``). ``fast`` picks the exact faster
formulations of `mxgan.nets.layers`; ``spectral_norm`` (a discriminator's lever) normalises every
convolution and fully-connected weight by its spectral norm and drops the BatchNorm layers, as
SNGAN's discriminator has none.
"""
import mxnet as mx

from . import layers


class LayerFactory:
    """Layers named ``<prefix><layer><stage>`` with one network's ``fast`` and ``spectral_norm``."""

    def __init__(self, prefix, *, fast=True, spectral_norm=False):
        self.prefix = prefix
        self.fast = fast
        self.spectral_norm = spectral_norm
        self.stage = 0

    def _opens_stage(self, layer):
        self.stage += 1
        return self._name(layer)

    def _name(self, layer):
        return "%s%s%d" % (self.prefix, layer, self.stage)

    # ---- the layers that open a stage ---------------------------------------------------------
    def first_deconv(self, code, *, in_channels, num_filter, kernel):
        """A generator's first layer: a k x k Deconvolution of the code (B, in_channels)."""
        return layers.first_deconvolution(code, in_channels=in_channels, num_filter=num_filter,
                                          kernel=kernel, name=self._opens_stage("deconv"),
                                          fast=self.fast)

    def deconv(self, net, num_filter, *, kernel, stride, pad):
        """A bias-free Deconvolution."""
        return layers.deconvolution(net, num_filter=num_filter, kernel=kernel, stride=stride,
                                    pad=pad, name=self._opens_stage("deconv"))

    def conv(self, net, num_filter, *, kernel, stride, pad=0):
        """A bias-free Convolution."""
        return layers.convolution(net, num_filter=num_filter, kernel=kernel, stride=stride,
                                  pad=pad, name=self._opens_stage("conv"),
                                  spectral_norm=self.spectral_norm)

    def conditioned_conv(self, image, cond, num_filter, *, num_classes, kernel, stride, pad):
        """A conditional discriminator's first layer: the 28 px image (B, 1, 28, 28) convolved
        with the digit ``cond`` (B, num_classes) as constant planes beside it."""
        return layers.conditioned_convolution(
            image, cond, image_channels=1, num_classes=num_classes, size=28,
            num_filter=num_filter, kernel=kernel, stride=stride, pad=pad,
            name=self._opens_stage("conv"), fast=self.fast, spectral_norm=self.spectral_norm)

    def last_conv(self, net, *, in_channels, in_size, kernel, stride, pad, minibatch_std=False):
        """A discriminator's last layer: the 1-filter Convolution of ``net`` (B, in_channels,
        in_size, in_size) whose output is 1 x 1, as logits (B, 1); with ``minibatch_std`` the
        minibatch standard deviation is one more feature map of its input."""
        name = self._opens_stage("conv")
        if minibatch_std:
            net = layers.minibatch_std(net, name=name + "_mbstd")  # (B, in_channels + 1, ...)
            in_channels += 1
        return layers.last_convolution(net, in_channels=in_channels, in_size=in_size,
                                       kernel=kernel, stride=stride, pad=pad, name=name,
                                       fast=self.fast, spectral_norm=self.spectral_norm)

    # ---- the layers that follow, named with the stage ----------------------------------------
    def batch_norm(self, net):
        """BatchNorm with gamma fixed at 1; none with ``spectral_norm``."""
        if self.spectral_norm:
            return net
        return layers.batch_norm(net, name=self._name("bn"))

    def relu(self, net):
        return mx.sym.Activation(net, act_type="relu", name=self._name("relu"))

    def lrelu(self, net):
        """LeakyReLU with slope 0.2, as in the DCGAN tutorials."""
        return mx.sym.LeakyReLU(net, act_type="leaky", slope=0.2, name=self._name("lrelu"))

    def elu(self, net):
        """ELU with slope 0.25, as in the R CGAN tutorial's discriminator."""
        return mx.sym.LeakyReLU(net, act_type="elu", slope=0.25, name=self._name("elu"))

    def max_pool(self, net):
        """2 x 2 max pooling, stride 2."""
        return mx.sym.Pooling(net, pool_type="max", kernel=(2, 2), stride=(2, 2),
                              name=self._name("pool"))

    # ---- named layers outside the stages ---------------------------------------------------
    def tanh(self, net):
        return mx.sym.Activation(net, act_type="tanh", name=self.prefix + "tanh")

    def minibatch_std(self, net, *, before):
        """ProGAN's minibatch standard deviation (`mxgan.nets.layers.minibatch_std`) as the
        input of the layer named ``before``."""
        return layers.minibatch_std(net, name="%s%s_mbstd" % (self.prefix, before))

    def flatten(self, net):
        return mx.sym.Flatten(net, name=self.prefix + "flatten")

    def fully_connected(self, net, num_hidden, *, name, **options):
        """A FullyConnected layer ``<prefix><name>``, its weight spectrally normalised with
        ``spectral_norm``; without, the weight FullyConnected makes itself, as in the graphs of
        runs before the levers."""
        name = self.prefix + name
        if self.spectral_norm:
            options["weight"] = layers.layer_weight(name, rows=num_hidden, ndim=2,
                                                    spectral_norm=True)
        return mx.sym.FullyConnected(net, num_hidden=num_hidden, name=name, **options)
