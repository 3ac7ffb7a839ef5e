"""Room to work in: what memory and disk a command needs, against what the machine has free.

A count or width that cannot fit is refused before anything is allocated or written
(`TooLarge`, a user error: one line, exit 2), with the bytes needed, the bytes free and the flags
to lower. Estimates count the big arrays only and err low: a refusal is always right, and a
command that passes may still need somewhat more than its estimate.
"""
import os
from pathlib import Path

import mxnet as mx
import numpy as np

from .checks import UserError
from .files import format_bytes, free_bytes

_FLOAT32 = 4
# Copies of each parameter training keeps: the weight, its gradient and Adam's two moments.
TRAINING_COPIES = 4
_CGROUP_FILES = (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                 ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                  "/sys/fs/cgroup/memory/memory.usage_in_bytes"))


class TooLarge(UserError):
    """What was asked for needs more memory or disk than there is; the message says how much
    of each, and what to lower."""


def available_memory():
    """Bytes of memory a new allocation can take: the kernel's MemAvailable, or less where a
    control group limits this process."""
    found = [_meminfo_available()]
    for limit_file, usage_file in _CGROUP_FILES:
        limit, usage = _read_number(limit_file), _read_number(usage_file)
        if limit is not None and usage is not None:
            found.append(max(0, limit - usage))
    known = [value for value in found if value is not None]
    if not known:  # no /proc: what the C library counts as free pages
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return min(known)


def _meminfo_available():
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _read_number(path):
    """The integer in a one-line file, or None (absent, unreadable or ``max``: no limit)."""
    try:
        return int(Path(path).read_text().strip())
    except (OSError, ValueError):
        return None


def check_memory(needed, what, lower):
    """A `TooLarge` when ``needed`` bytes (for ``what``, e.g. "--generate 4000000000") exceed
    the memory available; ``lower`` names what to change."""
    available = available_memory()
    if needed > available:
        raise TooLarge("%s needs at least %s of memory and %s is available: %s"
                       % (what, format_bytes(needed), format_bytes(available), lower))


def check_disk(path, needed, what, lower):
    """A `TooLarge` when ``needed`` bytes (written by ``what``) exceed the free space on the
    filesystem of ``path``; ``lower`` names what to change."""
    free = free_bytes(path)
    if needed > free:
        raise TooLarge("%s needs %s on the filesystem of %s and %s is free: %s"
                       % (what, format_bytes(needed), path, format_bytes(free), lower))


def array_bytes(shape, itemsize=_FLOAT32):
    """Bytes of an array of ``shape`` (Python integers: no overflow whatever the sizes)."""
    return int(np.prod([int(n) for n in shape], dtype=object)) * itemsize


def network_bytes(symbol, input_shapes):
    """(bytes of the parameters, bytes of the layer outputs of one sample) of a network
    ``symbol`` whose inputs (batch of one) have ``input_shapes`` {name: shape}; a `TooLarge`
    when MXNet cannot even describe a layer that size."""
    internals = symbol.get_internals()
    try:
        arg_shapes, out_shapes, aux_shapes = internals.infer_shape(**input_shapes)
    except mx.base.MXNetError as err:
        raise TooLarge("a layer of the network is too large for MXNet to describe (%s)"
                       % str(err).splitlines()[0]) from None
    params = sum(array_bytes(shape) for name, shape in zip(internals.list_arguments(), arg_shapes)
                 if name not in input_shapes)
    params += sum(array_bytes(shape) for shape in aux_shapes)
    outputs = sum(array_bytes(shape) for name, shape in zip(internals.list_outputs(), out_shapes)
                  if name.endswith("_output"))
    return params, outputs


def training_bytes(networks, batch_size):
    """A floor on the memory training ``networks`` [(symbol, input shapes of one sample)]
    takes at ``batch_size``: every parameter `TRAINING_COPIES` times, every layer output
    twice (its value and its gradient) for each sample."""
    total = 0
    for symbol, input_shapes in networks:
        params, outputs = network_bytes(symbol, input_shapes)
        total += TRAINING_COPIES * params + 2 * outputs * batch_size
    return total
