"""What both GAN trainers share: the `Trainer` interface `mxgan.runs.loop` drives, their
checkpoint code and the numbers every step reports (their optimiser and initialiser settings:
`mxgan.training.recipe`).

The DCGAN trainer (`mxgan.training.dcgan.ModuleGAN`) drives ``mx.mod.Module``; the conditional
one (`mxgan.training.cgan.ExecutorGAN`) drives bare executors. The step metrics are computed on the
device so the hot loop never waits for a host copy.
"""
import abc

import mxnet as mx

from ..common import mxnet_internals
from . import checkpoint, checkpoint_reading

# Per step: D's losses on reals and fakes, G's loss, D's mean outputs, and 1 when every parameter
# and gradient is finite after it (else 0; see `Trainer.all_finite`).
METRICS = ("d_loss_real", "d_loss_fake", "g_loss", "d_real", "d_fake", "finite")
NETS = ("generator", "discriminator")
AVERAGE = "generator_ema"  # the checkpoint's name for G's weight average
# D's probabilities are clipped to [EPS, 1 - EPS] before the logarithm: 1e-7 is the smallest margin
# float32 keeps apart from 1 (1 - 1e-12 rounds to 1, and 0 * log(0) is NaN), so a saturated D
# gives a large finite loss (at most -log(1e-7) = 16.1), never NaN.
_EPS = 1e-7


class WeightAverage:
    """An exponential moving average of G's weights, on G's device, updated after each G step.

    Sampling from the average instead of the last weights smooths out the step-to-step wobble of
    adversarial training. After step t it keeps ``min(decay, (1 + t) / (10 + t))`` of itself, so
    it soon forgets the random initial weights; until step ``start`` it is a copy of the
    weights, which it then forgets entirely. Everything depends on t alone, so a resumed run
    continues it exactly.
    """

    def __init__(self, names, weights, decay, start=0):
        self.names, self.weights, self.decay, self.start = names, weights, decay, start
        self.average = [weight.copy() for weight in weights]

    def update(self, step):
        """Fold G's weights after ``step`` (1: the first) into the average."""
        if step <= self.start:
            for average, weight in zip(self.average, self.weights):
                weight.copyto(average)
            return
        keep = min(self.decay, (1.0 + step) / (10.0 + step))
        for average, weight in zip(self.average, self.weights):
            average -= (1 - keep) * (average - weight)

    def params_on_cpu(self):
        return {name: average.as_in_context(mx.cpu())
                for name, average in zip(self.names, self.average)}

    def restore(self, arg_params):
        for name, average in zip(self.names, self.average):
            arg_params[name].copyto(average)


class Trainer(abc.ABC):
    """A generator and a discriminator bound for adversarial training, as `mxgan.runs.loop`
    sees them.

    Subclasses set ``batch_size`` (the global batch), ``worker_batch`` (this process's share),
    ``context`` (list of devices), ``cluster`` (`mxgan.distributed.parallel.Cluster`), ``recipe``
    (`Recipe`) and ``symbols`` ({net: Symbol} for `NETS`), give the phases of a step, each
    network's parameters, updater and device-0 arrays; the step's order, checkpoints
    (`checkpoint_states`, `restore`), the weight average and the finiteness check are then the
    same for every trainer.
    """

    average = None
    # Steps of the run taken so far; `restore` sets it to the checkpoint's, so a resumed run
    # trains G on the same steps as an uninterrupted one.
    iteration = 0
    _checked = None  # the arrays `all_finite` reduces, gathered once

    def step(self, data, cond=None):
        """One adversarial step on uint8 real images ``data`` (with their digits ``cond``, for a
        conditional GAN); returns `METRICS` as one NDArray.

        D trains on every step; G, and its weight average, on every ``recipe.d_steps``-th step
        of the run only (`Recipe.trains_generator`). On a step where G does not train,
        ``g_loss`` is G's loss on D's verdict on the fakes before D's update (the pass that
        gives ``d_fake``, no extra pass), so its curve stays continuous.
        """
        self.iteration += 1
        fakes = self._generate_fakes()
        prob_fake, prob_real = self._train_discriminator(fakes, data, cond)
        prob_gen = prob_fake
        if self.recipe.trains_generator(self.iteration):
            prob_gen = self._train_generator(fakes)
            if self.average is not None:
                self.average.update(self.iteration)
        return step_metrics(prob_real, prob_fake, prob_gen, self.all_finite(),
                            self.recipe.real_label)

    @abc.abstractmethod
    def _generate_fakes(self):
        """G's images from fresh noise (and the digits asked, for a conditional GAN)."""

    @abc.abstractmethod
    def _train_discriminator(self, fakes, data, cond):
        """One D update on the summed gradient of ``fakes`` labelled 0 and the real ``data``
        labelled ``recipe.real_label``; returns D's probabilities on (fakes, reals), before
        the update."""

    @abc.abstractmethod
    def _train_generator(self, fakes):
        """One G update towards D, as updated, accepting ``fakes`` as real; returns D's
        probabilities on them."""

    @abc.abstractmethod
    def fixed_noise_grid(self):
        """The fixed noise (and digits) the run is watched with, drawn by the current G:
        (images (N, C, H, W), grid columns or None)."""

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
        """[(name, weight, gradient)] of network ``net``'s learned parameters on the first
        device: the arrays the step computes with and writes (not copies)."""

    def _start_average(self):
        if self.recipe.ema_decay:
            names, weights, _ = zip(*self.param_arrays("generator"))
            self.average = WeightAverage(list(names), list(weights), self.recipe.ema_decay,
                                         start=self.recipe.ema_start)

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
        weight average where the run keeps one, else G (as
        `mxgan.training.generate.sampling_net`)."""
        mxnet_internals.wait_for_queued_work()
        arg_params, aux_params = self.get_params("generator")
        if self.average is not None:
            arg_params = self.average.params_on_cpu()
        return arg_params, aux_params

    def checkpoint_states(self):
        """{name: `mxgan.training.checkpoint.NetState`}: graph, parameters and optimiser state of
        both networks (and G's weight average), for `mxgan.training.checkpoint.save`."""
        mxnet_internals.wait_for_queued_work()
        states = {net: checkpoint.NetState(self.symbols[net], *self.get_params(net),
                                           updater=self.updater(net), device_ids=self.device_ids)
                  for net in NETS}
        if self.average is not None:
            states[AVERAGE] = checkpoint.NetState(self.symbols["generator"],
                                                  self.average.params_on_cpu(),
                                                  states["generator"].aux_params)
        return states

    def restore(self, ckpt_dir):
        """Load both networks' parameters and optimiser state (and G's weight average) from a
        checkpoint, and continue counting steps from its `iteration`."""
        for net in NETS:
            current = self.get_params(net)
            arg_params, aux_params = checkpoint_reading.load_params(ckpt_dir, net, like=current)
            shapes = [array.shape for array in current[0].values()]
            checkpoint_reading.restore_updater(ckpt_dir, net, self.updater(net), self.device_ids,
                                       shapes=shapes)
            self.set_params(net, arg_params, aux_params)
        if self.average is not None:
            like = self.get_params("generator")
            arg_params, _ = checkpoint_reading.load_params(ckpt_dir, AVERAGE, like=like)
            self.average.restore(arg_params)
        self.iteration = checkpoint.load_meta(ckpt_dir)["iteration"]


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
