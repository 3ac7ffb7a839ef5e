"""mxgan's own trainers, used as shipped: `ModuleGAN` for the DCGANs, `ExecutorGAN` for the CGAN,
on the fast graph (``build``) or on the tutorial's graph (``build_tutorial_graph``: what the
exact rewrites of `mxgan.nets.layers` buy, all else equal)."""
import functools

from mxgan.training.cgan import ExecutorGAN
from mxgan.training.dcgan import ModuleGAN

from . import mx_common


class MxganGAN(mx_common.MXNetStepper):
    """mxgan's trainer for ``workload`` on ``device``, stepping on one fixed real batch."""

    def __init__(self, workload, device, graph="fast"):
        generator, discriminator = mx_common.networks(workload, graph)
        self.trainer = _trainer(workload, generator, discriminator, mx_common.context(device))
        self.inputs = mx_common.real_inputs(workload)

    def step(self):
        """One trainer step (G, then D on fake + real, D update, G through the updated D)."""
        return self.trainer.step(*self.inputs)


def _trainer(workload, generator, discriminator, ctx):
    sizes = dict(batch_size=workload.batch_size, nz=workload.nz)
    if workload.conditional:
        return ExecutorGAN(generator, discriminator, condition="onehot", context=ctx, **sizes)
    return ModuleGAN(generator, discriminator, image_shape=workload.image_shape, context=[ctx],
                     **sizes)


build = MxganGAN
build_tutorial_graph = functools.partial(MxganGAN, graph="tutorial")
