"""Pictures: pure functions lay images out as arrays; separate functions write PNG files.

Nothing here opens a window: matplotlib runs on its file-only Agg backend.
"""
import os
import tempfile
from pathlib import Path

import cv2
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)


def to_uint8(images):
    """Float images in [-1, 1] (any shape) to uint8 pixels 0-255."""
    return np.clip((np.asarray(images) + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)


def make_grid(images, ncols=None, *, pad=2):
    """Tile images (N, C, H, W) or (N, H, W) in [-1, 1] into one uint8 picture (rows, cols, C).

    ``ncols`` defaults to a square-ish layout; cells are separated by ``pad`` black pixels.
    """
    images = to_uint8(images)
    if images.ndim == 3:
        images = images[:, None]
    n, channels, height, width = images.shape
    ncols = ncols or int(np.ceil(np.sqrt(n)))
    nrows = int(np.ceil(n / ncols))
    grid = np.zeros((nrows * (height + pad) + pad, ncols * (width + pad) + pad, channels), np.uint8)
    for i, image in enumerate(images):
        top, left = pad + (i // ncols) * (height + pad), pad + (i % ncols) * (width + pad)
        grid[top:top + height, left:left + width] = image.transpose(1, 2, 0)
    return grid


def write_png(path, picture, *, scale=1):
    """Write a uint8 (H, W, 1|3) RGB picture as PNG, enlarged ``scale`` times, atomically."""
    if scale > 1:
        picture = np.repeat(np.repeat(picture, scale, axis=0), scale, axis=1)
    bgr = picture[..., ::-1] if picture.shape[-1] == 3 else picture
    ok, encoded = cv2.imencode(".png", np.ascontiguousarray(bgr))
    if not ok:
        raise IOError("OpenCV could not encode a PNG of shape %s" % (picture.shape,))
    atomic_write_bytes(path, encoded.tobytes())


def atomic_write_bytes(path, payload):
    """Write ``payload`` to a temporary file beside ``path`` and rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def save_figure(fig, path):
    """Save a matplotlib figure as PNG atomically and free it."""
    path = Path(path)
    tmp = path.with_name(".tmp-" + path.name)
    fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    os.replace(tmp, path)


def _show(ax, picture, title):
    ax.imshow(picture.squeeze(-1) if picture.shape[-1] == 1 else picture, cmap="gray",
              vmin=0, vmax=255)
    ax.set_title(title)
    ax.axis("off")


def fake_vs_real_figure(fake, real, path):
    """Seed 003's picture: a grid of generated images beside a grid of real ones."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 5.4))
    _show(left, make_grid(fake), "generated")
    _show(right, make_grid(real), "real")
    save_figure(fig, path)


def loss_curve_figure(rows, path, *, smooth=25):
    """D and G losses against iteration (moving average of ``smooth`` steps) from metric rows."""
    iters = np.array([row["iteration"] for row in rows])
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for key, label in (("d_loss", "D: -log D(x) - log(1 - D(G(z)))"), ("g_loss", "G: -log D(G(z))")):
        values = np.array([row[key] for row in rows])
        ax.plot(iters, values, alpha=0.25, linewidth=0.8)
        ax.plot(iters, _moving_average(values, smooth), color=ax.lines[-1].get_color(), label=label)
    ax.set_xlabel("iteration")
    ax.set_ylabel("binary cross-entropy")
    ax.legend()
    ax.grid(alpha=0.3)
    save_figure(fig, path)


def _moving_average(values, width):
    width = max(1, min(width, len(values)))
    cumulative = np.cumsum(np.insert(values, 0, 0.0))
    head = cumulative[1:width] / np.arange(1, width)  # growing window until `width` points exist
    return np.concatenate([head, (cumulative[width:] - cumulative[:-width]) / width])
