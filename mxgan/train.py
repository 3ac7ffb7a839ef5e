"""What both GAN trainers share: the `Trainer` interface `mxgan.fit` drives, their checkpoint
code, the optimiser and initialiser settings, and the five numbers every step reports.

The DCGAN trainer (`mxgan.dcgan.ModuleGAN`) drives ``mx.mod.Module``; the conditional one
(`mxgan.cgan.ExecutorGAN`) drives bare executors. The step metrics are computed on the device
so the hot loop never waits for a host copy.
"""
import abc

import mxnet as mx

from . import checkpoint, mxnet_internals

METRICS = ("d_loss_real", "d_loss_fake", "g_loss", "d_real", "d_fake")
NETS = ("generator", "discriminator")
_EPS = 1e-12


class Trainer(abc.ABC):
    """A generator and a discriminator bound for adversarial training, as `mxgan.fit` sees them.

    Subclasses set ``batch_size`` (the global batch), ``worker_batch`` (this process's share),
    ``context`` (list of devices), ``cluster`` (`mxgan.parallel.Cluster`) and ``symbols``
    ({net: Symbol} for `NETS`), and give each network's parameters and updater; checkpoints
    (`nets`, `restore`) are then the same for every trainer.
    """

    @abc.abstractmethod
    def step(self, **batch):
        """One adversarial step on a batch of named arrays; returns `METRICS` as one NDArray."""

    @abc.abstractmethod
    def monitor(self):
        """The fixed monitoring inputs drawn by the current G: (images (N, C, H, W), columns)."""

    @abc.abstractmethod
    def get_params(self, net):
        """(arg_params, aux_params) of network ``net`` on the CPU, as ``Module.get_params``."""

    @abc.abstractmethod
    def set_params(self, net, arg_params, aux_params):
        """Load parameters into every device's copy of network ``net``."""

    @abc.abstractmethod
    def updater(self, net):
        """The `mx.optimizer.Updater` holding network ``net``'s optimiser state."""

    @property
    def device_ids(self):
        """The devices holding the copies of each parameter, in optimiser-index order."""
        return [ctx.device_id for ctx in self.context]

    def nets(self):
        """Graph, parameters and optimiser state of both networks, for `mxgan.checkpoint.save`."""
        mxnet_internals.wait_for_queued_work()
        return {net: checkpoint.NetState(self.symbols[net], *self.get_params(net),
                                         updater=self.updater(net), device_ids=self.device_ids)
                for net in NETS}

    def restore(self, ckpt_dir):
        """Load both networks' parameters and optimiser state from a checkpoint."""
        for net in NETS:
            current = self.get_params(net)
            arg_params, aux_params = checkpoint.load_params(ckpt_dir, net, like=current)
            shapes = [array.shape for array in current[0].values()]
            checkpoint.restore_updater(ckpt_dir, net, self.updater(net), self.device_ids,
                                       shapes=shapes)
            self.set_params(net, arg_params, aux_params)


def adam(batch_size, lr=2e-4, beta1=0.5):
    """Adam as in the DCGAN paper and MXNet's DCGAN tutorial (lr 2e-4, beta1 0.5).

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
