"""mxgan.training.generate: a saved generator drawn on the CPU, by noise code, by digit, and to
files."""
from mxgan.training import checkpoint, generate
from mxgan.training.checkpoint import CheckpointError

import mxnet as mx
import numpy as np
import pytest

import tiny


def _saved(model, tmp_path, real_u8):
    trainer = tiny.TRAINERS[model]()
    trainer.step(**tiny.batch(model, real_u8))
    config = {"nz": tiny.NZ, "batch_size": tiny.BATCH, "dataset": "mnist", "seed": 0}
    if model == "cgan":
        config["condition"] = "onehot"
    checkpoint.save(tmp_path, 1, trainer.checkpoint_states(), {"config": config})
    return trainer


def test_a_run_samples_images_in_range_and_repeatably(tmp_path, real_u8):
    _saved("dcgan", tmp_path, real_u8)
    images, digits, dataset = generate.sample_run(tmp_path, 11, seed=4)
    assert images.shape == (11, 1, 28, 28) and digits is None and dataset == "mnist"
    assert np.abs(images).max() <= 1
    np.testing.assert_array_equal(images, generate.sample_run(tmp_path, 11, seed=4)[0])
    assert not np.allclose(images, generate.sample_run(tmp_path, 11, seed=5)[0])


def test_a_conditional_run_draws_the_asked_digits_among_all_ten(tmp_path, real_u8):
    _saved("cgan", tmp_path, real_u8)
    module, config = generate.open_generator(tmp_path)
    images = generate.sample_digits(module, np.array([7, 7, 2]), condition="onehot", seed=1)
    # each asked digit is drawn in a batch of all ten digits, the asked one in the first slot
    slots = np.stack([np.roll(np.arange(10), -d) for d in (7, 7, 2)]).ravel()
    batches = generate.sample(module, 30, digits=slots, condition="onehot", seed=1)
    np.testing.assert_array_equal(images, batches[::10])
    assert slots[::10].tolist() == [7, 7, 2]


def test_from_codes_draws_each_code_alone_in_inference_mode(tmp_path, real_u8):
    _saved("dcgan", tmp_path, real_u8)
    module, _ = generate.open_generator(tmp_path)
    codes = np.random.RandomState(0).normal(size=(3, tiny.NZ))
    alone = generate.from_codes(module, codes[:1])
    together = generate.from_codes(module, codes)
    np.testing.assert_allclose(together[:1], alone, atol=1e-6)


def test_input_shapes_follow_the_config():
    assert generate.input_shapes({"nz": 5}, 2) == {"rand": (2, 5, 1, 1)}
    assert generate.input_shapes({"nz": 5, "condition": "embedding"}, 2) == {
        "rand": (2, 5, 1, 1), "cond": (2,)}


def test_samples_are_written_as_a_grid_and_an_array(tmp_path):
    images = np.zeros((6, 1, 28, 28), np.float32)
    png, npy = generate.write_samples(images, tmp_path / "out", "generated")
    assert png.is_file() and np.load(npy).shape == (6, 1, 28, 28)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["generated.npy",
                                                                    "generated.png"]


def test_a_generator_checkpoint_of_other_shapes_is_refused_naming_the_parameter(tmp_path,
                                                                              real_u8):
    _saved("dcgan", tmp_path, real_u8)
    ckpt = checkpoint.find(tmp_path)
    path = next(ckpt.glob("generator-*.params"))
    params = mx.nd.load(str(path))
    params["arg:g_deconv2_weight"] = mx.nd.zeros((3, 3))
    mx.nd.save(str(path), params)
    with pytest.raises(CheckpointError, match="g_deconv2_weight has shape"):
        generate.load_generator(ckpt, batch_size=2)
