"""Samples over training time: the fixed monitoring inputs at log-spaced steps (timeline.png)
and every saved grid as a film (timeline.gif)."""
from mxgan.common import viz
from mxgan.nets.conditions import NUM_CLASSES
from mxgan.runs import showcase

import numpy as np

from .pictures import SCALE, grid_cells, show_picture, strip

TIMELINE_ROWS = 7  # training steps shown in timeline.png, log-spaced
TIMELINE_COLUMNS = {"dcgan": 8, "cgan": NUM_CLASSES}  # samples per step
GIF_CELLS = 24  # fixed-noise samples per frame of timeline.gif (3 rows of 8)
GIF_FRAMES = 30
GIF_FRAME_MS, GIF_LAST_FRAME_MS = 250, 2500  # how long a frame shows; the last one lingers


def timeline_samples(model, cells):
    """What one step shows in the timeline: a DCGAN's first fixed-noise samples in reading
    order; a CGAN's first noise column, drawn as each digit (its grid's row d asks for d)."""
    if model == "cgan":
        return cells[:, 0]
    flat = cells.reshape((-1,) + cells.shape[2:])
    return flat[:TIMELINE_COLUMNS[model]]


def timeline(model, run_dir, config, path, *, rows=TIMELINE_ROWS):
    """timeline.png: the run's fixed monitoring inputs at ``rows`` log-spaced steps, one row per
    step (labelled), drawn as training drew them (`mxgan.runs.loop.write_fixed_noise_grid`)."""
    grids = dict(showcase.sample_grids(run_dir))
    steps = showcase.log_spaced(sorted(grids), rows)
    size = config.get("image_size", 28)
    gap = 4
    samples = [timeline_samples(model, grid_cells(grids[step], size)) for step in steps]
    lines = [strip(images, gap=gap) for images in samples]
    width = max(line.shape[1] for line in lines)
    lines = [np.pad(line, ((0, gap), (0, width - line.shape[1]), (0, 0)), constant_values=255)
             for line in lines]
    picture = np.concatenate(lines)
    cell = size * SCALE + gap
    columns = range(NUM_CLASSES) if model == "cgan" else ()
    title = ("one noise code asked for each digit (columns), as training went on"
             if model == "cgan" else
             "the same %d noise codes, as training went on" % len(samples[0]))
    fig = show_picture(picture, row_labels=[showcase.step_label(s) for s in steps],
                       row_height=cell, column_labels=columns, column_width=cell, title=title)
    viz.save_figure(fig, path)
    return path


def timeline_gif(run_dir, config, path, *, cells=GIF_CELLS, frames=GIF_FRAMES):
    """timeline.gif: every saved grid's first ``cells`` samples (rows of 8), enlarged, the step
    written above, the last frame held."""
    grids = showcase.sample_grids(run_dir)
    size = config.get("image_size", 28)
    pictures = []
    for step, grid in viz.spread(grids, frames):
        flat = grid_cells(grid, size)
        flat = flat.reshape((-1,) + flat.shape[2:])[:cells]
        tiles = np.moveaxis(flat, -1, 1).astype(np.float32) / 127.5 - 1  # (N, C, H, W), [-1, 1]
        picture = viz.enlarge(viz.make_grid(tiles, 8), SCALE)
        pictures.append(viz.add_caption(picture, showcase.step_label(step), font_scale=0.7))
    durations = [GIF_FRAME_MS] * (len(pictures) - 1) + [GIF_LAST_FRAME_MS]
    viz.write_gif(path, pictures, duration_ms=durations)
    return path
