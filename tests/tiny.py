"""Tiny trainers and batches that every training test shares (seconds on one CPU thread)."""
import argparse

from mxgan.common import mxnet_internals
from mxgan.data.iters import image_iter
from mxgan.nets import symbols
from mxgan.nets.conditions import encode_digits
from mxgan.training import checkpoint
from mxgan.training.cgan import ExecutorGAN
from mxgan.training.dcgan import ModuleGAN

import mxnet as mx
import numpy as np

BATCH = 8
NZ = 8


def dcgan(context=None, seed=0, graph="fast", levers=None, **kwargs):
    """A 28 px DCGAN with 4 filters a layer (``levers``: the discriminator's, as
    `mxgan.nets.symbols.D_LEVERS` names them)."""
    mx.random.seed(seed)
    generator, discriminator = symbols.get_network("dcgan28", channels=1, ngf=4, ndf=4, nz=NZ,
                                                   graph=graph, **(levers or {}))
    return ModuleGAN(generator, discriminator, batch_size=BATCH, nz=NZ, image_shape=(1, 28, 28),
                     context=context or [mx.cpu()], **kwargs)


def cgan(condition="onehot", context=None, seed=0, graph="fast", levers=None, **kwargs):
    """The conditional GAN with a few filters a layer (``levers`` as for `dcgan`)."""
    mx.random.seed(seed)
    generator, discriminator = symbols.get_network(
        "cgan28", condition=condition, nz=NZ, ngf=(16, 8, 8), ndf=(4, 4, 8), graph=graph,
        **(levers or {}))
    return ExecutorGAN(generator, discriminator, batch_size=BATCH, nz=NZ, condition=condition,
                       context=context or mx.cpu(), **kwargs)


def classifying_cgan(context=None, seed=0, graph="fast", levers=None, **kwargs):
    """cdcgan28 with a few filters a layer, the projection and the auxiliary digit classifier
    (G's weight 0.5)."""
    mx.random.seed(seed)
    generator, discriminator = symbols.get_network(
        "cdcgan28", condition="onehot", nz=NZ, ngf=4, ndf=4, graph=graph, projection=True,
        classifier=True, **(levers or {}))
    return ExecutorGAN(generator, discriminator, batch_size=BATCH, nz=NZ, condition="onehot",
                       context=context or mx.cpu(), ac_weight=0.5, **kwargs)


TRAINERS = {"dcgan": dcgan, "cgan": cgan, "cgan-ac": classifying_cgan}


def data_iter(model, images, seed=0):
    """The image iterator a trainer of ``model`` ("dcgan" or "cgan") reads."""
    if model != "dcgan":
        return image_iter(images, BATCH, labels=np.arange(len(images)) % 10, condition="onehot",
                          seed=seed)
    return image_iter(images, BATCH, seed=seed)


def batch(model, real_u8, condition="onehot"):
    """One step's named arrays for a trainer of ``model``."""
    named = {"data": mx.nd.array(real_u8[:BATCH], dtype=np.uint8)}
    if model != "dcgan":
        named["cond"] = mx.nd.array(encode_digits(np.arange(BATCH) % 10, condition))
    return named


def all_arrays(trainer):
    """Every array a checkpoint holds, as numpy: parameters, statistics, optimiser state and
    step counts of both networks."""
    found = {}
    for net, state in trainer.checkpoint_states().items():
        for kind, params in (("arg", state.arg_params), ("aux", state.aux_params)):
            found.update({"%s %s %s" % (net, kind, k): v.asnumpy() for k, v in params.items()})
        if state.updater is None:  # G's weight average: parameters only
            continue
        for index, moments in state.updater.states.items():
            for m, moment in enumerate(moments):
                found["%s state %d.%d" % (net, index, m)] = moment.asnumpy()
        counts = mxnet_internals.update_counts(state.updater.optimizer, 0)
        found["%s counts" % net] = np.array(sorted(counts.items()))
        found["%s num_update" % net] = np.array(state.updater.optimizer.num_update)
    return found


def one_layer_checkpoint(run_dir, iteration, weight=1.0):
    """A checkpoint at ``iteration`` of one untrained network "net" (a fully-connected layer whose
    2x3 weight is ``weight`` everywhere): for tests of what reads or names checkpoints."""
    symbol = mx.sym.FullyConnected(mx.sym.Variable("data"), num_hidden=2, name="fc")
    arg_params = {"fc_weight": mx.nd.full((2, 3), weight), "fc_bias": mx.nd.zeros(2)}
    nets = {"net": checkpoint.NetState(symbol, arg_params, {})}
    return checkpoint.save(run_dir, iteration, nets, {"config": {"seed": 0}})


def read_events(logdir):
    """TensorBoard's own reader over a directory of event files, everything loaded (no
    sampling), after it has applied any purge a resumed run asked for."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    events = EventAccumulator(str(logdir), size_guidance={"scalars": 0, "images": 0,
                                                          "histograms": 0})
    events.Reload()
    return events


# A run's profiles and saved config, as the examples name them.
RUN_PROFILES = {"cpu": dict(batch_size=64, epochs=None, max_iters=3000, real_label=0.9, ngf=28,
                        ndf=28, image_size=28, channels=1),
            "dry-run": dict(batch_size=8, epochs=None, max_iters=4, real_label=1.0, ngf=4,
                            ndf=4, image_size=28, channels=1)}


SAVED_RUN = dict(RUN_PROFILES["cpu"], model="dcgan", dataset="mnist", lr=2e-4, beta1=0.5, seed=0,
             kvstore="local", nz=100, ctx=["cpu(0)"], train_command="python x.py")


def run_args(**given):
    """The parsed flags of an example's command line that gives ``given``."""
    defaults = dict(dataset="mnist", lr=2e-4, beta1=None, seed=0, kvstore="local", nz=100,
                    dry_run=False, out=None, profile=None, batch_size=None, epochs=None,
                    max_iters=None, real_label=None, image_size=None, channels=None, ngf=None,
                    ndf=None)
    return argparse.Namespace(**dict(defaults, **given))
