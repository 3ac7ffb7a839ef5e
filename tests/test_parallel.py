"""Data parallelism inside one process: several devices equal one device with the same global
batch, and checkpoints move between device counts.

The equality needs networks without BatchNorm: with it each device normalises its own slice,
which is MXNet's (and everyone's) data-parallel BatchNorm, not a bug. So these tests use small
BatchNorm-free networks with the same inputs as mxgan's; everything else is the shipped code.
"""
import time

from mxgan.common.checks import UsageError
from mxgan.distributed import parallel
from mxgan.distributed.parallel import Cluster
from mxgan.launch import free_port
from mxgan.nets import symbols
from mxgan.nets.conditions import encode_digits
from mxgan.training import checkpoint
from mxgan.training.cgan import ExecutorGAN
from mxgan.training.dcgan import ModuleGAN
from mxgan.training.recipe import Recipe

import mxnet as mx
import numpy as np
import pytest

BATCH, NZ = 8, 6
ONE, TWO = [mx.cpu(0)], [mx.cpu(0), mx.cpu(1)]
# Summation order differs between one device and two; Adam divides by sqrt(v), so a weight
# can move by a little more than float32 rounding. Measured: max difference ~3e-7 after 3 steps.
TOLERANCE = dict(rtol=1e-4, atol=2e-6)


def _generator(condition=None):
    code = mx.sym.flatten(mx.sym.Variable("rand"))
    if condition:
        code = mx.sym.concat(mx.sym.flatten(mx.sym.Variable("cond")), code, dim=1)
    hidden = mx.sym.Activation(mx.sym.FullyConnected(code, num_hidden=32, name="g_fc1"), "relu")
    image = mx.sym.Activation(mx.sym.FullyConnected(hidden, num_hidden=784, name="g_fc2"), "tanh")
    return mx.sym.reshape(image, shape=(-1, 1, 28, 28))


def _discriminator(condition=None):
    features = mx.sym.flatten(mx.sym.Variable("data"))
    if condition:
        features = mx.sym.concat(features, mx.sym.flatten(mx.sym.Variable("cond")), dim=1)
    hidden = mx.sym.LeakyReLU(mx.sym.FullyConnected(features, num_hidden=32, name="d_fc1"),
                              slope=0.2)
    return symbols.logistic_head(mx.sym.FullyConnected(hidden, num_hidden=1, name="d_fc2"))


def dcgan_trainer(context):
    mx.random.seed(0)
    return ModuleGAN(_generator(), _discriminator(), batch_size=BATCH, nz=NZ,
                     image_shape=(1, 28, 28), context=context, recipe=Recipe(lr=1e-3))


def cgan_trainer(context):
    mx.random.seed(0)
    return ExecutorGAN(_generator("onehot"), _discriminator("onehot"), batch_size=BATCH, nz=NZ,
                       condition="onehot", context=context, recipe=Recipe(lr=1e-3))


def _dcgan_params(trainer):
    return {name: value.asnumpy() for mod in (trainer.mod_g, trainer.mod_d)
            for name, value in mod.get_params()[0].items()}


def _cgan_params(trainer):
    return {name: value.asnumpy() for net in ("generator", "discriminator")
            for name, value in trainer.get_params(net)[0].items()}


def _dcgan_steps(trainer, real_u8, steps):
    for step in range(steps):
        mx.random.seed(100 + step)  # the same noise for every device layout
        trainer.step(mx.nd.array(real_u8[step * BATCH:(step + 1) * BATCH], dtype=np.uint8))


def _cgan_steps(trainer, real_u8, steps):
    cond = mx.nd.array(encode_digits(np.arange(BATCH) % 10, "onehot"))
    for step in range(steps):
        mx.random.seed(100 + step)
        trainer.step(mx.nd.array(real_u8[step * BATCH:(step + 1) * BATCH], dtype=np.uint8), cond)


CASES = {"dcgan": (dcgan_trainer, _dcgan_steps, _dcgan_params),
         "cgan": (cgan_trainer, _cgan_steps, _cgan_params)}


def _assert_same_params(a, b):
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_allclose(a[name], b[name], err_msg=name, **TOLERANCE)


@pytest.mark.parametrize("model", CASES)
def test_two_devices_train_like_one_device_with_the_same_global_batch(real_u8, model):
    make, steps, params = CASES[model]
    one, two = make(ONE), make(TWO)
    initial = params(one)
    _assert_same_params(initial, params(two))
    steps(one, real_u8, 3)
    steps(two, real_u8, 3)
    moved = params(one)
    assert all(not np.allclose(moved[k], initial[k]) for k in moved if k.endswith("weight"))
    _assert_same_params(moved, params(two))


@pytest.mark.parametrize("model", CASES)
@pytest.mark.parametrize("saved_on, resumed_on", [(TWO, ONE), (ONE, TWO)], ids=["2to1", "1to2"])
def test_checkpoint_resumes_on_another_device_count(tmp_path, real_u8, model, saved_on,
                                                    resumed_on):
    """Optimiser state (Adam's moments and step counts) survives the move: the resumed trainer
    takes the same next step as the uninterrupted one."""
    make, steps, params = CASES[model]
    straight = make(saved_on)
    steps(straight, real_u8, 2)
    ckpt = checkpoint.save(tmp_path, 2, straight.checkpoint_states(), {"config": {}})
    resumed = make(resumed_on)
    resumed.restore(ckpt)
    _assert_same_params(params(straight), params(resumed))
    steps(straight, real_u8[2 * BATCH:], 1)
    steps(resumed, real_u8[2 * BATCH:], 1)
    _assert_same_params(params(straight), params(resumed))


def test_devices_hold_identical_copies_with_batchnorm(real_u8):
    """With mxgan's own networks (BatchNorm included) the copies stay equal bit for bit."""
    generator, discriminator = symbols.get_network("cgan28", condition="onehot", nz=NZ,
                                                   ngf=(16, 8, 8), ndf=(4, 4, 8))
    trainer = ExecutorGAN(generator, discriminator, batch_size=BATCH, nz=NZ, condition="onehot",
                          context=TWO)
    _cgan_steps(trainer, real_u8, 2)
    for net in ("generator", "discriminator"):
        for copies in trainer._params[net].weights:
            np.testing.assert_array_equal(copies[0].asnumpy(), copies[1].asnumpy())


@pytest.mark.parametrize("batch, workers, devices", [(8, 1, 3), (6, 4, 1), (10, 2, 2)])
def test_batch_that_does_not_split_evenly_is_refused(batch, workers, devices):
    with pytest.raises(ValueError, match="split evenly.*multiple of %d" % (workers * devices)):
        Cluster(rank=0, num_workers=workers).worker_batch(batch, devices)


def test_workers_get_disjoint_shards_and_distinct_noise_seeds():
    images = np.arange(10)
    shards = [Cluster(rank=r, num_workers=3).shard(images)[0] for r in range(3)]
    assert sorted(np.concatenate(shards)) == list(range(10))
    assert len({Cluster(rank=r, num_workers=3).seed(0) for r in range(3)}) == 3


def test_dist_kvstore_without_the_launcher_says_how_to_start_it(monkeypatch):
    monkeypatch.delenv("DMLC_ROLE", raising=False)
    with pytest.raises(RuntimeError, match="python -m mxgan.launch"):
        Cluster.join("dist_sync")


def test_a_worker_without_a_scheduler_says_so_within_a_bounded_time(monkeypatch):
    monkeypatch.setattr(parallel, "SCHEDULER_WAIT_S", 0.5)
    port = free_port()  # nobody listens there
    monkeypatch.setenv("DMLC_ROLE", "worker")
    monkeypatch.setenv("DMLC_PS_ROOT_URI", "127.0.0.1")
    monkeypatch.setenv("DMLC_PS_ROOT_PORT", str(port))
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="no KVStore scheduler answers at 127.0.0.1:%d after"
                                           % port):
        Cluster.join("dist_sync")
    assert time.monotonic() - start < 3


def test_a_worker_refuses_a_bad_peer_timeout_before_waiting_for_its_scheduler(monkeypatch):
    monkeypatch.setenv("DMLC_ROLE", "worker")
    monkeypatch.setenv("MXGAN_PEER_TIMEOUT", "1")
    start = time.monotonic()
    with pytest.raises(ValueError, match="MXGAN_PEER_TIMEOUT must be a number of seconds >= 5"):
        Cluster.join("dist_sync")
    assert time.monotonic() - start < 1


@pytest.mark.parametrize("kvstore, env, message", [
    ("local", {"DMLC_ROLE": "worker", "DMLC_PS_ROOT_URI": "10.0.0.1"},
     "DMLC_ROLE=worker DMLC_PS_ROOT_URI=10.0.0.1 set, a KVStore job's worker variables, but "
     "--kvstore is local: unset them, or pass --kvstore dist_sync"),
    ("device", {"DMLC_NUM_WORKER": "2"}, "DMLC_NUM_WORKER=2 set"),
    ("dist_sync", {"DMLC_ROLE": "worker", "DMLC_PS_ROOT_URI": "10.0.0.1"},
     "--kvstore dist_sync needs DMLC_PS_ROOT_PORT, DMLC_NUM_SERVER, DMLC_NUM_WORKER set"),
])
def test_a_kvstore_jobs_variables_must_match_the_kvstore_asked_for(kvstore, env, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parallel.check_job_variables(kvstore, env)
    parallel.check_job_variables("local", {})
    parallel.check_job_variables("dist_sync", dict(
        env, DMLC_ROLE="worker", DMLC_PS_ROOT_URI="h", DMLC_PS_ROOT_PORT="9", DMLC_NUM_SERVER="1",
        DMLC_NUM_WORKER="2"))
