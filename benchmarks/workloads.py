"""The benchmarked workloads, framework-neutral: network sizes, batch size and a real batch."""
from dataclasses import dataclass, replace

import numpy as np

NUM_CLASSES = 10
_DEFAULTS = {
    # Seed 003's 64 x 64 net; its filters (ngf = ndf) depend on the device, see `make_workload`.
    "dcgan64": dict(batch_size=64, nz=100, image_shape=(3, 64, 64)),
    # Seed 001's 28 x 28 net.
    "dcgan28": dict(batch_size=128, nz=100, image_shape=(1, 28, 28), ngf=28, ndf=28),
    # The reference (R tutorial) CGAN.
    "cgan28": dict(batch_size=64, nz=96, image_shape=(1, 28, 28), ngf=(384, 192, 96),
                   ndf=(24, 32, 64)),
}
WORKLOADS = tuple(_DEFAULTS)
_DCGAN64_FILTERS = {"cpu": 32, "gpu": 128}


@dataclass(frozen=True)
class Workload:
    """One GAN to time: ``ngf`` / ``ndf`` are ints for a DCGAN, 3-tuples for the CGAN."""

    name: str
    batch_size: int
    nz: int
    image_shape: tuple
    ngf: object
    ndf: object

    @property
    def conditional(self):
        """Whether G and D also take the digit (the CGAN)."""
        return self.name == "cgan28"

    def network_options(self):
        """Keyword arguments of `mxgan.nets.symbols.get_network` for this workload."""
        options = dict(nz=self.nz, ngf=self.ngf, ndf=self.ndf)
        if self.conditional:
            return dict(options, condition="onehot")
        return dict(options, channels=self.image_shape[0])


def make_workload(name, *, device="cpu", batch_size=None, filters=None):
    """The workload ``name`` with its defaults; ``filters`` sets ngf = ndf of a DCGAN only."""
    if name not in _DEFAULTS:
        raise ValueError("workload must be one of %s, got %r" % (", ".join(WORKLOADS), name))
    defaults = dict(ngf=_DCGAN64_FILTERS[device], ndf=_DCGAN64_FILTERS[device])
    workload = Workload(name=name, **dict(defaults, **_DEFAULTS[name]))
    if filters is not None and not workload.conditional:
        workload = replace(workload, ngf=filters, ndf=filters)
    if batch_size is not None:
        workload = replace(workload, batch_size=batch_size)
    return workload


def real_batch(workload, seed=0):
    """Random uint8 'real' images (B, C, H, W) and their digits (B,), as a loader would give."""
    rng = np.random.RandomState(seed)
    images = rng.randint(0, 256, size=(workload.batch_size,) + workload.image_shape)
    return images.astype(np.uint8), rng.randint(0, NUM_CLASSES, size=workload.batch_size)
