"""Data parallelism on MXNet's own machinery: several devices per process, KVStore across processes.

Every trainer runs the optimiser itself, on each device, and uses the KVStore only to sum
gradients (MXNet's ``update_on_kvstore=False`` mode). Two reasons: optimiser state then lives
in the worker, where a checkpoint can save it (MXNet cannot save state held by ``dist`` servers),
and it has one layout whatever the number of devices or processes, so a checkpoint resumes on
any of them. With identical gradients and identical starting points every copy stays identical.
"""
import os
import socket
import time

import mxnet as mx

from ..common import mxnet_internals
from ..common.checks import UsageError
from . import peers
from .peers import DMLC_JOB_VARIABLES

KVSTORES = ("local", "device", "dist_sync", "dist_device_sync")
SCHEDULER_WAIT_S = 30  # a worker's wait for its scheduler (a dist KVStore alone waits forever)
RETRY_S = 0.2
# Worker r draws its noise from seed + r * RANK_SEED_STRIDE: a prime far above the seeds people
# pick, so worker r of a run does not draw the noise of rank 0 of the run with --seed r.
RANK_SEED_STRIDE = 7919


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
        timeout_s = peers.peer_timeout(os.environ)
        if not scheduler_reachable(os.environ, SCHEDULER_WAIT_S):
            raise RuntimeError(
                "no KVStore scheduler answers at %s:%s after %d s: start the job with python -m "
                "mxgan.launch -n WORKERS -- python examples/... (README, 'Scaling out')"
                % (os.environ.get("DMLC_PS_ROOT_URI"), os.environ.get("DMLC_PS_ROOT_PORT"),
                   SCHEDULER_WAIT_S))
        # The scheduler ends with the first peer lost (mxgan.distributed.peers): watching it is
        # enough.
        scheduler = peers.scheduler_address(os.environ)
        peers.watch(lambda: {scheduler}, timeout_s, "worker", scheduler)
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
        return seed + RANK_SEED_STRIDE * self.rank


def scheduler_reachable(env, timeout_s):
    """Whether something accepts TCP connections at ``env``'s DMLC_PS_ROOT_URI:DMLC_PS_ROOT_PORT
    within ``timeout_s`` (tried every RETRY_S, at least once): a dist KVStore would wait forever.

    False as well when either variable is missing or the port is not a number.
    """
    address = peers.scheduler_address(env)
    if address is None:
        return False
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with socket.create_connection(address, max(deadline - time.monotonic(), RETRY_S)):
                return True
        except OSError:  # refused, unreachable or timed out
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(RETRY_S, left))


def create_store(cluster, num_devices):
    """The KVStore that sums an executor trainer's gradients, or None when there is one copy."""
    if not isinstance(cluster.kvstore, str):
        return cluster.kvstore
    return mx.kv.create(cluster.kvstore) if num_devices > 1 else None


class Replicas:
    """One copy of a trainer's executors per device, each computing an equal slice of the
    worker batch: ``build(ctx, batch_size)`` makes a copy."""

    def __init__(self, contexts, worker_batch, build):
        per_device = worker_batch // len(contexts)
        self.contexts = list(contexts)
        self.slices = [slice(k * per_device, (k + 1) * per_device) for k in range(len(contexts))]
        self.copies = [build(ctx, per_device) for ctx in contexts]

    def __iter__(self):
        return iter(self.copies)

    def __getitem__(self, index):
        return self.copies[index]

    def split(self, array):
        """A worker batch's slice for each device (views, no copies)."""
        if len(self.slices) == 1:
            return [array]
        return [array[part] for part in self.slices]

    def gather(self, pieces):
        """One worker batch on the first device from per-device pieces."""
        if len(pieces) == 1:
            return pieces[0]
        return mx.nd.concat(*(a.as_in_context(self.contexts[0]) for a in pieces), dim=0)


class DeviceCopies:
    """One network's parameters, a copy on every device: gradients summed through ``store``
    (over devices and workers), then one optimiser step for every copy.

    ``weights`` and ``grads`` are ``[parameter][device]`` arrays that never move, so the per-step
    update only reads these lists. With a store, every copy starts from rank 0's device 0.
    """

    def __init__(self, names, weights, grads, updater, store=None):
        self.names, self.weights, self.grads = names, weights, grads
        self.updater, self.store = updater, store
        if store is not None:
            for name, copies in zip(names, weights):
                store.init(name, copies[0])
                store.pull(name, out=copies)

    def update(self):
        """Sum the gradients and step every copy (MXNet's own ``Module.update`` arithmetic)."""
        mxnet_internals.sum_gradients_and_update(self.updater, self.names, self.weights,
                                                 self.grads, self.store)


def check_job_variables(kvstore, env):
    """A `UsageError` when ``env`` holds a KVStore job's variables (a worker's, left in the
    shell) but ``kvstore`` is not a dist one, which would train alone; or lacks one a dist
    worker needs, with which MXNet would fail or wait forever."""
    if not kvstore.startswith("dist"):
        found = ["%s=%s" % (name, env[name]) for name in ("DMLC_ROLE",) + DMLC_JOB_VARIABLES
                 if name in env]
        if found:
            raise UsageError("%s set, a KVStore job's worker variables, but --kvstore is %s: "
                             "unset them, or pass --kvstore dist_sync to train in the job"
                             % (" ".join(found), kvstore))
    elif env.get("DMLC_ROLE") == "worker":
        missing = [name for name in DMLC_JOB_VARIABLES if not env.get(name)]
        if missing:
            raise UsageError("--kvstore %s needs %s set, as python -m mxgan.launch sets them "
                             "(README, 'Scaling out')" % (kvstore, ", ".join(missing)))
