"""mxgan: generative adversarial networks on Apache MXNet's Symbol and Module API.

Importing the package checks the environment first, so a wrong Python, numpy or MXNet fails with
one message that says what to install instead of a traceback from deep inside MXNet.
"""
import sys

__version__ = "0.1.0"


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
    except Exception as err:  # a broken build raises OSError or AttributeError, not only ImportError
        return ("MXNet cannot be imported (%s: %s): run `pip install mxnet==1.9.1`, or "
                "mxnet-cu112==1.9.1 for a CUDA 11.2 GPU." % (type(err).__name__, err))
    return None


_problem = _environment_problem()
if _problem:
    raise ImportError("mxgan: " + _problem)
del _problem
