"""numpy names MXNet 1.9.1 still uses, restored on the numpy releases that removed them.

MXNet 1.9.1 is MXNet's last release (the project is archived; its numpy 1.24 fix, apache/mxnet
#21213, was never merged), so `import mxnet` fails on numpy >= 1.24, the only numpy Python 3.12
and 3.13 have. `restore_numpy_names()` runs before anything imports MXNet (``import mxgan`` calls
it) and adds to the ``numpy`` module exactly the names MXNet reaches, each only where missing:
numpy's own names are never replaced, and on numpy < 1.24 nothing changes. Each entry names the
MXNet file and line it serves (tests/test_compat.py reads them there). Not covered, because
mxgan never calls them: ``mx.np.pad`` with a string mode (``numpy.compat.basestring``) and
``mx.recordio.pack`` (``ndarray.tostring``).
"""
import math
import warnings

import numpy

FIRST_NUMPY_WITHOUT_NAMES = (1, 24)


def _sometrue(*args, **kwargs):
    return numpy.any(*args, **kwargs)


def _alltrue(*args, **kwargs):
    return numpy.all(*args, **kwargs)


def _round_(*args, **kwargs):
    return numpy.round(*args, **kwargs)


def _product(*args, **kwargs):
    return numpy.prod(*args, **kwargs)


def _msort(a):
    return numpy.sort(a, axis=0)


def _in1d(ar1, ar2, *args, **kwargs):
    return numpy.isin(numpy.ravel(ar1), ar2, *args, **kwargs)


def _trapz(*args, **kwargs):
    return numpy.trapezoid(*args, **kwargs)


def _financial_removed(*args, **kwargs):
    raise RuntimeError("numpy's financial functions were removed in numpy 1.20; "
                       "use the numpy_financial package")


# name: (what it is restored as, the file and line of MXNet 1.9.1 that reaches for it). The
# aliases are functions of their own, not numpy's: MXNet registers each name of its dispatch list
# as a key of its own (numpy_dispatch_protocol.py:219-221), so `sometrue` bound to `numpy.any`
# itself would re-register `any`.
NAMES = {
    "bool": (bool, "numpy/utils.py:37"),  # also numpy/multiarray.py:591, 719, 725 at call time
    "PZERO": (0.0, "numpy/utils.py:42"),
    "NZERO": (-0.0, "numpy/utils.py:43"),
    "NINF": (-math.inf, "numpy/utils.py:44"),
    "PINF": (math.inf, "numpy/utils.py:45"),
    "NAN": (math.nan, "numpy/utils.py:47"),
    "NaN": (math.nan, "numpy/utils.py:48"),
    "Inf": (math.inf, "gluon/contrib/estimator/event_handler.py:248"),
    "alltrue": (_alltrue, "numpy/fallback.py:111"),
    "in1d": (_in1d, "numpy/fallback.py:135"),
    "mirr": (_financial_removed, "numpy/fallback.py:143"),
    "msort": (_msort, "numpy/fallback.py:145"),
    "npv": (_financial_removed, "numpy/fallback.py:160"),
    "pmt": (_financial_removed, "numpy/fallback.py:164"),
    "ppmt": (_financial_removed, "numpy/fallback.py:173"),
    "pv": (_financial_removed, "numpy/fallback.py:176"),
    "rate": (_financial_removed, "numpy/fallback.py:177"),
    "trapz": (_trapz, "numpy/fallback.py:190"),
    "sometrue": (_sometrue, "numpy_dispatch_protocol.py:87"),
    "round_": (_round_, "numpy_dispatch_protocol.py:92"),
    "product": (_product, "numpy_dispatch_protocol.py:124"),
}


def numpy_version():
    """numpy's (major, minor) release."""
    return tuple(int(part) for part in numpy.__version__.split(".")[:2])


def _has(name):
    """Whether numpy answers `name` (numpy 1.24-1.26 raise AttributeError for `numpy.bool`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            getattr(numpy, name)
        except AttributeError:
            return False
    return True


def restore_numpy_names():
    """Add to numpy the names in NAMES that it lacks; return the names added."""
    if numpy_version() < FIRST_NUMPY_WITHOUT_NAMES:
        return []
    missing = [name for name in NAMES if not _has(name)]
    for name in missing:
        setattr(numpy, name, NAMES[name][0])
    return missing

