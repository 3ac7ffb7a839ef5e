"""Optimiser state as a checkpoint stores it: one copy per parameter, on the CPU, pickled; read back
by a loader that admits NDArrays and nothing else, and installed on as many devices as resume.

A trainer keeps copy k of parameter i at updater index ``i * copies + k`` (`NetState.device_ids`
in `mxgan.training.checkpoint`). Every copy holds the same values (they see the same summed
gradients), so one is saved and a checkpoint resumes on any number of devices.
"""
import pickle

import mxnet as mx

from ..common import mxnet_internals


def first_copy(updater, device_ids):
    """Optimiser state and step count of each parameter's first copy, keyed by parameter."""
    copies = len(device_ids)
    counts = mxnet_internals.update_counts(updater.optimizer, device_ids[0])
    return _of_first_copies(updater.states, copies), _of_first_copies(counts, copies)


def _of_first_copies(by_index, copies):
    """{parameter: value} of each parameter's first copy, from {updater index: value}."""
    return {index // copies: value for index, value in by_index.items() if index % copies == 0}


def dumps(states):
    """The bytes of a ``.states`` file: ``states`` on the CPU, pickled."""
    return pickle.dumps(to_cpu(states))


class _StateUnpickler(pickle.Unpickler):
    """Unpickles optimiser state and refuses every global but NDArray (and the bytearray that
    carries its bytes): loading it cannot run code."""

    _ALLOWED = {("mxnet.ndarray.ndarray", "NDArray"), ("builtins", "bytearray")}

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError("%s.%s is not optimiser state" % (module, name))
        return super().find_class(module, name)


def load(file):
    """The optimiser state {parameter index: NDArray or tuple of NDArrays} pickled in ``file``;
    `pickle.UnpicklingError` (or the error unpickling met) when it holds anything else."""
    return _StateUnpickler(file).load()


def is_state_by_index(states):
    """Whether ``states`` has the shape `load` promises: a dict keyed by parameter index."""
    return isinstance(states, dict) and all(isinstance(index, int) for index in states)


def misfit(states, shapes):
    """The index of the first state that does not fit its parameter (``shapes`` in index order),
    or None when all fit."""
    for index, state in states.items():
        arrays = state if isinstance(state, (tuple, list)) else (state,)
        if not 0 <= index < len(shapes) or any(
                isinstance(a, mx.nd.NDArray) and a.shape != shapes[index] for a in arrays):
            return index
    return None


def install(updater, states, counts, device_ids):
    """Give ``updater`` the saved ``states`` and step ``counts`` (as `first_copy` took them and a
    checkpoint's meta.json records them), one copy per device of ``device_ids``."""
    copies = len(device_ids)
    mxnet_internals.set_updater_states(updater, {
        index * copies + k: to_cpu(state, copy=True)
        for index, state in states.items() for k in range(copies)})
    mxnet_internals.set_update_counts(updater.optimizer, counts["num_update"], {
        device: {index * copies + k: count for index, count in counts["counts"]}
        for k, device in enumerate(device_ids)})


def arrays_in(state):
    """The NDArrays in optimiser state (an NDArray, or nested tuples, lists and dicts of them)."""
    if isinstance(state, mx.nd.NDArray):
        yield state
    elif isinstance(state, (tuple, list, dict)):
        for value in state.values() if isinstance(state, dict) else state:
            yield from arrays_in(value)


def to_cpu(state, copy=False):
    """Optimiser state (nested tuples/dicts of NDArrays) on the CPU; ``copy`` forces new arrays
    (each device's copy of the state must own its arrays)."""
    if isinstance(state, mx.nd.NDArray):
        return state.copyto(mx.cpu()) if copy else state.as_in_context(mx.cpu())
    if isinstance(state, dict):
        return {key: to_cpu(value, copy) for key, value in state.items()}
    if isinstance(state, (tuple, list)):
        return type(state)(to_cpu(value, copy) for value in state)
    return state
