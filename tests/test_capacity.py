"""Room to work in: what a command needs of memory and disk, refused before it starts when
there is not enough."""
from mxgan import run
from mxgan.common import capacity
from mxgan.common.capacity import TooLarge

import mxnet as mx
import pytest


@pytest.mark.parametrize("flag, value", [("batch_size", 10 ** 8), ("ngf", 2 ** 16),
                                         ("ndf", 2 ** 16)])
def test_training_that_cannot_fit_in_memory_is_refused_before_allocating(flag, value):
    config = dict(image_size=28, channels=1, ngf=4, ndf=4, nz=100, batch_size=8, graph="fast")
    config[flag] = value
    generator, discriminator = run.dcgan_networks(config)
    with pytest.raises(TooLarge, match="training with .*--%s %d.* needs at least .* of memory "
                                       "and .* is available: lower --batch-size"
                                       % (flag.replace("_", "-"), value)):
        run.check_training_memory(config, generator, discriminator, [mx.cpu()])
    run.check_training_memory(dict(config, **{flag: 8}), *run.dcgan_networks(
        dict(config, **{flag: 8})), [mx.cpu()])


def test_available_memory_is_a_positive_count_of_bytes():
    assert 0 < capacity.available_memory() < 2 ** 60


def test_array_sizes_are_counted_without_overflow():
    assert capacity.array_bytes((2, 3)) == 24
    assert capacity.array_bytes((10 ** 12, 28, 28), itemsize=1) == 784 * 10 ** 12


def test_a_network_counts_its_parameters_and_its_layer_outputs():
    fc = mx.sym.FullyConnected(mx.sym.Variable("data"), num_hidden=5, name="fc")
    net = mx.sym.Activation(fc, act_type="relu", name="relu")
    params, outputs = capacity.network_bytes(net, {"data": (1, 3)})
    assert params == 4 * (5 * 3 + 5)  # weight and bias, float32
    assert outputs == 4 * (5 + 5)  # the layer's output and the activation's, one sample
    assert capacity.training_bytes([(net, {"data": (1, 3)})], batch_size=10) == (
        capacity.TRAINING_COPIES * params + 2 * outputs * 10)


def test_memory_and_disk_that_do_not_hold_what_is_asked_are_refused_naming_both(
        tmp_path, monkeypatch):
    monkeypatch.setattr(capacity, "available_memory", lambda: 1024)
    capacity.check_memory(1024, "--generate 8", "lower --generate")
    with pytest.raises(TooLarge, match="^--generate 9 needs at least 2.0 KiB of memory and "
                                       "1.0 KiB is available: lower --generate$"):
        capacity.check_memory(2048, "--generate 9", "lower --generate")
    monkeypatch.setattr(capacity, "free_bytes", lambda path: 1536)
    capacity.check_disk(tmp_path, 1536, "writing x.npy", "lower --count")
    with pytest.raises(TooLarge, match="writing x.npy needs 2.0 KiB on the filesystem of .* and "
                                       "1.5 KiB is free: lower --count"):
        capacity.check_disk(tmp_path, 2048, "writing x.npy", "lower --count")
