"""mxgan: generative adversarial networks on Apache MXNet's Symbol and Module API.

Importing the package checks the environment first, so a wrong Python, numpy or MXNet fails with
one message that says what to install instead of a traceback from deep inside MXNet.
"""
import os
import sys

__version__ = "0.1.0"
MIN_PYTHON = (3, 9)
if sys.version_info[:2] < MIN_PYTHON:
    raise ImportError("mxgan: Python %d.%d is too old: mxgan runs on Python 3.9 and newer "
                      "(tested on 3.9-3.13)." % sys.version_info[:2])

from . import compat, peers  # noqa: E402  (after the Python check: compat imports numpy)


def _physical_cores():
    """Cores this process may run on, counting hyperthread siblings once."""
    allowed = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else range(os.cpu_count())
    siblings = set()
    for cpu in allowed:
        path = "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list" % cpu
        siblings.add(open(path).read().strip() if os.path.exists(path) else str(cpu))
    return max(1, len(siblings))


# MXNet sizes its OpenMP pool to half the processors on x86, assuming hyperthreads; on machines
# without them (most VMs) that leaves half the cores idle: 125 -> 212 images/s for the CGAN on
# 2 cores. Count physical cores instead, unless the user chose (this must precede `import mxnet`).
USER_SET_OMP_THREADS = "OMP_NUM_THREADS" in os.environ
os.environ.setdefault("OMP_NUM_THREADS", str(_physical_cores()))


MIN_NUMPY = (1, 21)
MXNET_INSTALL = ("`pip install mxnet==1.9.1` (Python 3.13 and newer: `pip install --no-deps "
                 "mxnet==1.9.1`; for a CUDA 11.2 GPU, mxnet-cu112 instead of mxnet)")


def _fail_on(problem):
    """Stop the import with one sentence when the environment cannot run MXNet 1.9.1."""
    if problem:
        raise ImportError("mxgan: " + problem)


def _numpy_problem():
    if compat.numpy_version() < MIN_NUMPY:
        return ("numpy %s is too old for MXNet 1.9.1, which needs 1.21 or newer: run `pip install "
                "-e .`, which picks the numpy for this Python." % compat.numpy.__version__)
    return None


def _mxnet_problem():
    try:
        import mxnet  # noqa: F401
    except ModuleNotFoundError as err:
        if err.name == "distutils":
            return ("MXNet 1.9.1 imports distutils, which left the standard library in Python "
                    "3.12: run `pip install setuptools`, which provides it again.")
        return "MXNet is not installed: run " + MXNET_INSTALL + "."
    except Exception as err:  # a broken build raises OSError or AttributeError too
        return ("MXNet cannot be imported (%s: %s): run %s."
                % (type(err).__name__, err, MXNET_INSTALL))
    return None


# The order matters: the numpy names MXNet 1.9.1 needs are restored before anything imports it,
# and a KVStore scheduler or server, which serves its job inside `import mxnet`, starts its watch
# on the job's peers first.
_fail_on(_numpy_problem())
compat.restore_numpy_names()
peers.watch_if_serving(os.environ)
_fail_on(_mxnet_problem())
