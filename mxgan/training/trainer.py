"""What both GAN trainers share: the `Trainer` interface `mxgan.training.loop` drives, their
checkpoint code, the optimiser and initialiser settings, and the numbers every step reports.

The DCGAN trainer (`mxgan.training.dcgan.ModuleGAN`) drives ``mx.mod.Module``; the conditional
one (`mxgan.training.cgan.ExecutorGAN`) drives bare executors. The step metrics are computed on the
device so the hot loop never waits for a host copy.
"""
import abc
from dataclasses import dataclass
from typing import Optional

import mxnet as mx

from .. import mxnet_internals
from . import checkpoint

# Per step: D's losses on reals and fakes, G's loss, D's mean outputs, and 1 when every parameter
# and gradient is finite after it (else 0; see `Trainer.all_finite`).
METRICS = ("d_loss_real", "d_loss_fake", "g_loss", "d_real", "d_fake", "finite")
NETS = ("generator", "discriminator")
AVERAGE = "generator_ema"  # the checkpoint's name for G's weight average
# D's probabilities are clipped to [EPS, 1 - EPS] before the logarithm: 1e-7 is the smallest margin
# float32 keeps apart from 1 (1 - 1e-12 rounds to 1, and 0 * log(0) is NaN), so a saturated D
# gives a large finite loss (at most -log(1e-7) = 16.1), never NaN.
_EPS = 1e-7


@dataclass(frozen=True)
class Recipe:
    """How both networks are optimised: Adam for each (MXNet's DCGAN tutorial: lr 2e-4, beta1
    0.5), D's target for real images, and the moving average of G's weights used for sampling.

    ``lr_d`` sets D's learning rate apart (two time-scales; None: ``lr``); ``decay_steps`` makes
    both rates fall linearly to 0 over that many steps (None: constant); ``real_label`` below 1
    is one-sided label smoothing; ``ema_decay`` 0 turns the average off.
    """

    lr: float = 2e-4
    lr_d: Optional[float] = None
    beta1: float = 0.5
    decay_steps: Optional[int] = None
    real_label: float = 1.0
    ema_decay: float = 0.0
    sigma: float = 0.02

    def base_lr(self, net):
        """Network ``net``'s learning rate before any decay."""
        return self.lr_d if net == "discriminator" and self.lr_d else self.lr

    def learning_rate(self, net, step):
        """Network ``net``'s learning rate at ``step`` (1: the first), as its optimiser's
        schedule gives it."""
        decay = max(0.0, 1.0 - step / self.decay_steps) if self.decay_steps else 1.0
        return self.base_lr(net) * decay

    def optimizer(self, net, batch_size):
        """Adam for network ``net`` whose gradients are sums over ``batch_size`` images
        (``rescale_grad`` makes them means, as Module does when it creates the optimiser)."""
        lr = self.base_lr(net)
        schedule = None
        if self.decay_steps:
            schedule = mx.lr_scheduler.PolyScheduler(max_update=self.decay_steps, base_lr=lr,
                                                     pwr=1, final_lr=0)
        return mx.optimizer.create("adam", learning_rate=lr, beta1=self.beta1,
                                   rescale_grad=1.0 / batch_size, lr_scheduler=schedule)

    def initializer(self):
        """Normal(0, sigma) weights, unit BatchNorm gamma and zero beta (by parameter name)."""
        return mx.init.Normal(self.sigma)


class WeightAverage:
    """An exponential moving average of G's weights, on G's device, updated after each G step.

    Sampling from the average instead of the last weights smooths out the step-to-step wobble of
    adversarial training. The decay ramps up from 0 as ``min(decay, (1 + t) / (10 + t))`` at
    step t, so the average soon forgets the random initial weights.
    """

    def __init__(self, names, weights, decay):
        self.names, self.weights, self.decay = names, weights, decay
        self.average = [weight.copy() for weight in weights]
        self.steps = 0

    def update(self):
        self.steps += 1
        keep = min(self.decay, (1.0 + self.steps) / (10.0 + self.steps))
        for average, weight in zip(self.average, self.weights):
            average -= (1 - keep) * (average - weight)

    def params_on_cpu(self):
        return {name: average.as_in_context(mx.cpu())
                for name, average in zip(self.names, self.average)}

    def restore(self, arg_params, steps):
        for name, average in zip(self.names, self.average):
            arg_params[name].copyto(average)
        self.steps = steps


class Trainer(abc.ABC):
    """A generator and a discriminator bound for adversarial training, as `mxgan.training.loop`
    sees them.

    Subclasses set ``batch_size`` (the global batch), ``worker_batch`` (this process's share),
    ``context`` (list of devices), ``cluster`` (`mxgan.training.parallel.Cluster`), ``recipe``
    (`Recipe`) and ``symbols`` ({net: Symbol} for `NETS`), give each network's parameters,
    updater and device-0 arrays, and call `_after_generator_update` after each G step;
    checkpoints (`nets`, `restore`), the weight average and the finiteness check are then the
    same for every trainer.
    """

    average = None
    _checked = None  # the arrays `all_finite` reduces, gathered once

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

    @abc.abstractmethod
    def param_arrays(self, net):
        """[(name, weight, gradient)] of network ``net`` on the first device: the arrays the
        step computes with and writes (not copies)."""

    def _start_average(self):
        if self.recipe.ema_decay:
            names, weights, _ = zip(*self.param_arrays("generator"))
            self.average = WeightAverage(list(names), list(weights), self.recipe.ema_decay)

    def _after_generator_update(self):
        if self.average is not None:
            self.average.update()

    @property
    def device_ids(self):
        """The devices holding the copies of each parameter, in optimiser-index order."""
        return [ctx.device_id for ctx in self.context]

    def all_finite(self):
        """1 (an NDArray on the first device) when every parameter and gradient of both networks
        there is finite, else 0.

        One fused reduction queued behind the step (MXNet's ``multi_sum_sq``, then the total's
        finiteness), read on the host with the step's other `METRICS`, so checking costs no wait:
        measured 1.3 ms a step on 2 cores for the default DCGAN's 0.9 M numbers, where
        ``multi_all_finite`` took 20 ms. A value beyond 1.8e19, whose square overflows float32,
        counts as non-finite too: diverged either way. The first device suffices: every copy of
        a parameter receives the same summed gradient.
        """
        if self._checked is None:
            self._checked = [array for net in NETS for _, weight, grad in self.param_arrays(net)
                             for array in (weight, grad)]
        squares = mx.nd.multi_sum_sq(*self._checked, num_arrays=len(self._checked))
        return mx.nd.contrib.isfinite(squares.sum())

    def sampling_params(self):
        """(arg_params, aux_params) on the CPU of the generator samples are drawn from: G's
        weight average where the run keeps one, else G (as `mxgan.generate.sampling_net`)."""
        mxnet_internals.wait_for_queued_work()
        arg_params, aux_params = self.get_params("generator")
        if self.average is not None:
            arg_params = self.average.params_on_cpu()
        return arg_params, aux_params

    def nets(self):
        """Graph, parameters and optimiser state of both networks, for
        `mxgan.training.checkpoint.save`."""
        mxnet_internals.wait_for_queued_work()
        nets = {net: checkpoint.NetState(self.symbols[net], *self.get_params(net),
                                         updater=self.updater(net), device_ids=self.device_ids)
                for net in NETS}
        if self.average is not None:
            nets[AVERAGE] = checkpoint.NetState(self.symbols["generator"],
                                                self.average.params_on_cpu(),
                                                nets["generator"].aux_params)
        return nets

    def restore(self, ckpt_dir):
        """Load both networks' parameters and optimiser state (and G's weight average) from a
        checkpoint."""
        for net in NETS:
            current = self.get_params(net)
            arg_params, aux_params = checkpoint.load_params(ckpt_dir, net, like=current)
            shapes = [array.shape for array in current[0].values()]
            checkpoint.restore_updater(ckpt_dir, net, self.updater(net), self.device_ids,
                                       shapes=shapes)
            self.set_params(net, arg_params, aux_params)
        if self.average is not None:
            like = self.get_params("generator")
            arg_params, _ = checkpoint.load_params(ckpt_dir, AVERAGE, like=like)
            self.average.restore(arg_params, checkpoint.load_meta(ckpt_dir)["iteration"])


def cross_entropy(prob, target):
    """Mean binary cross-entropy of D's probabilities (an NDArray) against a constant target:
    the loss `LogisticRegressionOutput` descends."""
    p = mx.nd.clip(prob, _EPS, 1 - _EPS)
    return -(target * mx.nd.log(p) + (1 - target) * mx.nd.log(1 - p)).mean()


def step_metrics(prob_real, prob_fake, prob_gen, finite, real_label=1.0):
    """The per-step numbers of `METRICS` as one NDArray, from D's outputs in the step and the
    step's `Trainer.all_finite`.

    ``prob_fake`` is D's verdict on the fakes before its update, ``prob_gen`` after it (the pass
    whose gradient trains G), so ``g_loss`` is the loss G actually descended; ``d_loss_real``
    is measured against D's target for real images (below 1 with label smoothing).
    """
    return mx.nd.concat(cross_entropy(prob_real, real_label), cross_entropy(prob_fake, 0),
                        cross_entropy(prob_gen, 1), prob_real.mean(), prob_fake.mean(),
                        finite.as_in_context(prob_real.context), dim=0)


def zero(arrays):
    """Set every array to 0 in one operator call (MXNet's own ``reset_arrays``)."""
    mx.nd.reset_arrays(*arrays, num_arrays=len(arrays))
