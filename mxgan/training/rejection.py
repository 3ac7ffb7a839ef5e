"""Discriminator rejection sampling (Azadi et al., 2019): keep each generated sample with a
probability that rises with D's logit, so samples D finds unlike the data are dropped.

D's logit ``log D / (1 - D)`` estimates ``log p_data / p_G`` for the G it was trained against;
samples come from G's weight average, whose distribution differs, so the logit is first
calibrated: a 1-D logistic regression (scale and bias) of real against generated on held-out
real digits and the sampling G's own samples (`fit_logit_scale`). The paper fine-tunes D
instead; a refit of its logit's scale and bias costs no gradient step and cannot move D's
ranking of samples. Only the scale reaches the acceptance rule: the bias cancels against the
burn-in maximum (`AcceptanceRule.calibrate`).
"""
import dataclasses
import sys

import mxnet as mx
import numpy as np

from ..data.images import prepare_images, to_unit_range
from ..nets.conditions import NUM_CLASSES, encode_digits
from ..quality.scores import FD_SAMPLES

CALIBRATION_IMAGES = 2000  # held-out real digits, and generated ones, the rule is fitted on
CALIBRATION_SEED = 7919  # the generated images': the rule belongs to the checkpoint, not a seed
MAX_ROUNDS = 20  # rounds of candidates `draw_accepted` draws before it stops checking them
MAX_ROUND_SIZE = 4096  # candidates of each digit a round draws at most (40,960 images for a CGAN)
MIN_RATE = 1 / 64  # the lowest acceptance rate a round is sized for
_EPS = 1e-6  # keeps the log in `acceptance_logits` finite at the burn-in maximum (the paper's)


# ---- the acceptance rule --------------------------------------------------------------------

def acceptance_logits(logits, max_logit):
    """The paper's ``F(x) = l - M - log(1 - exp(l - M - eps))`` of logits ``l``, their burn-in
    maximum ``M``: the logit of ``exp(l - M)``, the acceptance probability of exact rejection
    sampling. Logits beyond ``M`` count as ``M``."""
    excess = np.minimum(np.asarray(logits, np.float64) - max_logit, 0.0)
    return excess - np.log1p(-np.exp(excess - _EPS))


def sigmoid(values):
    """The logistic function, without overflow warnings for large arguments."""
    return 0.5 * (1 + np.tanh(0.5 * np.asarray(values, np.float64)))


def solve_gamma(scores, rate, *, iterations=100):
    """The shift ``gamma`` at which the mean of ``sigmoid(scores - gamma)`` is ``rate``: the
    acceptance rate of the burn-in set, by bisection (the mean falls as gamma rises)."""
    low, high = float(np.min(scores)) - 50, float(np.max(scores)) + 50
    for _ in range(iterations):
        gamma = 0.5 * (low + high)
        low, high = (gamma, high) if sigmoid(scores - gamma).mean() > rate else (low, gamma)
    return 0.5 * (low + high)


def fit_logit_scale(real_logits, fake_logits, *, iterations=50, ridge=1e-3):
    """(scale, bias) of the logistic regression ``P(real | l) = sigmoid(scale * l + bias)`` on D's
    logits of real and generated images, by Newton's method on the standardised logits (a small
    ridge keeps it finite when D separates the two sets, whatever the logits' spread)."""
    logits = np.concatenate([real_logits, fake_logits]).astype(np.float64)
    center, spread = logits.mean(), logits.std() or 1.0
    is_real = np.concatenate([np.ones(len(real_logits)), np.zeros(len(fake_logits))])
    inputs = np.stack([(logits - center) / spread, np.ones_like(logits)], axis=1)
    weights = np.zeros(2)
    for _ in range(iterations):
        prob = sigmoid(inputs @ weights)
        gradient = inputs.T @ (prob - is_real) + ridge * weights
        hessian = (inputs * (prob * (1 - prob))[:, None]).T @ inputs + ridge * np.eye(2)
        weights = weights - np.linalg.solve(hessian, gradient)
    scale = weights[0] / spread
    return float(scale), float(weights[1] - scale * center)


@dataclasses.dataclass(frozen=True)
class AcceptanceRule:
    """Accept a sample with probability ``sigmoid(F(scale * l) - gamma)``, ``F`` being
    `acceptance_logits` with the burn-in maximum ``max_logit`` (of the scaled logits)."""

    scale: float
    max_logit: float
    gamma: float

    @classmethod
    def calibrate(cls, real_logits, fake_logits, rate):
        """The rule whose acceptance rate on the generated burn-in set ``fake_logits`` is
        ``rate``, after `fit_logit_scale` against ``real_logits``. The fitted bias shifts every
        logit and their maximum alike, so it drops out of ``l - M``."""
        scale, _ = fit_logit_scale(real_logits, fake_logits)
        scale = max(scale, 0.0)  # a D that ranks reals below fakes has nothing to say
        scaled = scale * np.asarray(fake_logits, np.float64)
        max_logit = float(scaled.max())
        gamma = solve_gamma(acceptance_logits(scaled, max_logit), rate)
        return cls(scale, max_logit, gamma)

    def probability(self, logits):
        """Each sample's acceptance probability, from its (uncalibrated) logit."""
        scores = acceptance_logits(self.scale * np.asarray(logits, np.float64), self.max_logit)
        return sigmoid(scores - self.gamma)


# ---- drawing until enough samples are kept -----------------------------------------------------

def draw_accepted(candidates, critic, num, *, seed, digits, sampling):
    """``num`` samples that the rejection of ``sampling`` (`mxgan.training.sampling.Sampling`)
    keeps, of the asked ``digits`` (None for an unconditional run), drawn in rounds of
    ``candidates(count, seed=...)`` (images, digits or None: ``count`` of each digit) until
    enough are kept; ``critic`` is the run's `Critic`.

    After `MAX_ROUNDS` rounds the places still open take candidates unchecked, with a warning:
    a D that rejects everything must not hang a command."""
    rule = None
    if sampling.keep_fraction is not None:
        rule = calibrated_rule(candidates, critic, sampling.keep_fraction,
                               conditional=digits is not None)
    kept, drawn = Kept(num, digits), 0
    for round_index in range(MAX_ROUNDS + 1):
        count = _round_size(kept, drawn, sampling.keep_fraction or 1)
        images, drawn_digits = candidates(count, seed=[seed, round_index])
        drawn += count
        if round_index < MAX_ROUNDS:
            accepted = _accepted(critic, rule, images, drawn_digits, sampling.digit_check,
                                 np.random.RandomState([seed, round_index, 1]))
        else:
            print("warning: D rejected nearly every sample; %d taken unchecked"
                  % kept.missing(), file=sys.stderr)
            accepted = np.ones(len(images), bool)
        kept.add(images[accepted], None if drawn_digits is None else drawn_digits[accepted])
        if not kept.missing():
            break
    return kept.images()


def _round_size(kept, drawn, asked_rate):
    """Candidates (of each digit) for the next round: enough to fill the places still open at
    the lowest acceptance rate of a digit seen so far in ``drawn`` candidates of each (before
    any, the asked one), and a fifth more; at most `MAX_ROUND_SIZE`."""
    rate = asked_rate if not drawn else max(kept.lowest_rate(drawn), MIN_RATE)
    return min(int(kept.missing() / rate * 1.2) + 8, MAX_ROUND_SIZE)


def calibrated_rule(candidates, critic, rate, *, conditional):
    """The `AcceptanceRule` of acceptance ``rate`` for the generator that draws ``candidates``
    (as for `draw_accepted`), calibrated on the critic's held-out real digits against
    `CALIBRATION_IMAGES` of its samples, its burn-in set."""
    per_digit = NUM_CLASSES if conditional else 1
    burn_in, burn_in_digits = candidates(CALIBRATION_IMAGES // per_digit, seed=CALIBRATION_SEED)
    return AcceptanceRule.calibrate(critic.real_logits(), critic.logits(burn_in, burn_in_digits),
                                    rate)


def _accepted(critic, rule, images, digits, digit_check, rng):
    """Which candidates are kept: each with its `AcceptanceRule` probability
    (``rule``; None keeps every one), and with ``digit_check`` only those whose D scores the
    asked digit highest."""
    keep = np.ones(len(images), bool)
    if rule is not None:
        keep &= rng.uniform(size=len(images)) < rule.probability(critic.logits(images, digits))
    if digit_check:
        keep &= critic.likeliest_digits(images, digits) == digits
    return keep


class Kept:
    """The samples kept so far, filling ``num`` places, each asking for one of ``digits`` (None:
    any sample fills any place) in order."""

    def __init__(self, num, digits):
        self.num, self.digits = num, digits
        self.pools = []

    def add(self, images, digits):
        self.pools.append((images, digits))

    def _by_digit(self):
        images = np.concatenate([pool[0] for pool in self.pools])
        if self.digits is None:
            return {None: images}
        digits = np.concatenate([pool[1] for pool in self.pools])
        return {digit: images[digits == digit] for digit in range(NUM_CLASSES)}

    def _asked(self):
        if self.digits is None:
            return {None: self.num}
        return {digit: int(np.sum(self.digits == digit)) for digit in range(NUM_CLASSES)}

    def _missing_by_digit(self):
        found = self._by_digit() if self.pools else {}
        return {digit: max(asked - len(found.get(digit, ())), 0)
                for digit, asked in self._asked().items()}

    def missing(self):
        """The most places any one digit still lacks (for an unconditional run: places)."""
        return max(self._missing_by_digit().values())

    def lowest_rate(self, drawn):
        """The lowest fraction kept, of ``drawn`` candidates of each digit, among the digits
        that still lack places."""
        found = self._by_digit()
        return min(len(found[digit]) / drawn
                   for digit, missing in self._missing_by_digit().items() if missing)

    def images(self):
        """The ``num`` samples, each place filled by the next kept sample of its digit."""
        found = self._by_digit()
        if self.digits is None:
            return found[None][:self.num]
        out = np.empty((self.num,) + found[0].shape[1:], np.float32)
        for digit, asked in self._asked().items():
            out[self.digits == digit] = found[digit][:asked]
        return out


# ---- D as the rule reads it -----------------------------------------------------------------

class Critic:
    """A run's discriminator as a logit of images (and, for a conditional run, digits), with the
    held-out real digits its rule is calibrated on.

    It is bound for training, as `mxgan.training.generate.bind_generator` is and for the same
    reason: D reads each batch of its training size with that batch's statistics, as in
    training, where its batches are all real or all generated (the minibatch standard deviation
    too).
    """

    def __init__(self, symbol, config, *, ctx=None):
        self.config, self.batch_size = config, config["batch_size"]
        self.condition = config.get("condition")
        size, channels = config.get("image_size", 28), config.get("channels", 1)
        shapes = {"data": (self.batch_size, channels, size, size)}
        if self.condition:
            shapes["cond"] = encode_digits(np.zeros(self.batch_size, int), self.condition).shape
        self.module = mx.mod.Module(logit_symbol(symbol), data_names=list(shapes),
                                    label_names=None, context=ctx or mx.cpu())
        self.module.bind(data_shapes=list(shapes.items()), for_training=True)
        self.module.init_params()
        self.reals = held_out_reals(config["dataset"], size=size, channels=channels)
        self._real_logits = None

    def set_params(self, arg_params, aux_params):
        """Load D's parameters (those of its loss head, which it lacks, are left)."""
        self.module.set_params(arg_params, aux_params, allow_extra=True)
        self._real_logits = None

    def logits(self, images, digits=None):
        """D's logit (N,) of ``images`` (N, C, H, W) in [-1, 1], shown ``digits`` (N,) for a
        conditional run; the last batch is padded by repeating images."""
        inputs = [np.asarray(images, np.float32)]
        if self.condition:
            inputs.append(encode_digits(digits, self.condition))
        chunks = []
        for start in range(0, len(images), self.batch_size):
            data = [mx.nd.array(np.resize(x[start:start + self.batch_size],
                                          (self.batch_size,) + x.shape[1:])) for x in inputs]
            self.module.forward(mx.io.DataBatch(data=data), is_train=True)
            chunks.append(self.module.get_outputs()[0].asnumpy().reshape(-1))
        return np.concatenate(chunks)[:len(images)]

    def likeliest_digits(self, images, digits):
        """For each image, the digit D scores highest: each image is shown every digit, as
        ``(digits + shift) % 10`` so that every batch keeps the mix of digits it was drawn with."""
        by_shift = np.stack([self.logits(images, (digits + shift) % NUM_CLASSES)
                             for shift in range(NUM_CLASSES)], axis=1)  # (N, shifts)
        return (np.argmax(by_shift, axis=1) + digits) % NUM_CLASSES

    def real_logits(self):
        """D's logits of its held-out real digits, computed once per parameters."""
        if self._real_logits is None:
            self._real_logits = self.logits(*self.reals)
        return self._real_logits


def logit_symbol(discriminator):
    """The logit (B, 1) of a discriminator symbol that ends in its logistic loss head
    (`mxgan.nets.symbols.logistic_head`): the head's data input."""
    return discriminator.get_children()[0]


def held_out_reals(dataset, *, size, channels, count=CALIBRATION_IMAGES):
    """``count`` test digits in [-1, 1] (count, channels, size, size) and their labels: digits
    neither the GAN trained on nor the scorer compares with (it takes the first `FD_SAMPLES` of
    the same seeded order of the test split, `mxgan.quality.scores.Scorer`)."""
    images, labels = prepare_images(dataset, "test", size=size)
    order = np.random.RandomState(0).permutation(len(images))[FD_SAMPLES:FD_SAMPLES + count]
    images = np.repeat(to_unit_range(images[order]), channels, axis=1)
    return images, labels[order]
