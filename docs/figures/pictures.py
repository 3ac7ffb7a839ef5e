"""What every figure here is made of: the cells of a saved grid, images in a row, and a picture
shown at one screen pixel per pixel with labelled rows and columns."""
from mxgan.common import viz
from mxgan.common.viz import (
    plt,  # matplotlib on its file-only backend, as mxgan.common.viz set it up
)
from mxgan.runs import showcase

import numpy as np

SCALE = 2  # screen pixels per image pixel in the pictures drawn here: 28 px digits as 56 px
GRID_PAD = 2  # the padding `mxgan.common.viz.make_grid` puts around every cell of the saved grids


def grid_cells(path, size):
    """The cells of a saved monitoring grid (`mxgan.common.viz.make_grid`: ``size`` px images,
    2 px of padding) as an array (rows, columns, size, size, channels)."""
    picture = showcase.read_picture(path)
    step = size + GRID_PAD
    rows, cols = (picture.shape[0] - GRID_PAD) // step, (picture.shape[1] - GRID_PAD) // step
    cells = [[picture[GRID_PAD + r * step:GRID_PAD + r * step + size,
                      GRID_PAD + c * step:GRID_PAD + c * step + size] for c in range(cols)]
             for r in range(rows)]
    return np.asarray(cells)


def strip(images, *, gap=4, fill=255):
    """Images (N, H, W, C) uint8 side by side, enlarged `SCALE` times, ``gap`` px apart."""
    parts = []
    for index, image in enumerate(images):
        if index:
            parts.append(np.full((image.shape[0] * SCALE, gap, image.shape[2]), fill, np.uint8))
        parts.append(viz.enlarge(image, SCALE))
    return np.concatenate(parts, axis=1)


def show_picture(picture, *, row_labels=(), row_height=None, column_labels=(), column_width=None,
                 title=None, label_size=12):
    """A matplotlib figure showing a uint8 picture at one screen pixel per pixel (100 dpi), with
    optional labels centred on its rows and columns; returns the figure."""
    height, width = picture.shape[:2]
    fig = plt.figure(figsize=(width / 100, height / 100), dpi=100)
    ax = fig.add_axes([0, 0, 1, 1])
    grey = picture[..., 0] if picture.shape[-1] == 1 else picture
    ax.imshow(grey, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    ax.set_xticks([(i + 0.5) * column_width for i in range(len(column_labels))],
                  [str(label) for label in column_labels])
    ax.set_yticks([(i + 0.5) * row_height for i in range(len(row_labels))],
                  [str(label) for label in row_labels])
    ax.tick_params(length=0, labelsize=label_size, top=bool(column_labels),
                   labeltop=bool(column_labels), bottom=False, labelbottom=False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title, fontsize=label_size, pad=24 if column_labels else 6)
    return fig
