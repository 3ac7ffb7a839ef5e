"""Checkpoints that MXNet can read, that prove themselves whole, and that a killed run resumes from.

A checkpoint is a directory ``RUN/checkpoints/iter-NNNNNN/`` holding, per network, MXNet's
standard ``NAME-symbol.json`` and ``NAME-NNNN.params`` (so ``mx.mod.Module.load(prefix, N)``
works) and ``NAME-NNNN.states`` (optimiser state as ``Module.save_optimizer_states`` writes it,
on the CPU so a GPU run resumes on a CPU), plus ``meta.json`` (config, iteration, optimiser step
counts) and, written last, ``manifest.json`` (every file's size and SHA-256). The directory is
filled under a temporary name, synced and renamed into place (`mxgan.common.files`).

Reading goes through `find`: the newest checkpoint whose manifest verifies and whose numbers
are all finite is used, and a damaged newer one is skipped with a warning naming both. Its
files are read back by `mxgan.training.checkpoint_reading`, whose loader of optimiser state
admits NDArrays and nothing else, so a shared checkpoint cannot run code.
"""
import hashlib
import json
import re
import sys
from pathlib import Path

import mxnet as mx
import numpy as np

from .. import __version__
from ..common.files import (
    WriteFailed,
    atomic_write_text,
    remove_staging_leftovers,
    remove_tree,
    staged_directory,
    storage_fault,
    writing,
)
from . import optimizer_states
from .checkpoint_reading import CheckpointError, load_meta, read_json, read_params, read_states

_PREFIX = "iter-"
_NAME = re.compile(r"^iter-(\d+)$")  # a checkpoint's directory: its step, 6 digits or more
MANIFEST = "manifest.json"
# Arrays per weight in the optimiser state of Adam, which every trainer uses: what a
# checkpoint's state takes before the first step has made it.
ADAM_MOMENTS = 2
KEEP = 2  # by default older checkpoints are deleted once a newer one is complete


class NonFinite(CheckpointError):
    """A checkpoint's parameters or optimiser state hold NaN or infinity: its run diverged
    before the check that stops training saw it, and resuming it would diverge again."""


class NetState:
    """What a checkpoint stores for one network: its graph, parameters and optimiser updater.

    ``device_ids`` are the devices holding the trainer's copies of each parameter, in order
    (the updater keeps copy k of parameter i at index ``i * len(device_ids) + k``).
    """

    def __init__(self, symbol, arg_params, aux_params, updater=None, device_ids=(0,)):
        self.symbol, self.arg_params, self.aux_params = symbol, arg_params, aux_params
        self.updater, self.device_ids = updater, tuple(device_ids)


# ---- writing ----------------------------------------------------------------------------------

def save(run_dir, iteration, nets, meta, *, keep=KEEP):
    """Write a checkpoint of ``nets`` (name -> `NetState`) at ``iteration``, then delete all
    but the ``keep`` newest (0: keep every one); returns its path."""
    root = Path(run_dir) / "checkpoints"
    root.mkdir(parents=True, exist_ok=True)
    remove_staging_leftovers(root)
    final = root / ("%s%06d" % (_PREFIX, iteration))
    with staged_directory(final) as staging:
        counts = {name: _write_net(staging / name, iteration, net) for name, net in nets.items()}
        meta = dict(meta, iteration=iteration, mxgan_version=__version__, optimizer_counts=counts)
        atomic_write_text(staging / "meta.json", json.dumps(meta, indent=2, sort_keys=True))
        atomic_write_text(staging / MANIFEST, json.dumps(_describe_files(staging), indent=2))
    if keep:
        for old in list_checkpoints(run_dir)[:-keep]:
            remove_tree(old)
    return final


def estimated_bytes(nets):
    """About the bytes a checkpoint of ``nets`` (as `save` takes them) fills: its arrays'
    (graphs and metadata are small beside them)."""
    total = 0
    for net in nets.values():
        weights = _nbytes(net.arg_params.values())
        total += weights + _nbytes(net.aux_params.values())
        if net.updater is not None:
            states = optimizer_states.first_copy(net.updater, net.device_ids)[0]
            total += (_nbytes(optimizer_states.arrays_in(list(states.values())))
                      or ADAM_MOMENTS * weights)
    return total


def _nbytes(arrays):
    return sum(array.size * np.dtype(array.dtype).itemsize for array in arrays)


def _write_net(prefix, iteration, net):
    """Write one network's ``PREFIX-symbol.json`` and ``.params`` (as
    ``mx.model.save_checkpoint`` writes them) and, when it trains, ``.states``
    (`mxgan.training.optimizer_states`); returns the step counts meta.json records for it (None
    for a network without optimiser, G's weight average)."""
    _write_bytes("%s-symbol.json" % prefix, net.symbol.tojson().encode("utf-8"))
    arrays = {"arg:%s" % name: value for name, value in net.arg_params.items()}
    arrays.update({"aux:%s" % name: value for name, value in net.aux_params.items()})
    _save_ndarrays("%s-%04d.params" % (prefix, iteration), optimizer_states.to_cpu(arrays))
    if net.updater is None:
        return None
    states, counts = optimizer_states.first_copy(net.updater, net.device_ids)
    _write_bytes("%s-%04d.states" % (prefix, iteration), optimizer_states.dumps(states))
    return {"num_update": net.updater.optimizer.num_update, "counts": sorted(counts.items())}


def _write_bytes(path, payload):
    """A file of the staging directory (renamed whole with it: no file of its own to stage)."""
    with writing(path), open(path, "wb") as f:
        f.write(payload)


def _save_ndarrays(path, arrays):
    """``mx.nd.save``, whose failure to write says only "write incomplete": a `WriteFailed`
    when the storage is why (`mxgan.common.files.storage_fault`)."""
    try:
        mx.nd.save(str(path), arrays)
    except mx.base.MXNetError:
        fault = storage_fault(Path(path).parent, _nbytes(arrays.values()))
        if fault is None:
            raise
        raise WriteFailed(path, fault.reason, fault.errno) from None


def _describe_files(directory):
    """{file name: {"bytes", "sha256"}} of every file in ``directory``."""
    return {path.name: {"bytes": path.stat().st_size, "sha256": _sha256(path)}
            for path in sorted(directory.iterdir()) if path.name != MANIFEST}


def _sha256(path):
    """The SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---- finding and verifying --------------------------------------------------------------------

def list_checkpoints(run_dir):
    """A run's checkpoint directories, oldest first by step, not name (as text, iter-1000000 <
    iter-999999), whether or not they verify; other names are not checkpoints: left alone."""
    root = Path(run_dir) / "checkpoints"
    found = [path for path in root.iterdir() if path.is_dir()] if root.is_dir() else []
    return sorted((path for path in found if checkpoint_step(path) is not None),
                  key=lambda path: (checkpoint_step(path), path.name))


def checkpoint_step(path):
    """The step in a checkpoint directory's name (``iter-1000000`` -> 1000000), or None."""
    match = _NAME.match(Path(path).name)
    return int(match.group(1)) if match else None


def verify(ckpt_dir, needs=()):
    """The checkpoint's metadata once every file is whole and its config has the keys ``needs``;
    `CheckpointError` saying what is not.

    With a manifest, each file's size and SHA-256 must match; a checkpoint written before
    manifests existed must have a readable ``meta.json`` and non-empty files for each network.
    """
    ckpt_dir = Path(ckpt_dir)
    manifest = ckpt_dir / MANIFEST
    if manifest.is_file():
        _check_manifest(ckpt_dir, read_json(manifest))
    meta = load_meta(ckpt_dir, needs)
    if not manifest.is_file():
        _check_files_present(ckpt_dir, meta)
    _check_finite(ckpt_dir, meta["iteration"])
    return meta


def _check_finite(ckpt_dir, iteration):
    """`NonFinite` naming the first file and array of the checkpoint holding NaN or infinity."""
    for path in sorted(Path(ckpt_dir).glob("*-%04d.params" % iteration)):
        _check_arrays_finite(path, read_params(path).items())
    for path in sorted(Path(ckpt_dir).glob("*-%04d.states" % iteration)):
        _check_arrays_finite(path, (("the state of parameter %d" % index, state)
                                    for index, state in read_states(path).items()))


def _check_arrays_finite(path, named):
    for name, value in named:
        if not all(np.isfinite(array.asnumpy()).all()
                   for array in optimizer_states.arrays_in(value)):
            raise NonFinite("%s holds NaN or infinite values (in %s)" % (path, name))


def _check_manifest(ckpt_dir, manifest):
    """A `CheckpointError` unless ``manifest`` ({file name: {"bytes", "sha256"}}) is well formed
    and every file it lists is present with that size and checksum."""
    if (not isinstance(manifest, dict) or not manifest
            or not all(isinstance(entry, dict) for entry in manifest.values())):
        raise CheckpointError("%s: malformed manifest" % (ckpt_dir / MANIFEST))
    for name, expected in manifest.items():
        path = ckpt_dir / name
        if not path.is_file():
            raise CheckpointError("%s is missing" % path)
        if path.stat().st_size != expected.get("bytes") or _sha256(path) != expected.get("sha256"):
            raise CheckpointError("%s is damaged (its size or checksum differs from the manifest)"
                                  % path)


def _check_files_present(ckpt_dir, meta):
    """For a checkpoint older than manifests: a `CheckpointError` unless every network that
    ``meta`` counts steps for has its graph, parameters and (when it trains) optimiser state as
    non-empty files."""
    for name, counts in meta.get("optimizer_counts", {}).items():
        files = ["%s-symbol.json" % name, "%s-%04d.params" % (name, meta["iteration"])]
        if counts is not None:
            files.append("%s-%04d.states" % (name, meta["iteration"]))
        for path in (ckpt_dir / f for f in files):
            if not path.is_file() or path.stat().st_size == 0:
                raise CheckpointError("%s is missing or empty" % path)


def warn_if_other_version(ckpt_dir, meta):
    """One line on stderr when the checkpoint (its ``meta``) was written by another mxgan than
    this one: resuming it may then not continue the run exactly as it was trained."""
    written_by = meta.get("mxgan_version", "an unknown version")
    if written_by != __version__:
        print("warning: %s was written by mxgan %s; this is mxgan %s"
              % (ckpt_dir, written_by, __version__), file=sys.stderr)


def latest(run_dir, *, warn=True, needs=()):
    """The newest checkpoint of a run that verifies (`verify`), or None; with ``warn``, each
    damaged newer one is named on stderr, with the one used instead if there is one."""
    found, skipped = _newest_verified(run_dir, needs)
    if warn:
        _warn_skipped(found, skipped)
    return found


def _newest_verified(run_dir, needs):
    """(The newest checkpoint that verifies or None, the errors of the newer ones skipped)."""
    skipped = []
    for candidate in reversed(list_checkpoints(run_dir)):
        try:
            verify(candidate, needs)
        except CheckpointError as err:
            skipped.append(err)
            continue
        return candidate, skipped
    return None, skipped


def _warn_skipped(found, skipped):
    instead = "; using %s instead" % found if found else ""
    for err in skipped:
        print("warning: skipping a damaged checkpoint: %s%s" % (err, instead), file=sys.stderr)


def survivors(run_dir):
    """What a reader of the run would use after a failure, in words: its newest complete
    checkpoint, by step, or that it has none."""
    found = latest(run_dir, warn=False)
    if found is None:
        return "%s holds no complete checkpoint" % run_dir
    return "the newest complete checkpoint is step %d (%s), intact" % (checkpoint_step(found),
                                                                       found)


def find(run_dir, checkpoint_dir=None, *, needs=()):
    """The checkpoint every reader uses: ``checkpoint_dir`` verified, else the run's `latest`;
    ``needs`` as `load_meta`'s.

    Raises `CheckpointError` when the given one is damaged or the run has none that verifies,
    `NonFinite` when the run's checkpoints are whole but none is finite.
    """
    if checkpoint_dir is not None:
        if not Path(checkpoint_dir, "meta.json").exists():
            raise CheckpointError("no checkpoint at %s" % checkpoint_dir)
        verify(checkpoint_dir, needs)
        return Path(checkpoint_dir)
    found, skipped = _newest_verified(run_dir, needs)
    if skipped and found is None and all(isinstance(err, NonFinite) for err in skipped):
        raise NonFinite("no usable model at %s: its %d checkpoint(s) all hold NaN or infinite "
                        "values (the newest: %s), so the run diverged before any was saved"
                        % (run_dir, len(skipped), skipped[0]))
    _warn_skipped(found, skipped)
    if found is None:
        raise CheckpointError("no trained model at %s%s" % (
            run_dir, " (its checkpoints are all damaged)" if skipped else ""))
    return found
