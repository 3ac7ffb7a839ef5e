"""A worker of the KVStore tests: a few steps of a tiny mxgan trainer, then its parameters.

Run under `python -m mxgan.launch`: ``dist_worker.py dcgan|cgan OUT_DIR``; writes
``OUT_DIR/rank-R.npz`` with every parameter and the metrics of the last step.
"""
import sys
from pathlib import Path

import mxgan  # noqa: F401  (before mxnet: it lets MXNet 1.9.1 run on numpy >= 1.24)
from mxgan.distributed.parallel import Cluster
from mxgan.nets import symbols
from mxgan.nets.conditions import encode_digits
from mxgan.training.cgan import ExecutorGAN
from mxgan.training.dcgan import ModuleGAN

import mxnet as mx
import numpy as np

BATCH, NZ, STEPS = 8, 6, 3


def trainer_for(model, cluster):
    mx.random.seed(1000 + cluster.rank)  # different initial weights: rank 0's must win
    if model == "dcgan":
        g, d = symbols.get_network("dcgan28", channels=1, ngf=4, ndf=4, nz=NZ)
        return ModuleGAN(g, d, batch_size=BATCH, nz=NZ, image_shape=(1, 28, 28),
                         context=[mx.cpu()], cluster=cluster)
    g, d = symbols.get_network("cgan28", condition="onehot", nz=NZ, ngf=(16, 8, 8), ndf=(4, 4, 8))
    return ExecutorGAN(g, d, batch_size=BATCH, nz=NZ, condition="onehot", context=mx.cpu(),
                       cluster=cluster)


def params(trainer):
    if hasattr(trainer, "mod_g"):
        return {k: v.asnumpy() for mod in (trainer.mod_g, trainer.mod_d)
                for k, v in mod.get_params()[0].items()}
    return {k: v.asnumpy() for net in ("generator", "discriminator")
            for k, v in trainer.get_params(net)[0].items()}


def main(model, out_dir):
    cluster = Cluster.join("dist_sync")
    trainer = trainer_for(model, cluster)
    mx.random.seed(cluster.seed(0))
    images = cluster.shard(np.random.RandomState(0).randint(0, 256, (64, 1, 28, 28)))[0]
    for step in range(STEPS):
        batch = mx.nd.array(images[step * trainer.worker_batch:][:trainer.worker_batch],
                            dtype=np.uint8)
        if model == "dcgan":
            metrics = trainer.step(batch)
        else:
            digits = encode_digits(np.arange(trainer.worker_batch) % 10, "onehot")
            metrics = trainer.step(batch, mx.nd.array(digits))
    np.savez(Path(out_dir) / ("rank-%d.npz" % cluster.rank), metrics=metrics.asnumpy(),
             **params(trainer))


if __name__ == "__main__":
    main(*sys.argv[1:])
