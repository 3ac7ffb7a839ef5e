"""A checkpoint's files read back, and each way one that cannot be read is refused naming it."""
import json
import pickle

from mxgan.training import checkpoint
from mxgan.training.checkpoint_reading import (
    CheckpointError,
    load_meta,
    load_params,
    load_symbol,
    read_states,
)

import mxnet as mx
import numpy as np
import pytest

import tiny


def test_a_networks_graph_and_parameters_come_back_as_saved(tmp_path):
    ckpt = tiny.one_layer_checkpoint(tmp_path, 7, weight=0.5)
    assert load_symbol(ckpt, "net").list_arguments() == ["data", "fc_weight", "fc_bias"]
    arg_params, aux_params = load_params(ckpt, "net")
    assert sorted(arg_params) == ["fc_bias", "fc_weight"] and aux_params == {}
    np.testing.assert_array_equal(arg_params["fc_weight"].asnumpy(), np.full((2, 3), 0.5))
    assert load_meta(ckpt)["iteration"] == 7


@pytest.mark.parametrize("like, message", [
    ({"fc_weight": mx.nd.zeros((2, 3))}, "holds parameter.* the network does not have: fc_bias"),
    ({"fc_weight": mx.nd.zeros((2, 3)), "fc_bias": mx.nd.zeros(2), "other": mx.nd.zeros(1)},
     "lacks the parameter other"),
    ({"fc_weight": mx.nd.zeros((3, 3)), "fc_bias": mx.nd.zeros(2)},
     r"parameter fc_weight has shape \(2, 3\), the network needs \(3, 3\)"),
])
def test_parameters_that_do_not_fit_the_network_are_refused_naming_one(tmp_path, like, message):
    ckpt = tiny.one_layer_checkpoint(tmp_path, 1)
    with pytest.raises(CheckpointError, match=message):
        load_params(ckpt, "net", like=(like, {}))


def test_files_that_are_not_what_they_claim_are_refused_naming_them(tmp_path):
    ckpt = tiny.one_layer_checkpoint(tmp_path, 1)
    (ckpt / "net-0001.params").write_bytes(b"not MXNet")
    with pytest.raises(CheckpointError, match="net-0001.params is not a readable MXNet parameter"):
        load_params(ckpt, "net")
    for graph in ("[1, 2]", "{"):  # "{": MXNet's own message about it is not valid text
        (ckpt / "net-symbol.json").write_text(graph)
        with pytest.raises(CheckpointError, match="net-symbol.json is not a readable MXNet graph"):
            load_symbol(ckpt, "net")


@pytest.mark.parametrize("meta, message", [
    ("{", "meta.json is unreadable"),
    (json.dumps({"iteration": "1", "config": {}}), "lacks its run's iteration or config"),
    (json.dumps({"iteration": 1, "config": {"seed": 0}}), "lacks nz and model in the config"),
])
def test_metadata_without_what_the_reader_needs_is_refused(tmp_path, meta, message):
    ckpt = tiny.one_layer_checkpoint(tmp_path, 1)
    (ckpt / "meta.json").write_text(meta)
    with pytest.raises(CheckpointError, match=message):
        load_meta(ckpt, needs=("nz", "model"))


def test_optimizer_state_is_a_dict_of_arrays_by_index_or_refused(tmp_path):
    path = tmp_path / "net-0001.states"
    path.write_bytes(pickle.dumps({0: mx.nd.ones(2), 1: (mx.nd.zeros(2), mx.nd.ones(3))}))
    states = read_states(path)
    assert sorted(states) == [0, 1] and states[1][1].shape == (3,)
    path.write_bytes(pickle.dumps([mx.nd.ones(2)]))
    with pytest.raises(CheckpointError, match="not a dict of optimiser states by index"):
        read_states(path)
    path.write_bytes(b"")
    with pytest.raises(CheckpointError, match="not loadable optimiser state"):
        read_states(path)


def test_checkpoint_error_is_one_class_wherever_it_is_imported_from():
    assert checkpoint.CheckpointError is CheckpointError
