"""mxgan.runs.board: what a run writes for TensorBoard reads back with TensorBoard's own
reader (curves every step, the grid and histograms every --sample-every, learning rates)."""
from mxgan.runs import loop
from mxgan.runs.board import STEP_SCALARS, Board
from mxgan.runs.watch import Watch
from mxgan.training.recipe import Recipe
from mxgan.training.trainer import NETS

import cv2
import numpy as np
import pytest

import tiny

RECIPE = Recipe(lr=1e-3, lr_d=2e-3, lr_warmup=2, decay_steps=6)
# Grid sizes: the DCGAN's 8 fixed-noise samples in a 3 x 3 grid; the CGAN's 10 x 10, a row a digit.
GRID_SIDES = {"dcgan": 3 * 30 + 2, "cgan": 10 * 30 + 2}


@pytest.fixture(scope="module", params=["dcgan", "cgan"])
def board_run(request, tmp_path_factory, real_u8):
    """(model, run directory, trainer, TensorBoard's reader) after 6 steps written to a
    `Board`."""
    run_dir = tmp_path_factory.mktemp(request.param)
    trainer = tiny.TRAINERS[request.param](recipe=RECIPE)
    watch = Watch(board=Board(run_dir / "tensorboard", recipe=RECIPE))
    loop.fit(trainer, tiny.data_iter(request.param, real_u8[:24]), run_dir=run_dir,
             config={"seed": 0}, max_iters=6, sample_every=3, checkpoint_every=6, watch=watch)
    return request.param, run_dir, trainer, tiny.read_events(run_dir / "tensorboard")


@pytest.mark.slow
def test_every_step_logs_its_losses_d_outputs_learning_rates_and_speed(board_run):
    events = board_run[-1]
    assert set(events.Tags()["scalars"]) == set(STEP_SCALARS) | {"lr/G", "lr/D"}
    for tag in events.Tags()["scalars"]:
        assert [event.step for event in events.Scalars(tag)] == [1, 2, 3, 4, 5, 6], tag
    for tag, net in (("lr/G", "generator"), ("lr/D", "discriminator")):
        assert [e.value for e in events.Scalars(tag)] == pytest.approx(
            [RECIPE.learning_rate(net, step) for step in range(1, 7)])
    assert [e.value for e in events.Scalars("lr/G")][:3] == pytest.approx([5e-4, 1e-3, 7.5e-4])


def _decode(png_bytes):
    """A PNG's pixels as grey levels (tensorboardX stores a grey grid as RGB)."""
    return cv2.imdecode(np.frombuffer(png_bytes, np.uint8), cv2.IMREAD_GRAYSCALE)


def test_the_fixed_noise_grid_is_logged_every_sample_every_steps_as_written(board_run):
    model, run_dir, _, events = board_run
    images = events.Images("samples/fixed_noise")
    side = GRID_SIDES[model]
    assert [(image.step, image.width, image.height) for image in images] == [
        (3, side, side), (6, side, side)]
    for image in images:
        written = (run_dir / "samples" / ("iter-%06d.png" % image.step)).read_bytes()
        np.testing.assert_array_equal(_decode(image.encoded_image_string), _decode(written))


def test_every_weight_and_gradient_of_both_networks_has_a_histogram(board_run):
    _, _, trainer, events = board_run
    expected = {"%s_%s/%s" % (short, kind, name)
                for net, short in zip(NETS, ("G", "D"))
                for name, _, _ in trainer.param_arrays(net) for kind in ("weights", "grads")}
    assert set(events.Tags()["histograms"]) == expected
    for tag in expected:
        assert [event.step for event in events.Histograms(tag)] == [3, 6], tag
