"""How a run's samples are drawn, beyond its generator: truncated noise and discriminator rejection
sampling, settings a run records in its config.json and a command may override.

Both act when sampling only, so they cost no training step and leave training untouched. Every
reader of a run draws through `mxgan.training.generate.draw` with these settings: ``--generate``,
``--infer``, ``python -m mxgan.evaluate``, the scores during and after training, so what a user
draws is what the scores measure.
"""
import dataclasses
from typing import Optional

import numpy as np

# The config keys of the settings, and their values in runs recorded before them: off.
SAMPLING_KEYS = ("truncation", "acceptance", "digit_check")
SAMPLING_OFF = dict(truncation=None, acceptance=None, digit_check=False)


@dataclasses.dataclass(frozen=True)
class Sampling:
    """How to draw samples.

    ``truncation`` PSI redraws every noise value beyond +-PSI (BigGAN's truncation trick; None
    or 0: off); ``acceptance`` is the fraction of drawn samples discriminator rejection sampling
    keeps (`mxgan.training.rejection`; None or 1: off); ``digit_check`` makes a conditional run
    reject a sample that its D rates likelier as another digit than the one asked.
    """

    truncation: Optional[float] = None
    acceptance: Optional[float] = None
    digit_check: bool = False

    def __post_init__(self):
        if self.truncation is not None and not self.truncation >= 0:
            raise ValueError("truncation must be a number >= 0 (0: off), got %s"
                             % self.truncation)
        if self.acceptance is not None and not 0 < self.acceptance <= 1:
            raise ValueError("acceptance must be in (0, 1] (1: off), got %s" % self.acceptance)

    @classmethod
    def from_config(cls, config, overrides=None):
        """The settings a run's ``config`` records (off where it lacks them), each replaced by
        its value in ``overrides`` (a dict; None values there leave the run's setting)."""
        settings = {key: config.get(key, SAMPLING_OFF[key]) for key in SAMPLING_KEYS}
        settings.update({key: value for key, value in (overrides or {}).items()
                         if key in SAMPLING_KEYS and value is not None})
        return cls(**settings)

    @property
    def psi(self):
        """The truncation threshold, None when off."""
        return self.truncation or None

    @property
    def keep_fraction(self):
        """The acceptance rate discriminator rejection asks for, None when off."""
        return None if self.acceptance in (None, 1) else self.acceptance

    @property
    def rejects(self):
        """Whether D decides which drawn samples are kept."""
        return self.keep_fraction is not None or self.digit_check

    def noise(self, rng, shape):
        """Standard normal noise of ``shape`` from ``rng``, truncated at `psi` when set."""
        return truncated_normal(rng, shape, self.psi) if self.psi else rng.normal(size=shape)


def truncated_normal(rng, shape, psi):
    """Standard normal values of ``shape`` with every value beyond +-``psi`` drawn again until
    none is: the normal distribution restricted to [-psi, psi]."""
    values = rng.normal(size=shape)
    outside = np.abs(values) > psi
    while outside.any():
        values[outside] = rng.normal(size=int(outside.sum()))
        outside = np.abs(values) > psi
    return values
