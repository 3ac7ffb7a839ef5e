"""Showcase pictures: the timeline of saved grids, latent walks, digit rows, and the CLI."""
import json
import os

from mxgan import showcase as showcase_cli
from mxgan.cli import UsageError
from mxgan.common import viz
from mxgan.nets import symbols
from mxgan.nets.conditions import encode_digits
from mxgan.runs import showcase
from mxgan.training import checkpoint, generate
from mxgan.training.cgan import ExecutorGAN
from mxgan.training.dcgan import ModuleGAN

import mxnet as mx
import numpy as np
import pytest
from PIL import Image, ImageSequence

BATCH = 8
GRID_ITERATIONS = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]
GRID_SHAPE = (62, 92)  # like a 2 x 3 grid of 28 px images with 2 px padding


# ---- fixtures: tiny trained runs ---------------------------------------------------------------

def _fake_grids(run_dir):
    """Grids whose position in training shows: grid k has a white block in column block k."""
    for k, iteration in enumerate(GRID_ITERATIONS):
        picture = np.zeros(GRID_SHAPE + (1,), np.uint8)
        picture[20:40, 2 + 7 * k:7 + 7 * k] = 255
        viz.write_png(run_dir / "samples" / ("iter-%06d.png" % iteration), picture)


def _block_column(frame):
    """Which grid (its index k) a timeline frame shows: the column of its white block."""
    body = np.asarray(frame.convert("L"))[-GRID_SHAPE[0]:]  # below the caption
    return (int(np.flatnonzero(body[30] > 128)[0]) - 2) // 7


@pytest.fixture(scope="module")
def dcgan_run(tmp_path_factory, real_u8):
    run_dir = tmp_path_factory.mktemp("dcgan-run")
    mx.random.seed(0)
    generator, discriminator = symbols.get_network("dcgan28", channels=1, ngf=4, ndf=4, nz=8)
    trainer = ModuleGAN(generator, discriminator, batch_size=BATCH, nz=8,
                        image_shape=(1, 28, 28), context=[mx.cpu()])
    for _ in range(2):  # moves the BatchNorm running statistics off their initial values
        trainer.step(mx.nd.array(real_u8[:BATCH], dtype=np.uint8))
    config = {"model": "dcgan", "nz": 8, "batch_size": BATCH, "dataset": "mnist", "seed": 0}
    _settle_batchnorm(checkpoint.save(run_dir, 2, trainer.checkpoint_states(), {"config": config}))
    _fake_grids(run_dir)
    return run_dir


def _settle_batchnorm(ckpt, condition=None):
    """Bring G's running BatchNorm averages to its batch statistics, as a long run does.

    After a step or two they are still near their initial 0 and 1, and in inference mode the
    tiny G draws images of about 1e-4: too flat for comparisons to mean anything. MXNet moves
    the averages in the backward pass, so each batch goes forward and back; the update at a
    learning rate of 0 changes no weight but makes `get_params` read the averages back.
    """
    module = generate.load_generator(ckpt, batch_size=BATCH)
    module.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.0})
    rng = np.random.RandomState(0)
    nz = module.data_shapes[0].shape[1]
    for _ in range(40):
        data = [mx.nd.array(rng.normal(size=(BATCH, nz, 1, 1)))]
        if condition is not None:
            data.append(mx.nd.array(encode_digits(rng.randint(0, 10, BATCH), condition)))
        module.forward(mx.io.DataBatch(data=data), is_train=True)
        module.backward([mx.nd.zeros(module.get_outputs()[0].shape)])
        module.update()
    iteration = checkpoint.load_meta(ckpt)["iteration"]
    mx.model.save_checkpoint(str(ckpt / "generator"), iteration, module.symbol,
                             *module.get_params())
    # the checkpoint was edited: its manifest must describe the new file
    (ckpt / checkpoint.MANIFEST).write_text(json.dumps(checkpoint._describe_files(ckpt)))
    cond = None if condition is None else encode_digits(np.arange(BATCH), condition)
    images = generate.from_codes(module, rng.normal(size=(BATCH, nz)), cond)
    assert images.std() > 0.005  # what the tests below need (1e-4 before this)


def _cgan_run(run_dir, real_u8, condition):
    mx.random.seed(0)
    generator, discriminator = symbols.get_network(
        "cgan28", condition=condition, nz=6, ngf=(16, 8, 8), ndf=(4, 4, 8))
    trainer = ExecutorGAN(generator, discriminator, batch_size=BATCH, nz=6, condition=condition,
                          context=mx.cpu())
    cond = mx.nd.array(encode_digits(np.arange(BATCH) % 10, condition))
    trainer.step(mx.nd.array(real_u8[:BATCH], dtype=np.uint8), cond)
    config = {"model": "cgan", "condition": condition, "nz": 6, "batch_size": BATCH,
              "dataset": "mnist", "seed": 0}
    ckpt = checkpoint.save(run_dir, 1, trainer.checkpoint_states(), {"config": config})
    _settle_batchnorm(ckpt, condition)
    return run_dir


@pytest.fixture(scope="module", params=["onehot", "embedding"])
def cgan_run(request, tmp_path_factory, real_u8):
    return _cgan_run(tmp_path_factory.mktemp("cgan-" + request.param), real_u8,
                     request.param)


def _direct(module, rand, cond=None):
    """G's images for up to one batch of codes, fed straight to the Module (running statistics);
    the rest of the batch is filled with other random codes."""
    batch_size, nz = module.data_shapes[0].shape[:2]
    filler = np.random.RandomState(99).normal(size=(batch_size, nz))
    filler[:len(rand)] = rand
    data = [mx.nd.array(filler.reshape(batch_size, nz, 1, 1))]
    if cond is not None:
        data.append(mx.nd.array(cond))
    module.forward(mx.io.DataBatch(data=data), is_train=False)
    return module.get_outputs()[0].asnumpy()[:len(rand)]


def _gif(path):
    image = Image.open(path)
    return image, [frame.copy() for frame in ImageSequence.Iterator(image)]


# ---- samples over training time ----------------------------------------------------------------

def test_log_spaced_picks_keep_both_ends_and_favour_early_steps():
    picked = showcase.log_spaced(list(range(100, 3001, 100)), 6)
    assert picked == [100, 200, 400, 800, 1500, 3000]
    assert showcase.log_spaced([0, 50, 100], 6) == [0, 50, 100]


def test_timeline_gif_shows_every_grid_in_order_under_a_caption(dcgan_run):
    _, gif = showcase.timeline_pictures(dcgan_run)
    image, frames = _gif(gif)
    assert image.n_frames == len(GRID_ITERATIONS) and image.info["loop"] == 0
    caption_height = image.size[1] - GRID_SHAPE[0]
    assert image.size[0] == GRID_SHAPE[1] and 10 < caption_height < 30
    assert [_block_column(f) for f in frames] == list(range(len(GRID_ITERATIONS)))
    caption = np.asarray(frames[0].convert("L"))[:caption_height]
    assert caption.max() == 255  # white text on the black strip


def test_timeline_gif_thins_a_long_run_to_the_frame_cap_keeping_first_and_last(dcgan_run, tmp_path):
    _, gif = showcase.timeline_pictures(dcgan_run, max_frames=5, out_dir=tmp_path)
    image, frames = _gif(gif)
    assert image.n_frames == 5
    shown = [_block_column(f) for f in frames]
    assert shown[0] == 0 and shown[-1] == len(GRID_ITERATIONS) - 1 and shown == sorted(shown)


def test_timeline_png_is_a_valid_png_of_the_picked_grids_in_a_row(dcgan_run, tmp_path):
    png, _ = showcase.timeline_pictures(dcgan_run, picks=6, out_dir=tmp_path)
    payload = png.read_bytes()
    assert payload[:8] == b"\x89PNG\r\n\x1a\n"
    picture = showcase.read_picture(png)
    assert picture.shape[1] == 6 * GRID_SHAPE[1] + 5 * 8  # 6 grids, 8 px gaps
    assert GRID_SHAPE[0] < picture.shape[0] < GRID_SHAPE[0] + 30


def test_timeline_without_grids_is_a_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="samples/iter-"):
        showcase.timeline_pictures(tmp_path)


def test_a_damaged_grid_is_left_out_of_the_timeline_with_a_warning(tmp_path, capsys):
    _fake_grids(tmp_path)
    damaged = tmp_path / "samples" / ("iter-%06d.png" % GRID_ITERATIONS[1])
    damaged.write_bytes(damaged.read_bytes()[:40])  # as a full disk or a hand copy leaves it
    _, gif = showcase.timeline_pictures(tmp_path)
    assert capsys.readouterr().err == ("warning: skipping a damaged grid: cannot read %s as an "
                                       "image\n" % damaged)
    shown = [_block_column(f) for f in _gif(gif)[1]]
    assert shown == [k for k in range(len(GRID_ITERATIONS)) if k != 1]
    for path in (tmp_path / "samples").glob("iter-*.png"):
        path.write_bytes(b"")
    with pytest.raises(UsageError, match="no samples/iter-\\*.png grid in %s reads" % tmp_path):
        showcase.timeline_pictures(tmp_path)


# ---- walks through the latent space -------------------------------------------------------------

def test_slerp_hits_both_ends_exactly_and_keeps_gaussian_norms():
    rng = np.random.RandomState(0)
    a, b = rng.normal(size=(2, 100))
    path = generate.slerp(a, b, np.linspace(0, 1, 9))
    np.testing.assert_array_equal(path[0], a)
    np.testing.assert_array_equal(path[-1], b)
    norms = np.linalg.norm(path, axis=1)
    assert norms.min() > 0.95 * min(np.linalg.norm(a), np.linalg.norm(b))
    assert np.linalg.norm((a + b) / 2) < 0.8 * norms[4]  # what a straight line would lose
    np.testing.assert_allclose(generate.slerp(a, 2 * a, [0.5])[0], 1.5 * a)  # parallel: a line


def test_walk_ends_are_the_images_of_the_end_codes(dcgan_run):
    module, _ = generate.open_generator(dcgan_run)
    walks, ends = showcase.latent_walks(module, np.linspace(0, 1, 5), rows=3, seed=4)
    assert walks.shape == (3, 5, 1, 28, 28) and ends.shape == (3, 2, 8)
    direct = _direct(module, ends.reshape(6, 8)).reshape(3, 2, 1, 28, 28)
    np.testing.assert_allclose(walks[:, 0], direct[:, 0], rtol=0, atol=1e-6)
    np.testing.assert_allclose(walks[:, -1], direct[:, 1], rtol=0, atol=1e-6)
    assert np.abs(walks[:, 2] - walks[:, 0]).max() > 1e-3  # the middle is somewhere else


def test_walk_frames_do_not_depend_on_their_batchmates(dcgan_run):
    module, _ = generate.open_generator(dcgan_run)
    alone, _ = showcase.latent_walks(module, np.linspace(0, 1, 4), rows=1, seed=4)
    among, _ = showcase.latent_walks(module, np.linspace(0, 1, 4), rows=5, seed=4)
    np.testing.assert_allclose(alone[0], among[0], rtol=0, atol=1e-6)


def test_interpolate_run_writes_a_strip_and_a_back_and_forth_gif(dcgan_run, tmp_path):
    paths = showcase.interpolate_run(dcgan_run, rows=4, steps=6, out_dir=tmp_path)
    assert [p.name for p in paths] == ["interpolation.png", "interpolation.gif"]
    strip = showcase.read_picture(paths[0])
    scale = showcase.SCALE
    assert strip.shape == ((4 * 30 + 2) * scale, (6 * 30 + 2) * scale, 1)
    image, frames = _gif(paths[1])
    assert image.n_frames == 2 * showcase.WALK_FRAMES - 2  # forward, then back without the ends
    assert image.size == ((4 * 30 + 2) * scale, (1 * 30 + 2) * scale)  # the 4 walks in a row
    np.testing.assert_array_equal(np.asarray(frames[1]), np.asarray(frames[-1]))


# ---- conditional runs ---------------------------------------------------------------------------

def test_digit_row_d_is_direct_generation_with_that_noise_and_digit(cgan_run):
    module, config = generate.open_generator(cgan_run)
    images, noise = showcase.digit_rows(module, rows=3, condition=config["condition"], seed=2)
    assert images.shape == (3, 10, 1, 28, 28) and noise.shape == (3, 6)
    for digit in range(10):
        cond = encode_digits(np.full(BATCH, digit), config["condition"])
        np.testing.assert_allclose(images[:, digit], _direct(module, noise, cond),
                                   rtol=0, atol=1e-6)
    assert np.abs(images[:, 0] - images[:, 1]).max() > 1e-3  # the digit changes the picture


def test_digit_morph_passes_through_each_digit_of_the_rows(cgan_run):
    module, config = generate.open_generator(cgan_run)
    condition = config["condition"]
    images, noise = showcase.digit_rows(module, rows=2, condition=condition, seed=2)
    film, labels = showcase.digit_morph(module, noise, condition=condition)
    per_digit = showcase.MORPH_FRAMES if condition == "onehot" else 1
    assert len(film) == len(labels) == 10 * per_digit
    for digit in range(10):
        assert labels[digit * per_digit] == "digit %d" % digit
        np.testing.assert_allclose(film[digit * per_digit], images[:, digit], rtol=0, atol=1e-6)
    if condition == "onehot":
        assert labels[1] == "0 -> 1"
        assert np.abs(film[1] - film[0]).max() > 1e-4  # blended conditions give new pictures


def test_interpolate_run_of_a_cgan_adds_labelled_digit_pictures(cgan_run, tmp_path):
    paths = showcase.interpolate_run(cgan_run, steps=4, out_dir=tmp_path)
    assert [p.name for p in paths] == ["interpolation.png", "interpolation.gif",
                                       "digits.png", "digits.gif"]
    scale = showcase.SCALE
    strip = showcase.read_picture(paths[0])
    assert strip.shape[:2] == ((10 * 30 + 2) * scale, (4 * 30 + 2) * scale)  # a row per digit
    digits = showcase.read_picture(paths[2])
    assert digits.shape[1] == (10 * 30 + 2) * scale
    assert digits.shape[0] > (10 * 30 + 2) * scale  # the column labels on top
    image, _ = _gif(paths[3])
    condition = checkpoint.load_meta(checkpoint.latest(cgan_run))["config"]["condition"]
    morph = showcase.MORPH_FRAMES if condition == "onehot" else 1
    assert image.n_frames == 10 * morph


# ---- command line -------------------------------------------------------------------------------

def _exit_code_and_error(capsys, argv):
    with pytest.raises(SystemExit) as exited:
        showcase_cli.main(argv)
    err = capsys.readouterr().err
    return exited.value.code, err


def test_cli_on_an_empty_directory_exits_2_saying_how_to_train(capsys, tmp_path):
    code, err = _exit_code_and_error(capsys, [str(tmp_path)])
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1
    assert "no samples/iter-*.png grids" in err and "examples/*_mnist.py" in err


def test_cli_without_a_checkpoint_exits_2_naming_the_training_command(capsys, tmp_path):
    _fake_grids(tmp_path)
    (tmp_path / "config.json").write_text('{"train_command": "python examples/cgan_mnist.py"}')
    code, err = _exit_code_and_error(capsys, [str(tmp_path)])
    assert code == 2 and "no trained model" in err and "examples/cgan_mnist.py" in err
    code, err = _exit_code_and_error(capsys, [str(tmp_path / "missing")])
    assert code == 2 and "no run directory" in err


def test_cli_writes_the_four_pictures_of_a_dcgan_run(capsys, dcgan_run):
    paths = showcase_cli.main([str(dcgan_run), "--rows", "2", "--steps", "3"])
    names = sorted(p.name for p in paths)
    assert names == ["interpolation.gif", "interpolation.png", "timeline.gif", "timeline.png"]
    assert all(p.parent == dcgan_run / "showcase" and p.stat().st_size > 0 for p in paths)
    assert capsys.readouterr().out.count("KiB") == 4


def test_pictures_are_written_atomically_with_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        viz.write_png(tmp_path / "a.png", np.zeros((4, 4, 1), np.uint8))
    finally:
        os.umask(umask)
    assert (tmp_path / "a.png").stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]  # no temporary file left
