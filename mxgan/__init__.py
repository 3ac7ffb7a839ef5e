"""mxgan: generative adversarial networks on Apache MXNet's Symbol and Module API.

Importing the package checks the environment first, so a wrong Python, numpy or MXNet fails with
one message that says what to install instead of a traceback from deep inside MXNet.
"""
import os
import sys

__version__ = "0.1.0"


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


def _environment_problem():
    """Return a sentence describing why MXNet 1.9.1 cannot run here, or None."""
    if sys.version_info[:2] > (3, 11):
        return ("Python %d.%d is not supported: MXNet 1.9.1 needs numpy<1.24, which has no wheels "
                "past Python 3.11. Use Python 3.8-3.11 (e.g. `python3.11 -m venv .venv`)."
                % sys.version_info[:2])
    try:
        import numpy
    except ImportError:
        return "numpy is not installed: run `pip install \"numpy<1.24\"`."
    major, minor = (int(part) for part in numpy.__version__.split(".")[:2])
    if (major, minor) >= (1, 24):
        return ("numpy %s is installed, but MXNet 1.9.1 needs numpy<1.24 (it uses np.bool): run "
                "`pip install \"numpy<1.24\"`." % numpy.__version__)
    try:
        import mxnet  # noqa: F401
    except Exception as err:  # a broken build raises OSError or AttributeError too
        return ("MXNet cannot be imported (%s: %s): run `pip install mxnet==1.9.1`, or "
                "mxnet-cu112==1.9.1 for a CUDA 11.2 GPU." % (type(err).__name__, err))
    return None


_problem = _environment_problem()
if _problem:
    raise ImportError("mxgan: " + _problem)
del _problem
