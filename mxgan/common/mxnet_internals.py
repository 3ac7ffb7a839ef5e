"""Every use of MXNet's private API in mxgan, each behind a helper named for what it does.

MXNet 1.9.1 keeps some things a GAN trainer needs without a public accessor: a bound Module's
per-device parameter and gradient arrays, its updater and KVStore, the switch that keeps
Module's optimiser out of the KVStore, the function Module sums gradients and updates with, and
Adam's per-device step counts. If MXNet changes, this file is the one to change;
``tests/test_mxnet_internals.py`` checks every helper against MXNet's public behaviour.
"""
import contextlib
import os

import mxnet as mx


def module_grad_arrays(module):
    """Every parameter gradient of a bound Module, all devices, as one flat list."""
    return [grad for per_device in module._exec_group.grad_arrays for grad in per_device]


def module_updater(module):
    """The `mx.optimizer.Updater` that holds a Module's optimiser state (set up by
    `init_optimizer_in_workers`, so it lives in the Module, not in a KVStore)."""
    return module._updater


def init_optimizer_in_workers(module, kvstore, optimizer):
    """``module.init_optimizer`` with ``update_on_kvstore=False``: the KVStore, if any, only sums
    gradients and the optimiser runs in this process (MXNet reads the switch from the
    environment); then every device's parameters are pulled from the store, so all copies start
    from rank 0's values."""
    with _environment(MXNET_UPDATE_ON_KVSTORE="0"):
        module.init_optimizer(kvstore=kvstore, optimizer=optimizer)
    store, group = module._kvstore, module._exec_group
    if store is not None:
        for name, per_device in zip(group.param_names, group.param_arrays):
            store.pull(name, out=per_device)


@contextlib.contextmanager
def _environment(**variables):
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value


def sum_gradients_and_update(updater, names, per_device_weights, per_device_grads, store=None):
    """Sum gradients over devices and workers through ``store``, then step every copy: the
    arithmetic of ``Module.update`` without ``update_on_kvstore`` (``model._update_params``).

    Copy k of parameter i is optimiser index ``i * devices + k``.
    """
    mx.model._update_params(per_device_weights, per_device_grads, updater=updater,
                            num_device=len(per_device_weights[0]), kvstore=store,
                            param_names=names)


def update_counts(optimizer, device_id):
    """{optimiser index: steps taken} on one device: what Adam's bias correction reads."""
    return dict(optimizer._all_index_update_counts.get(device_id, {}))


def set_update_counts(optimizer, num_update, per_device):
    """Restore the optimiser's step counts: ``num_update`` and {device id: {index: count}}."""
    optimizer.num_update = num_update
    optimizer._all_index_update_counts = per_device
    optimizer._index_update_count = per_device.setdefault(0, {})


def set_updater_states(updater, states):
    """Give ``updater`` its optimiser state {index: state} without a pickle round trip (what
    ``Updater.set_states`` does after unpickling); each state moves to its weight's device at
    the next update."""
    updater.states = states
    updater.states_synced = dict.fromkeys(states, False)


def wait_for_queued_work():
    """Block until every queued operator has run (``mx.nd.waitall``), before parameters are read.

    MXNet's engine should order a read after the writes queued before it, but on this CPU build
    (oneDNN) reading a Module's parameters right after a training loop gave wrong values: the
    scorer's classifier read that way scored 19-70% on test digits instead of 99%, differently
    from run to run; waiting first made it 98.99% every time. (The GAN trainers' reads compared
    equal with and without waiting, 30 steps of each default network; checkpoints wait anyway.)
    """
    mx.nd.waitall()


def module_param_arrays(module):
    """A bound Module's parameter names and their ``[parameter][device]`` arrays, the ones its
    executors compute with (``get_params`` returns copies)."""
    group = module._exec_group
    return list(group.param_names), group.param_arrays
