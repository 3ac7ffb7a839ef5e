"""How a run trains its networks, apart from the networks themselves: the optimiser of each, its
learning-rate schedule, the D/G update ratio, G's weight average and the initialiser, as a
`Recipe` that a run's config records and a resume rebuilds."""
import dataclasses
from typing import Optional

import mxnet as mx

from ..common.checks import UserError

_NEVER = 2 ** 62  # a `FactorScheduler` step no run reaches: with factor 1, a constant rate


class RecipeError(UserError, ValueError):
    """Settings of a `Recipe` that contradict each other; the message names their flags."""


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How both networks are optimised: Adam for each (MXNet's DCGAN tutorial: lr 2e-4, beta1
    0.5), D's target for real images, the D/G update ratio, and the moving average of G's
    weights used for sampling.

    ``lr_d`` sets D's learning rate apart (two time-scales; None: ``lr``); ``lr_warmup``
    makes both rates rise linearly from 0 over that many steps (0: none); ``decay_steps`` makes
    them fall linearly to 0 at that step (None: constant); ``real_label`` below 1 is one-sided
    label smoothing; ``d_steps`` K trains G on every K-th step only (D on every one);
    ``ema_decay`` 0 turns the average off, ``ema_start`` makes it copy G's weights until that
    step. ``top_k_final`` below 1 trains G on the fakes D scores most real only, a share
    falling from all to ``top_k_final`` over ``top_k_steps`` (`top_k_fraction`);
    ``diffaugment`` names the augmentations D's inputs go through (`mxgan.training.levers`).
    """

    lr: float = 2e-4
    lr_d: Optional[float] = None
    beta1: float = 0.5
    beta2: float = 0.999
    lr_warmup: int = 0
    decay_steps: Optional[int] = None
    real_label: float = 1.0
    d_steps: int = 1
    ema_decay: float = 0.0
    ema_start: int = 0
    top_k_final: float = 1.0
    top_k_steps: int = 2000
    diffaugment: str = ""
    init_std: float = 0.02

    def __post_init__(self):
        if self.decay_steps and self.lr_warmup >= self.decay_steps:
            raise RecipeError("--lr-warmup %d leaves none of the run's %d steps to --lr-decay "
                              "linear: shorten it" % (self.lr_warmup, self.decay_steps))
        if self.ema_start and not self.ema_decay:
            raise RecipeError("--ema-start %d starts G's weight average, which --ema-decay 0 "
                              "turns off: give a decay, e.g. --ema-decay 0.999" % self.ema_start)

    @classmethod
    def from_config(cls, config):
        """The recipe of a run's config (`mxgan.run`), whose keys are named as the fields: a
        key the config lacks keeps the field's default, as runs recorded before it trained; a
        linear ``lr_decay`` spans the run's ``iterations``."""
        given = {field.name: config[field.name] for field in dataclasses.fields(cls)
                 if config.get(field.name) is not None}
        linear = config.get("lr_decay") == "linear"
        return cls(decay_steps=config["iterations"] if linear else None, **given)

    def base_lr(self, net):
        """Network ``net``'s learning rate before any warm-up or decay."""
        return self.lr_d if net == "discriminator" and self.lr_d else self.lr

    def schedule(self, net):
        """Network ``net``'s learning rate by step of the run as an MXNet scheduler (step 1:
        the first): a linear warm-up over ``lr_warmup`` steps (``lr * step / lr_warmup``), then
        constant or falling linearly to 0 at step ``decay_steps``; None for a constant rate."""
        if not (self.lr_warmup or self.decay_steps):
            return None
        warmup = dict(base_lr=self.base_lr(net), warmup_steps=self.lr_warmup,
                      warmup_begin_lr=0.0, warmup_mode="linear")
        if self.decay_steps:
            return mx.lr_scheduler.PolyScheduler(max_update=self.decay_steps, pwr=1, final_lr=0,
                                                 **warmup)
        return mx.lr_scheduler.FactorScheduler(step=_NEVER, factor=1, **warmup)

    def learning_rate(self, net, step):
        """Network ``net``'s learning rate at ``step`` (1: the first), as its optimiser's
        schedule gives it."""
        schedule = self.schedule(net)
        return schedule(step) if schedule else self.base_lr(net)

    def optimizer(self, net, batch_size):
        """Adam for network ``net`` whose gradients are sums over ``batch_size`` images
        (``rescale_grad`` makes them means, as Module does when it creates the optimiser)."""
        schedule = self.schedule(net)
        if schedule and net == "generator" and self.d_steps > 1:
            schedule = EveryKthStep(schedule, self.d_steps)
        return mx.optimizer.create("adam", learning_rate=self.base_lr(net), beta1=self.beta1,
                                   beta2=self.beta2, rescale_grad=1.0 / batch_size,
                                   lr_scheduler=schedule)

    def top_k_fraction(self, step):
        """The share of G's fakes whose gradient trains G at ``step`` (1: the first): Sinha et
        al.'s ``max(gamma ** epoch, nu)`` with nu = ``top_k_final`` and gamma per step such that
        it reaches nu at step ``top_k_steps``, i.e. ``nu ** min(1, step / top_k_steps)``.

        Their gamma of 0.99 per epoch takes 69 epochs to halve; our runs are a few epochs long,
        so the schedule is set by the step at which it ends instead.
        """
        return self.top_k_final ** min(1.0, step / self.top_k_steps)

    def trains_generator(self, step):
        """Whether G trains at ``step`` (1: the first): on every ``d_steps``-th step."""
        return step % self.d_steps == 0

    def initializer(self):
        """Normal(0, init_std) weights, unit BatchNorm gamma and zero beta (by parameter name)."""
        return mx.init.Normal(self.init_std)


class EveryKthStep(mx.lr_scheduler.LRScheduler):
    """``schedule`` for an optimiser that updates on every ``k``-th step of the run only (G with
    ``Recipe.d_steps``): its n-th update is step n * k, so it reads the schedule there and both
    networks follow one schedule of the run's steps."""

    def __init__(self, schedule, k):
        super().__init__(schedule.base_lr)
        self.schedule, self.k = schedule, k

    def __call__(self, num_update):
        return self.schedule(num_update * self.k)
