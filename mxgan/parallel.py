"""Data parallelism on MXNet's own machinery: several devices per process, KVStore across processes.

Every trainer runs the optimiser itself, on each device, and uses the KVStore only to sum
gradients (MXNet's ``update_on_kvstore=False`` mode). Two reasons: optimiser state then lives
in the worker, where a checkpoint can save it (MXNet cannot save state held by ``dist`` servers),
and it has one layout whatever the number of devices or processes, so a checkpoint resumes on
any of them. With identical gradients and identical starting points every copy stays identical.
"""
import os
from contextlib import contextmanager

import mxnet as mx

KVSTORES = ("local", "device", "dist_sync", "dist_device_sync")


class Cluster:
    """Where this process stands in a (possibly one-process) training job.

    ``kvstore`` is what `mx.mod.Module.init_optimizer` accepts: a type name for one process
    (Module creates a local store only when it has several devices), or the one shared
    ``dist`` KVStore object of a multi-process job, created once for both networks.
    """

    def __init__(self, kvstore="local", rank=0, num_workers=1):
        self.kvstore, self.rank, self.num_workers = kvstore, rank, num_workers

    @classmethod
    def join(cls, kvstore_type):
        """This process's place in a job; a ``dist`` type connects to the parameter servers."""
        if kvstore_type not in KVSTORES:
            raise ValueError("kvstore must be one of %s, got %r"
                             % (", ".join(KVSTORES), kvstore_type))
        if not kvstore_type.startswith("dist"):
            return cls(kvstore_type)
        if os.environ.get("DMLC_ROLE") != "worker":
            raise RuntimeError(
                "--kvstore %s needs a scheduler, servers and workers: start the job with "
                "python -m mxgan.launch -n WORKERS -- python examples/... (README, 'Scaling out')"
                % kvstore_type)
        store = mx.kv.create(kvstore_type)
        return cls(store, store.rank, store.num_workers)

    @property
    def distributed(self):
        return self.num_workers > 1 or not isinstance(self.kvstore, str)

    @property
    def is_chief(self):
        """Rank 0 alone writes pictures, logs and checkpoints."""
        return self.rank == 0

    def shard(self, *arrays):
        """This worker's share of each array (every ``num_workers``-th row from ``rank``)."""
        return tuple(array[self.rank::self.num_workers] for array in arrays)

    def worker_batch(self, global_batch, num_devices):
        """The batch one worker computes; the global batch must split evenly over all devices."""
        parts = self.num_workers * num_devices
        if global_batch % parts:
            raise ValueError("the batch of %d does not split evenly over %d worker(s) x %d "
                             "device(s); choose a multiple of %d"
                             % (global_batch, self.num_workers, num_devices, parts))
        return global_batch // self.num_workers

    def seed(self, seed):
        """A noise seed distinct per worker (rank 0 keeps ``seed``), so workers draw other fakes."""
        return seed + 7919 * self.rank


@contextmanager
def _optimiser_in_workers():
    """Make Module keep its optimiser local (``update_on_kvstore=False``); MXNet reads this
    switch from the environment when ``init_optimizer`` runs."""
    saved = os.environ.get("MXNET_UPDATE_ON_KVSTORE")
    os.environ["MXNET_UPDATE_ON_KVSTORE"] = "0"
    try:
        yield
    finally:
        if saved is None:
            del os.environ["MXNET_UPDATE_ON_KVSTORE"]
        else:
            os.environ["MXNET_UPDATE_ON_KVSTORE"] = saved


def init_module_optimizer(module, cluster, optimizer):
    """`Module.init_optimizer` with the KVStore only summing gradients, then rank 0's initial
    parameters copied to every worker and device."""
    with _optimiser_in_workers():
        module.init_optimizer(kvstore=cluster.kvstore, optimizer=optimizer)
    group = module._exec_group  # the one place mxgan reads Module's per-device parameter arrays
    if module._kvstore is not None:
        for name, per_device in zip(group.param_names, group.param_arrays):
            module._kvstore.pull(name, out=per_device)


def create_store(cluster, num_devices):
    """The KVStore that sums an executor trainer's gradients, or None when there is one copy."""
    if not isinstance(cluster.kvstore, str):
        return cluster.kvstore
    return mx.kv.create(cluster.kvstore) if num_devices > 1 else None


def share_initial_params(store, names, per_device_weights):
    """Register parameters with ``store`` and give every copy rank 0's values (device 0's)."""
    for name, weights in zip(names, per_device_weights):
        store.init(name, weights[0])
        store.pull(name, out=weights)


def update(updater, names, per_device_weights, per_device_grads, store=None):
    """Sum gradients over devices and workers through ``store``, then step every copy.

    The same arithmetic as ``Module.update`` without ``update_on_kvstore`` (MXNet's
    ``model._update_params``): copy k of parameter i is optimiser index ``i * devices + k``.
    """
    mx.model._update_params(per_device_weights, per_device_grads, updater=updater,
                            num_device=len(per_device_weights[0]), kvstore=store,
                            param_names=names)
