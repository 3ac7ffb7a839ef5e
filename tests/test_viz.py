"""mxgan.common.viz: grids laid out as arrays, and pictures written whole."""
from mxgan.common import viz

import numpy as np
from PIL import Image, ImageSequence


def test_a_grid_places_image_i_at_row_i_div_cols_and_column_i_mod_cols():
    images = np.stack([np.full((1, 3, 2), v) for v in np.linspace(-1, 1, 5)])
    grid = viz.make_grid(images, ncols=2, pad=1)
    assert grid.shape == (3 * 4 + 1, 2 * 3 + 1, 1) and grid.dtype == np.uint8
    assert grid[1, 1, 0] == 0 and grid[1, 4, 0] == 64 and grid[9, 1, 0] == 255
    assert grid[0].max() == 0  # the padding is black


def test_pixels_map_from_minus_one_to_one_onto_0_to_255():
    np.testing.assert_array_equal(viz.to_uint8(np.array([-1.0, 0.0, 1.0, 7.0])), [0, 128, 255,
                                                                                   255])


def test_a_png_reads_back_enlarged_and_a_gif_keeps_its_frames(tmp_path):
    picture = np.arange(12, dtype=np.uint8).reshape(2, 2, 3) * 20
    viz.write_png(tmp_path / "a.png", picture, scale=3)
    back = np.asarray(Image.open(tmp_path / "a.png"))
    np.testing.assert_array_equal(back, viz.enlarge(picture, 3))
    frames = [np.full((4, 4, 1), v, np.uint8) for v in (0, 255, 0)]
    viz.write_gif(tmp_path / "a.gif", frames, duration_ms=50)
    assert len(list(ImageSequence.Iterator(Image.open(tmp_path / "a.gif")))) == 3


def test_posterize_keeps_black_and_white_and_rounds_the_rest():
    levels = viz.posterize(np.array([0, 10, 128, 255], np.uint8), 3)
    np.testing.assert_array_equal(levels, [0, 0, 128, 255])


def test_spread_keeps_both_ends_and_ping_pong_loops_without_repeats():
    assert viz.spread(range(10), 4) == [0, 3, 6, 9] and viz.spread([1, 2], 5) == [1, 2]
    assert viz.ping_pong([1, 2, 3]) == [1, 2, 3, 2]


def test_pictures_side_by_side_align_their_tops():
    tall, short = np.zeros((4, 2, 1), np.uint8), np.zeros((2, 3, 1), np.uint8)
    row = viz.side_by_side([tall, short], gap=1)
    assert row.shape == (4, 6, 1) and row[3, 5, 0] == 255 and row[0, 5, 0] == 0


def test_figures_are_written_as_pngs(tmp_path):
    rows = [{"iteration": i, "d_loss": 1.0 / i, "g_loss": 2.0} for i in range(1, 30)]
    viz.loss_curve_figure(rows, tmp_path / "loss.png")
    viz.fake_vs_real_figure(np.zeros((4, 1, 8, 8)), np.zeros((4, 1, 8, 8)), tmp_path / "f.png")
    assert Image.open(tmp_path / "loss.png").format == "PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.png", "loss.png"]
