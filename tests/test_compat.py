"""mxgan.common.compat: the numpy names MXNet 1.9.1 needs, restored only where numpy removed
them."""
import math
import types
from pathlib import Path

from mxgan.common import compat

import mxnet as mx
import numpy as np
import pytest

MXNET = Path(mx.__file__).parent


@pytest.mark.parametrize("name", sorted(compat.NAMES))
def test_every_name_is_where_the_comment_says_mxnet_uses_it(name):
    path, line = compat.NAMES[name][1].split(":")
    source = (MXNET / path).read_text().splitlines()[int(line) - 1]
    assert name in source, (path, line, source)


def _fake_numpy(version, **names):
    fake = types.ModuleType("numpy")
    fake.__version__ = version
    fake.__dict__.update(names)
    return fake


def test_numpy_before_1_24_is_left_untouched(monkeypatch):
    fake = _fake_numpy("1.23.5")
    monkeypatch.setattr(compat, "numpy", fake)
    assert compat.restore_numpy_names() == []
    assert set(vars(fake)) == {"__name__", "__doc__", "__package__", "__loader__", "__spec__",
                               "__version__"}


def test_a_numpy_without_the_names_gets_exactly_the_missing_ones(monkeypatch):
    own_inf = object()
    fake = _fake_numpy("2.1.0", Inf=own_inf, any=np.any, all=np.all, sort=np.sort)
    monkeypatch.setattr(compat, "numpy", fake)
    added = compat.restore_numpy_names()
    assert set(added) == set(compat.NAMES) - {"Inf"}
    assert fake.Inf is own_inf  # numpy's own names are never replaced
    assert fake.PZERO == 0.0 and math.copysign(1, fake.NZERO) == -1 and fake.NINF == -math.inf
    assert fake.sometrue([0, 1]) and not fake.alltrue([0, 1])
    assert fake.msort(np.array([[3, 1], [2, 4]])).tolist() == [[2, 1], [3, 4]]
    with pytest.raises(RuntimeError, match="numpy_financial"):
        fake.npv(0.1, [1, 2])


def test_numpy_1_26_gains_bool_without_a_warning(monkeypatch, recwarn):
    class Numpy126(types.ModuleType):
        """numpy 1.24-1.26 answer `numpy.bool` with a FutureWarning and an AttributeError."""
        def __getattr__(self, name):
            if name == "bool":
                import warnings
                warnings.warn("In the future `np.bool` will be defined", FutureWarning)
            raise AttributeError(name)
    fake = Numpy126("numpy")
    fake.__version__ = "1.26.4"
    fake.__dict__.update({name: NotImplemented for name in compat.NAMES if name != "bool"})
    monkeypatch.setattr(compat, "numpy", fake)
    assert compat.restore_numpy_names() == ["bool"]
    assert fake.bool is bool and not recwarn.list


def test_the_installed_numpy_runs_mxnet():
    """Whatever numpy this Python has, MXNet's numpy front end and its dispatch work."""
    assert compat.restore_numpy_names() == []  # `import mxgan` has restored them already
    array = mx.np.array([[1.0, 2.0], [3.0, 4.0]])
    assert np.sum(array).item() == 10.0
    assert (mx.nd.array([1, 5]) > 2).asnumpy().tolist() == [0.0, 1.0]
