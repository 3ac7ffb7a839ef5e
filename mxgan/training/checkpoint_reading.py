"""Reading one checkpoint's files back: its metadata, each network's graph and parameters, and
the optimiser state a resumed run installs. Anything unreadable, or not fitting the network it is
loaded into, is a `CheckpointError` naming the file and, where there is one, the parameter.

Which checkpoint to read, and whether it is whole, is `mxgan.training.checkpoint`'s concern
(`checkpoint.find`); the files' layout is described there.
"""
import json
import pickle
from pathlib import Path

import mxnet as mx

from ..common.checks import UserError
from . import optimizer_states


class CheckpointError(UserError):
    """A checkpoint is missing, damaged or does not fit; the message names the file or parameter."""

def read_json(path):
    """The JSON value in ``path``; a `CheckpointError` naming it when unreadable."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise CheckpointError("%s is unreadable (%s)" % (path, err)) from None


def load_meta(ckpt_dir, needs=()):
    """The metadata dict of a checkpoint: ``iteration`` (int), ``config`` (dict) and more;
    ``needs`` are keys the caller reads from the config (a hand-edited one may lack them)."""
    path = Path(ckpt_dir) / "meta.json"
    meta = read_json(path)
    if (not isinstance(meta, dict) or not isinstance(meta.get("iteration"), int)
            or not isinstance(meta.get("config"), dict)
            or not isinstance(meta.get("optimizer_counts", {}), dict)):
        raise CheckpointError("%s lacks its run's iteration or config, or is malformed" % path)
    missing = [key for key in needs if key not in meta["config"]]
    if missing:
        raise CheckpointError("%s lacks %s in the config of its run"
                              % (path, " and ".join(missing)))
    return meta


# ---- the networks' files ----------------------------------------------------------------------

def _net_file(ckpt_dir, name, suffix):
    """The path of network ``name``'s ``NAME-NNNN.SUFFIX`` file at the checkpoint's step."""
    iteration = load_meta(ckpt_dir)["iteration"]
    return Path(ckpt_dir) / ("%s-%04d.%s" % (name, iteration, suffix))


def load_symbol(ckpt_dir, name):
    """Network ``name``'s graph from its ``NAME-symbol.json``."""
    path = Path(ckpt_dir) / ("%s-symbol.json" % name)
    try:
        return mx.sym.load(str(path))
    except (OSError, mx.base.MXNetError) as err:
        raise CheckpointError("%s is not a readable MXNet graph (%s)"
                              % (path, str(err).splitlines()[0])) from None
    except UnicodeDecodeError:  # MXNet's message about a cut-short graph is not valid text
        raise CheckpointError("%s is not a readable MXNet graph (it is cut short or not JSON)"
                              % path) from None


def load_params(ckpt_dir, name, like=None):
    """(arg_params, aux_params) of network ``name`` on the CPU.

    ``like`` (arg_params, aux_params of the network being loaded into, any values) makes it a
    `CheckpointError`, naming the parameter, when a name is missing or extra or a shape differs.
    """
    path = _net_file(ckpt_dir, name, "params")
    params = ({}, {})
    for key, value in read_params(path).items():
        kind, _, param = key.partition(":")
        if kind not in ("arg", "aux") or not param:
            raise CheckpointError("%s: unexpected entry %r" % (path, key))
        params[kind == "aux"][param] = value
    if like is not None:
        for kind, found, expected in zip(("parameter", "statistic"), params, like):
            _check_same_arrays(path, kind, found, expected)
    return params


def read_params(path):
    """{"arg:NAME" or "aux:NAME": NDArray} of an MXNet parameter file."""
    try:
        saved = mx.nd.load(str(path))
    except (OSError, mx.base.MXNetError) as err:
        raise CheckpointError("%s is not a readable MXNet parameter file (%s)"
                              % (path, str(err).splitlines()[0])) from None
    if not isinstance(saved, dict):
        raise CheckpointError("%s holds unnamed arrays, not a network's parameters" % path)
    return saved


def _check_same_arrays(path, kind, found, expected):
    """A `CheckpointError` naming the first array of ``kind`` ("parameter" or "statistic") that
    ``found`` (read from ``path``) lacks, holds in another shape than ``expected``, or holds
    beyond it."""
    for name in expected:
        if name not in found:
            raise CheckpointError("%s lacks the %s %s" % (path, kind, name))
        if found[name].shape != expected[name].shape:
            raise CheckpointError("%s: %s %s has shape %s, the network needs %s" % (
                path, kind, name, found[name].shape, expected[name].shape))
    extra = sorted(set(found) - set(expected))
    if extra:
        raise CheckpointError("%s holds %s(s) the network does not have: %s"
                              % (path, kind, ", ".join(extra)))


def load_states(ckpt_dir, name):
    """Network ``name``'s optimiser state {parameter index: NDArray or tuple of NDArrays}."""
    return read_states(_net_file(ckpt_dir, name, "states"))


def read_states(path):
    """The optimiser state pickled in ``path`` (see `load_states`)."""
    try:
        with open(path, "rb") as f:
            states = optimizer_states.load(f)
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError) as err:
        raise CheckpointError("%s is not loadable optimiser state (%s)" % (path, err)) from None
    if not optimizer_states.is_state_by_index(states):
        raise CheckpointError("%s is not a dict of optimiser states by index" % path)
    return states


def restore_updater(ckpt_dir, name, updater, device_ids=(0,), shapes=None):
    """Load network ``name``'s optimiser state and step counts into ``updater``, one copy per
    device of ``device_ids`` (see `NetState`); ``shapes`` (the parameters' shapes in index
    order) makes a state that does not fit its parameter a `CheckpointError`."""
    states = load_states(ckpt_dir, name)
    misfit = None if shapes is None else optimizer_states.misfit(states, shapes)
    if misfit is not None:
        raise CheckpointError("%s: the state of parameter %d does not fit the network"
                              % (_net_file(ckpt_dir, name, "states"), misfit))
    counts = load_meta(ckpt_dir).get("optimizer_counts", {}).get(name)
    if not counts:
        raise CheckpointError("%s lacks the optimiser step counts of %s"
                              % (Path(ckpt_dir) / "meta.json", name))
    optimizer_states.install(updater, states, counts, device_ids)
