"""mxgan: generative adversarial networks on Apache MXNet's Symbol and Module API.

Importing the package checks the environment first, so a wrong Python, numpy or MXNet fails with
one message that says what to install instead of a traceback from deep inside MXNet, and a
variable MXNet would act on at import (a stale ``DMLC_ROLE``, a bad ``OMP_NUM_THREADS``) stops
the process with one line and exit 2 instead of a hang or an abort.
"""
import os
import re
import sys

__version__ = "0.1.0"
MIN_PYTHON = (3, 9)
if sys.version_info[:2] < MIN_PYTHON:
    raise ImportError("mxgan: Python %d.%d is too old: mxgan runs on Python 3.9 and newer "
                      "(tested on 3.9-3.13)." % sys.version_info[:2])

from .common import compat  # noqa: E402  (after the Python check: compat imports numpy)
from .distributed import peers  # noqa: E402

# ---- variables MXNet acts on when it is imported -----------------------------------------------

SERVER_MODULE = "mxgan.kvstore_server"  # the one command that asks to be a scheduler or server
_OPTIONS_WITH_VALUES = ("-X", "-W", "--check-hash-based-pycs")  # python's, before -m MODULE


def _exit_on(problem):
    """End the process with ``error: problem`` on stderr and exit 2, a user error's code.

    Exiting from inside an import, which a library should not do, is reserved for the variables
    below: with them MXNet's own import would never return (DMLC_ROLE=scheduler or server makes
    the process that node of a job, waiting for the job to end) or abort the process, and an
    ImportError would print a traceback where the fix is to unset a variable.
    """
    if problem:
        print("error: " + problem, file=sys.stderr)
        raise SystemExit(2)


def _interpreter_command():
    """This interpreter's own command line (``python -m mxgan.kvstore_server``): under ``-m``,
    ``sys.argv[0]`` reads '-m' until the module runs, so from ``sys.orig_argv`` (3.10+) or
    /proc/self/cmdline (3.9)."""
    if hasattr(sys, "orig_argv"):
        return list(sys.orig_argv)
    try:
        with open("/proc/self/cmdline", "rb") as cmdline:
            return cmdline.read().decode(errors="replace").split("\0")[:-1]
    except OSError:
        return list(sys.argv)


def _module_run_by(command):
    """The module a Python command line runs with ``-m``, or None (a script, ``-c``, a prompt)."""
    args = iter(command[1:])
    for arg in args:
        if arg.startswith("-m"):
            return arg[2:] or next(args, None)
        if arg in _OPTIONS_WITH_VALUES:
            next(args, None)
        elif not arg.startswith("-") or arg.startswith("-c") or arg == "-":
            return None
    return None


def _role_problem(env, module):
    """What is wrong with ``env``'s DMLC_ROLE for a process running ``module``, or None."""
    role = env.get("DMLC_ROLE")
    if role is None or role == "worker":
        return None
    if role not in ("scheduler", "server"):
        return ("DMLC_ROLE=%r is not a KVStore role (worker, server or scheduler): unset DMLC_ROLE"
                % role)
    if module != SERVER_MODULE:
        return ("DMLC_ROLE=%s would make this process a KVStore %s, waiting for a job forever: "
                "unset DMLC_ROLE (only python -m %s serves a job)" % (role, role, SERVER_MODULE))
    missing = [name for name in peers.DMLC_JOB_VARIABLES if not env.get(name)]
    if missing:
        return ("a KVStore %s needs %s set (README, 'Scaling out')" % (role, ", ".join(missing)))
    return None


def _threads_problem(env):
    """What is wrong with ``env``'s OMP_NUM_THREADS (MXNet aborts on one it cannot parse)."""
    text = env.get("OMP_NUM_THREADS", "")
    if text.strip() and not re.fullmatch(r"\s*[+-]?[0-9]+\s*", text):
        return ("OMP_NUM_THREADS=%r is not a whole number: set it to one, e.g. 2, or unset it"
                % env["OMP_NUM_THREADS"])
    return None


_exit_on(_role_problem(os.environ, _module_run_by(_interpreter_command())))
_exit_on(_threads_problem(os.environ))


# ---- threads, numpy, MXNet ----------------------------------------------------------------------

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
try:
    peers.watch_if_serving(os.environ)
except ValueError as err:  # a bad MXGAN_PEER_TIMEOUT
    _exit_on(str(err))
_fail_on(_mxnet_problem())
