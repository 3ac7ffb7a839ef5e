"""Checkpoints that MXNet can read and a killed run can resume from.

A checkpoint is a directory ``RUN/checkpoints/iter-NNNNNN/`` holding, per network, MXNet's
standard ``NAME-symbol.json`` and ``NAME-NNNN.params`` (so ``mx.mod.Module.load(prefix, N)``
works) and ``NAME-NNNN.states`` (optimiser state, saved on the CPU so a GPU run resumes on a
CPU), plus ``meta.json`` (config, iteration, seeds, optimiser step counts). It is written into a
temporary directory and renamed into place: a crash mid-write never leaves a partial checkpoint.
"""
import json
import os
import pickle
import shutil
import tempfile
from pathlib import Path

import mxnet as mx

from . import __version__

_PREFIX = "iter-"
KEEP = 2  # older checkpoints are deleted once a newer one is complete


class NetState:
    """What a checkpoint stores for one network: its graph, parameters and optimiser updater.

    ``device_ids`` are the devices holding the trainer's copies of each parameter, in order
    (the updater keeps copy k of parameter i at index ``i * len(device_ids) + k``).
    """

    def __init__(self, symbol, arg_params, aux_params, updater=None, device_ids=(0,)):
        self.symbol, self.arg_params, self.aux_params = symbol, arg_params, aux_params
        self.updater, self.device_ids = updater, tuple(device_ids)


def save(run_dir, iteration, nets, meta):
    """Write a checkpoint of ``nets`` (name -> `NetState`) at ``iteration``; returns its path."""
    root = Path(run_dir) / "checkpoints"
    root.mkdir(parents=True, exist_ok=True)
    final = root / ("%s%06d" % (_PREFIX, iteration))
    staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    try:
        counts = {name: _write_net(staging / name, iteration, net) for name, net in nets.items()}
        meta = dict(meta, iteration=iteration, mxgan_version=__version__, optimizer_counts=counts)
        (staging / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True))
        if final.exists():  # re-saving the same iteration (e.g. Ctrl-C right after a save)
            shutil.rmtree(final)
        os.replace(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _prune(root)
    return final


def _write_net(prefix, iteration, net):
    mx.model.save_checkpoint(str(prefix), iteration, net.symbol, net.arg_params, net.aux_params)
    if net.updater is None:
        return None
    states, counts = _first_copy(net.updater, net.device_ids)
    with open("%s-%04d.states" % (prefix, iteration), "wb") as f:
        f.write(pickle.dumps(_to_cpu(states)))
    return {"num_update": net.updater.optimizer.num_update, "counts": sorted(counts.items())}


def _first_copy(updater, device_ids):
    """Optimiser state and step count of each parameter's first copy, keyed by parameter.

    Every copy holds the same values (they see the same summed gradients), so one is saved
    and a checkpoint resumes on any number of devices.
    """
    copies = len(device_ids)
    counts = updater.optimizer._all_index_update_counts.get(device_ids[0], {})
    return ({index // copies: state for index, state in updater.states.items()
             if index % copies == 0},
            {index // copies: count for index, count in counts.items() if index % copies == 0})


def _prune(root):
    for old in list_checkpoints(root.parent)[:-KEEP]:
        shutil.rmtree(old, ignore_errors=True)


def list_checkpoints(run_dir):
    """Complete checkpoints of a run, oldest first."""
    root = Path(run_dir) / "checkpoints"
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.name.startswith(_PREFIX) and p.is_dir())


def latest(run_dir):
    """The newest complete checkpoint directory of a run, or None."""
    found = list_checkpoints(run_dir)
    return found[-1] if found else None


def load_meta(ckpt_dir):
    """The metadata dict of a checkpoint."""
    return json.loads((Path(ckpt_dir) / "meta.json").read_text())


def load_net(ckpt_dir, name):
    """(symbol, arg_params, aux_params) of network ``name``, on the CPU."""
    iteration = load_meta(ckpt_dir)["iteration"]
    return mx.model.load_checkpoint(str(Path(ckpt_dir) / name), iteration)


def restore_updater(ckpt_dir, name, updater, device_ids=(0,)):
    """Load network ``name``'s optimiser state and step counts into ``updater``, one copy per
    device of ``device_ids`` (see `NetState`)."""
    meta = load_meta(ckpt_dir)
    with open(Path(ckpt_dir) / ("%s-%04d.states" % (name, meta["iteration"])), "rb") as f:
        states = pickle.load(f)
    copies = len(device_ids)
    updater.set_states(pickle.dumps({index * copies + k: _to_cpu(state, copy=True)
                                     for index, state in states.items() for k in range(copies)}))
    saved = meta["optimizer_counts"][name]
    _set_optimizer_counts(updater.optimizer, saved["num_update"], {
        device: {index * copies + k: count for index, count in saved["counts"]}
        for k, device in enumerate(device_ids)})


def _to_cpu(state, copy=False):
    """Optimiser state (nested tuples/dicts of NDArrays) on the CPU; ``copy`` forces new arrays
    (each device's copy of the state must own its arrays)."""
    if isinstance(state, mx.nd.NDArray):
        return state.copyto(mx.cpu()) if copy else state.as_in_context(mx.cpu())
    if isinstance(state, dict):
        return {key: _to_cpu(value, copy) for key, value in state.items()}
    if isinstance(state, (tuple, list)):
        return type(state)(_to_cpu(value, copy) for value in state)
    return state


def _set_optimizer_counts(optimizer, num_update, per_device):
    """Restore the per-device, per-index update counts Adam's bias correction uses (private in
    MXNet, so touched only here)."""
    optimizer.num_update = num_update
    optimizer._all_index_update_counts = per_device
    optimizer._index_update_count = per_device.setdefault(0, {})
