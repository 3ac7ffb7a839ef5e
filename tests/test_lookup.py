"""Which run and checkpoint a command opens, and how to train a run that has none."""
import json

from mxgan.common.checks import UsageError
from mxgan.runs import lookup

import pytest

from tiny import SAVED_RUN


def test_the_way_to_train_a_run_is_its_recorded_command_else_the_callers(tmp_path):
    assert lookup.how_to_train(tmp_path, "python x.py") == "python x.py --out %s" % tmp_path
    assert lookup.how_to_train(tmp_path).startswith("one of python examples/*_mnist.py")
    (tmp_path / "config.json").write_text('{"train_command": "python examples/cgan_mnist.py"}')
    assert lookup.how_to_train(tmp_path, "python x.py").startswith("python examples/cgan_mnist.py")


def test_a_run_of_the_other_model_is_named_with_the_example_that_opens_it(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(dict(SAVED_RUN, model="cgan")))
    with pytest.raises(UsageError, match="^%s holds a CGAN run, not a DCGAN one: open it with "
                       "python examples/cgan_mnist.py$" % tmp_path):
        lookup.claim(tmp_path, "dcgan")
    lookup.claim(tmp_path, "cgan")
    lookup.claim(tmp_path / "new", "dcgan")
    with pytest.raises(UsageError, match="holds a run of model 'wgan', which mxgan does not train"):
        lookup.check_model(dict(SAVED_RUN, model="wgan"), "dcgan", tmp_path)
