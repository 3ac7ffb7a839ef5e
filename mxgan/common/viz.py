"""Pictures: pure functions lay images out as arrays; separate functions write PNG and GIF files.

Nothing here opens a window: matplotlib runs on its file-only Agg backend.
"""
import io

import cv2
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

from .files import atomic_write_bytes, atomic_writer  # noqa: E402


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
    picture = enlarge(picture, scale)
    bgr = picture[..., ::-1] if picture.shape[-1] == 3 else picture
    ok, encoded = cv2.imencode(".png", np.ascontiguousarray(bgr))
    if not ok:
        raise IOError("OpenCV could not encode a PNG of shape %s" % (picture.shape,))
    atomic_write_bytes(path, encoded.tobytes())


def enlarge(picture, scale):
    """A (H, W, C) picture with every pixel repeated ``scale`` x ``scale`` times (no blur)."""
    if scale <= 1:
        return picture
    return np.repeat(np.repeat(picture, scale, axis=0), scale, axis=1)


_FONT = cv2.FONT_HERSHEY_SIMPLEX


def _text_box(text, font_scale):
    (width, height), baseline = cv2.getTextSize(text, _FONT, font_scale, 1)
    return width, height, baseline


def _banner(picture, height):
    return np.zeros((height,) + picture.shape[1:], np.uint8)


def _put_text(banner, text, centre_x, font_scale):
    """Draw white ``text`` centred at ``centre_x`` and vertically in ``banner`` (in place)."""
    width, height, _ = _text_box(text, font_scale)
    origin = (int(round(centre_x - width / 2)), (banner.shape[0] + height) // 2)
    cv2.putText(banner, text, origin, _FONT, font_scale, (255,) * banner.shape[-1], 1,
                cv2.LINE_AA)


def add_caption(picture, text, *, font_scale=0.5):
    """The picture (H, W, C) uint8 under a black strip with ``text`` centred in white."""
    banner = _banner(picture, _text_box(text, font_scale)[1] + 12)
    _put_text(banner, text, picture.shape[1] / 2, font_scale)
    return np.concatenate([banner, picture])


def add_column_labels(picture, labels, *, cell_width, pad, font_scale=0.5):
    """A `make_grid` picture under a strip naming its columns: ``labels[i]`` over column i.

    ``cell_width`` and ``pad`` are the grid's, in the picture's pixels (after `enlarge`).
    """
    banner = _banner(picture, max(_text_box(str(t), font_scale)[1] for t in labels) + 12)
    for i, label in enumerate(labels):
        _put_text(banner, str(label), pad + i * (cell_width + pad) + cell_width / 2, font_scale)
    return np.concatenate([banner, picture])


def side_by_side(pictures, *, gap=8, fill=255):
    """Pictures (H_i, W_i, C) in one row, ``gap`` columns of ``fill`` between them, tops aligned
    (shorter ones padded with ``fill`` below)."""
    height = max(p.shape[0] for p in pictures)
    parts = []
    for i, picture in enumerate(pictures):
        if i:
            parts.append(np.full((height, gap, picture.shape[2]), fill, np.uint8))
        below = np.full((height - picture.shape[0],) + picture.shape[1:], fill, np.uint8)
        parts.append(np.concatenate([picture, below]))
    return np.concatenate(parts, axis=1)


def ping_pong(frames):
    """Frames played forward then backward, without repeating either end (a seamless loop)."""
    frames = list(frames)
    return frames + frames[-2:0:-1]


def spread(items, count):
    """At most ``count`` items evenly spaced through ``items``, always keeping first and last."""
    items = list(items)
    if len(items) <= count:
        return items
    keep = np.unique(np.round(np.linspace(0, len(items) - 1, count)).astype(int))
    return [items[i] for i in keep]


def posterize(picture, levels):
    """uint8 pixels rounded to ``levels`` evenly spaced values from 0 to 255 (both kept)."""
    step = 255.0 / (levels - 1)
    return (np.round(np.round(picture / step) * step)).astype(np.uint8)


def gif_bytes(frames, *, duration_ms, loop=0, levels=16):
    """An animated GIF of uint8 (H, W, 1|3) frames, each shown ``duration_ms`` (int or list).

    Pixels are first rounded to ``levels`` values per channel (`posterize`): for antialiased
    digits 16 grey levels look the same as 256 and make the file about a third of the size
    (a GIF's LZW codes grow with the palette). Colour frames are then quantised by Pillow.
    Pillow merges identical consecutive frames, adding their durations.
    """
    from PIL import Image  # Pillow comes with matplotlib

    frames = [posterize(f, levels) for f in frames]
    images = [Image.fromarray(f.squeeze(-1) if f.shape[-1] == 1 else f) for f in frames]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:],
                   duration=duration_ms, loop=loop, optimize=False, disposal=1)
    return buffer.getvalue()


def write_gif(path, frames, *, duration_ms=100, loop=0, levels=16):
    """Write frames as an animated GIF (see `gif_bytes`) atomically; loops forever by default."""
    atomic_write_bytes(path, gif_bytes(frames, duration_ms=duration_ms, loop=loop, levels=levels))


def save_figure(fig, path):
    """Save a matplotlib figure as PNG atomically and free it."""
    with atomic_writer(path) as out:
        fig.savefig(out, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)


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


def loss_curve_figure(rows, path, *, real_label=1.0, smooth=25):
    """D and G losses against iteration (moving average of ``smooth`` steps) from metric rows;
    ``real_label`` is D's target for real images, which the legend names."""
    iters = np.array([row["iteration"] for row in rows])
    fig, ax = plt.subplots(figsize=(8, 4.5))
    real = "-log D(x)" if real_label == 1 else "BCE(D(x), %g)" % real_label
    curves = (("d_loss", "D: %s - log(1 - D(G(z)))" % real), ("g_loss", "G: -log D(G(z))"))
    for key, label in curves:
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
