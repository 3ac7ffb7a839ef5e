"""What both GAN trainers share: optimiser and initialiser settings, losses, and MXNet internals.

The DCGAN trainer (`mxgan.dcgan`) drives ``mx.mod.Module``; the conditional one (`mxgan.cgan`)
drives bare executors. Both report the same five numbers per step, computed on the device so the
hot loop never waits for a host copy.
"""
import mxnet as mx

METRICS = ("d_loss_real", "d_loss_fake", "g_loss", "d_real", "d_fake")
_EPS = 1e-12


def adam(batch_size, lr=2e-4, beta1=0.5):
    """Adam as in the DCGAN paper and seed 003 (lr 2e-4, beta1 0.5).

    The losses' gradients are sums over the batch; ``rescale_grad`` makes them means, as
    Module does when it creates the optimiser itself.
    """
    return mx.optimizer.create("adam", learning_rate=lr, beta1=beta1, rescale_grad=1.0 / batch_size)


def initializer(sigma=0.02):
    """Normal(0, sigma) weights, unit BatchNorm gamma and zero beta (MXNet's name-based rules)."""
    return mx.init.Normal(sigma)


def cross_entropy(prob, target):
    """Mean binary cross-entropy of D's probabilities (an NDArray) against a constant target:
    the loss `LogisticRegressionOutput` descends."""
    p = mx.nd.clip(prob, _EPS, 1 - _EPS)
    return -(target * mx.nd.log(p) + (1 - target) * mx.nd.log(1 - p)).mean()


def step_metrics(prob_real, prob_fake, prob_gen, real_label=1.0):
    """The five per-step numbers of `METRICS` as one NDArray, from D's outputs in the step.

    ``prob_fake`` is D's verdict on the fakes before its update, ``prob_gen`` after it (the pass
    whose gradient trains G), so ``g_loss`` is the loss G actually descended; ``d_loss_real``
    is measured against D's target for real images (below 1 with label smoothing).
    """
    return mx.nd.concat(cross_entropy(prob_real, real_label), cross_entropy(prob_fake, 0),
                        cross_entropy(prob_gen, 1), prob_real.mean(), prob_fake.mean(), dim=0)


def zero(arrays):
    """Set every array to 0 in one operator call (MXNet's own ``reset_arrays``)."""
    mx.nd.reset_arrays(*arrays, num_arrays=len(arrays))


def module_grad_arrays(module):
    """Every parameter gradient of a bound Module, all devices, as one flat list.

    Module has no public accessor for these; this is the one place mxgan reaches into
    ``_exec_group``.
    """
    return [grad for per_device in module._exec_group.grad_arrays for grad in per_device]


def module_updater(module):
    """The `mx.optimizer.Updater` that holds a Module's optimiser state (mxgan always keeps the
    optimiser in the Module, see `mxgan.parallel`)."""
    return module._updater
