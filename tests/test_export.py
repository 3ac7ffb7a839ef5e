"""ONNX export: onnxruntime reproduces MXNet's inference-mode output for every generator."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from mxgan import export
from mxgan.nets import symbols
from mxgan.nets.conditions import encode_digits
from mxgan.training import checkpoint, checkpoint_reading, generate
from mxgan.training.cgan import ExecutorGAN
from mxgan.training.dcgan import ModuleGAN

import mxnet as mx
import numpy as np
import pytest

try:
    import onnx
except ImportError:
    onnx = None
needs_onnx = pytest.mark.skipif(onnx is None or not importlib.util.find_spec("onnxruntime"),
                                reason='needs the onnx extra: pip install -e ".[onnx]"')

BATCH = 8
TOLERANCE = 1e-4  # on images in [-1, 1]
ROOT = Path(__file__).resolve().parents[1]


def _dcgan(size, channels, **levers):
    generator, discriminator = symbols.get_network("dcgan%d" % size, channels=channels, ngf=4,
                                                   ndf=4, nz=8, **levers)
    trainer = ModuleGAN(generator, discriminator, batch_size=BATCH, nz=8,
                        image_shape=(channels, size, size), context=[mx.cpu()])
    images = np.random.RandomState(0).randint(0, 256, (BATCH, channels, size, size))
    trainer.step(mx.nd.array(images, dtype=np.uint8))
    return trainer, {"model": "dcgan", "nz": 8, "batch_size": BATCH}


def _cgan(condition):
    generator, discriminator = symbols.get_network("cgan28", condition=condition, nz=6,
                                                   ngf=(16, 8, 8), ndf=(4, 4, 8))
    trainer = ExecutorGAN(generator, discriminator, batch_size=BATCH, nz=6, condition=condition,
                          context=mx.cpu())
    images = np.random.RandomState(0).randint(0, 256, (BATCH, 1, 28, 28))
    trainer.step(mx.nd.array(images, dtype=np.uint8),
                 mx.nd.array(encode_digits(np.arange(BATCH) % 10, condition)))
    return trainer, {"model": "cgan", "condition": condition, "nz": 6, "batch_size": BATCH}


NETWORKS = {"dcgan28": lambda: _dcgan(28, 1),  # 1 channel: the 2-filter + slice_axis last layer
            "dcgan64": lambda: _dcgan(64, 3),
            # D's levers change D alone: its generator exports as any other
            "dcgan28-levers": lambda: _dcgan(28, 1, minibatch_std=True, spectral_norm=True),
            "cgan-onehot": lambda: _cgan("onehot"),
            "cgan-embedding": lambda: _cgan("embedding")}


def _trained_looking(run_dir, build):
    """A checkpoint of a one-step trainer given what a long run has and one step lacks.

    After one step the running averages are still about (0, 1) while activations are ~0.05, so
    inference-mode images are ~1e-4 and any 1e-4 comparison would pass. Here: running averages
    of real activations (30 training passes, no update), images spread over (-1, 1), and a
    BatchNorm gamma of 2, which MXNet ignores (fix_gamma) and a naive export would not.
    """
    mx.random.seed(0)
    trainer, config = build()
    ckpt = checkpoint.save(run_dir, 1, trainer.checkpoint_states(), {"config": config})
    module = generate.load_generator(ckpt, batch_size=BATCH)
    for seed in range(30):  # forward alone leaves the running averages as they are
        images = _forward(module, export.random_inputs(config, BATCH, seed=100 + seed),
                          is_train=True)
        module.backward([mx.nd.ones(images.shape)])
    module.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.0})
    module.update()  # changes nothing, but makes get_params read the executors' new averages
    arg_params, aux_params = module.get_params()
    pre_tanh = np.arctanh(_forward(module, export.random_inputs(config, BATCH), is_train=False))
    last = max(name for name in arg_params if "deconv" in name)
    arg_params[last] *= 1.5 / pre_tanh.std()  # no BatchNorm after it: scales tanh's input
    for name in arg_params:
        if name.endswith("_gamma"):
            arg_params[name][:] = 2
    net = checkpoint.NetState(module.symbol, arg_params, aux_params)
    return checkpoint.save(run_dir, 2, {"generator": net}, {"config": config})


def _forward(module, inputs, *, is_train):
    module.forward(mx.io.DataBatch([mx.nd.array(inputs[name]) for name in module.data_names]),
                   is_train=is_train)
    return module.get_outputs()[0].asnumpy()


@pytest.fixture(scope="module", params=list(NETWORKS))
def exported(request, tmp_path_factory):
    """(network name, checkpoint, exported .onnx path) for each generator."""
    run_dir = tmp_path_factory.mktemp(request.param)
    ckpt = _trained_looking(run_dir, NETWORKS[request.param])
    return request.param, ckpt, export.export_generator(ckpt, run_dir / "generator.onnx")


@needs_onnx
def test_checkpoints_are_not_trivial(exported):
    """Guards the comparisons below: running averages moved, images fill (-1, 1)."""
    _, ckpt, _ = exported
    _, aux_params = checkpoint_reading.load_params(ckpt, "generator")
    variances = np.concatenate([v.asnumpy() for k, v in aux_params.items() if "moving_var" in k])
    assert np.abs(variances - 1).min() > 0.5
    images = export.run_mxnet(ckpt, export.random_inputs(checkpoint.load_meta(ckpt)["config"],
                                                         BATCH))
    assert images.std() > 0.3 and images.min() < -0.5 and images.max() > 0.5


@needs_onnx
@pytest.mark.parametrize("batch_size", [BATCH, 3])
def test_onnxruntime_matches_mxnet_inference_mode(exported, batch_size):
    _, ckpt, onnx_path = exported
    onnx.checker.check_model(str(onnx_path))
    inputs = export.random_inputs(checkpoint.load_meta(ckpt)["config"], batch_size, seed=7)
    expected = export.run_mxnet(ckpt, inputs)
    actual = export.run_onnx(onnx_path, inputs)
    assert actual.shape == expected.shape and actual.shape[0] == batch_size
    assert np.abs(actual - expected).max() < TOLERANCE


@needs_onnx
def test_onnx_model_uses_running_averages_not_batch_statistics(exported):
    _, ckpt, onnx_path = exported
    inputs = export.random_inputs(checkpoint.load_meta(ckpt)["config"], BATCH, seed=7)
    batch_statistics = export.run_mxnet(ckpt, inputs, is_train=True)
    assert np.abs(export.run_onnx(onnx_path, inputs) - batch_statistics).max() > 100 * TOLERANCE


@needs_onnx
def test_inputs_keep_mxnet_names_and_weights_are_not_inputs(exported):
    name, _, onnx_path = exported
    graph = onnx.load(str(onnx_path)).graph
    expected = ["cond", "rand"] if name.startswith("cgan") else ["rand"]
    assert [value.name for value in graph.input] == expected
    batch_axis = graph.input[-1].type.tensor_type.shape.dim[0]
    assert not batch_axis.HasField("dim_value")  # dynamic


@needs_onnx
def test_export_without_the_fix_gamma_rewrite_would_be_wrong(tmp_path, monkeypatch, capsys):
    """The exporter copies gamma although fix_gamma makes MXNet use 1: the rewrite matters."""
    ckpt = _trained_looking(tmp_path, NETWORKS["dcgan28"])
    monkeypatch.setattr(export, "_fix_gamma", lambda symbol, arg_params: arg_params)
    naive = export.export_generator(ckpt, tmp_path / "naive.onnx")
    assert export.max_abs_difference(ckpt, naive) > 100 * TOLERANCE
    assert export.main([str(tmp_path)]) == 1  # and the CLI's check says so
    assert "error: the ONNX model differs from MXNet" in capsys.readouterr().err


@needs_onnx
def test_fixed_batch_size(tmp_path):
    ckpt = _trained_looking(tmp_path, NETWORKS["cgan-embedding"])
    onnx_path = export.export_generator(ckpt, tmp_path / "g.onnx", batch_size=4)
    shapes = [[d.dim_value for d in value.type.tensor_type.shape.dim]
              for value in onnx.load(str(onnx_path)).graph.input]
    assert shapes == [[4], [4, 6, 1, 1]]
    assert export.max_abs_difference(ckpt, onnx_path, batch_size=4) < TOLERANCE


@needs_onnx
def test_cli_exports_and_prints_the_difference(tmp_path, capsys):
    ckpt = _trained_looking(tmp_path, NETWORKS["dcgan28"])
    assert export.main([str(tmp_path), "--out", str(tmp_path / "out" / "g.onnx")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("wrote %s from %s" % (tmp_path / "out" / "g.onnx", ckpt))
    assert float(lines[-1].rsplit(" ", 1)[-1]) < TOLERANCE
    assert (tmp_path / "out" / "g.onnx").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("command, shown", [
    (None, "one of python examples/*_mnist.py"),
    ("python examples/cgan_mnist.py", "python examples/cgan_mnist.py")])
def test_cli_without_a_checkpoint_exits_2_naming_the_training_command(tmp_path, command, shown):
    if command:  # a run that has started (config.json) but saved no checkpoint yet
        (tmp_path / "config.json").write_text(json.dumps({"train_command": command}))
    result = subprocess.run([sys.executable, "-m", "mxgan.export", str(tmp_path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "error: no trained model at %s: train it first with %s --out %s"
        % (tmp_path, shown, tmp_path))
    assert not (tmp_path / "generator.onnx").exists()


def test_cli_without_onnxruntime_says_what_to_install(tmp_path, monkeypatch, capsys):
    _trained_looking(tmp_path, NETWORKS["dcgan28"])
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # makes `import onnxruntime` fail
    with pytest.raises(SystemExit) as exit_info:
        export.main([str(tmp_path)])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == (
        'error: onnxruntime is not installed: run pip install -e ".[onnx]"\n')
