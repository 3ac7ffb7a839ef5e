"""Showcase pictures of a run: its samples over training time and walks through its latent space.

``timeline_pictures(run_dir)`` and ``interpolate_run(run_dir, ...)`` write, into
``RUN_DIR/showcase/`` (``python -m mxgan.showcase`` is their command line):

=====================  ==========================================================================
``timeline.png``       6 of the run's fixed-noise grids (``samples/iter-*.png``), log-spaced in
                       steps (early change is fast), side by side under their step numbers
``timeline.gif``       all the grids in order (evenly thinned to at most 40 frames, the last one
                       kept), the step number drawn on each frame; the final grid lingers
``interpolation.png``  N rows of K images: each row a spherical walk
                       (`mxgan.training.generate.slerp`) between two random codes; for a
                       conditional run row r draws digit r mod 10
``interpolation.gif``  the N walks played together, eased, forward and back
``digits.png``         conditional runs only: N noise codes (rows) drawn as each digit 0-9
                       (columns, labelled)
``digits.gif``         conditional runs only: the same codes morphing 0 -> 1 -> ... -> 9 -> 0; with
                       a one-hot condition the condition is blended between consecutive digits
                       (frames in between are labelled "3 -> 4"), with an embedding digit by digit
=====================  ==========================================================================

BatchNorm: the walks and digits are drawn with the running statistics (``is_train=False``), so
every image is a function of its own code and condition only. With batch statistics, as training
and `mxgan.training.generate.sample` use, a frame would change with whatever else shares its
batch: the ends of a walk would not be the images of its end codes, and a code would not keep its
look across the digits of a row. The price is small: 1,000 samples of a 6,500-step DCGAN run score
Frechet distance 4.33x the floor with running statistics, 4.24x with batch statistics
(`mxgan.quality.scores`; precision 0.65 and recall 0.88 / 0.87 alike).
"""
import re
import sys
from pathlib import Path

import cv2
import numpy as np

from ..common import capacity, viz
from ..common.capacity import TooLarge
from ..common.checks import UsageError
from ..nets.conditions import NUM_CLASSES, encode_digits
from ..training import generate

SHOWCASE_DIR = "showcase"
TIMELINE_PICKS = 6  # grids in timeline.png
MAX_TIMELINE_FRAMES = 40  # frames in timeline.gif; more grids are thinned evenly
WALK_FRAMES = 24  # frames of each walk in interpolation.gif (then played back)
MORPH_FRAMES = 6  # frames from one digit to the next in digits.gif (one-hot condition)
MAX_PICTURE_SIDE = 2 ** 15  # pixels a side of a written picture may have at most (viewers' limits)
SCALE = 2  # pixel enlargement of the generated pictures (28 px digits are tiny on a screen)
# How long GIF frames show, in ms: a grid of the timeline (the last one lingers), a step of a
# latent walk, a digit of the digits' morph and a frame between two digits.
TIMELINE_FRAME_MS, TIMELINE_LAST_FRAME_MS = 200, 2000
WALK_FRAME_MS = 80
DIGIT_FRAME_MS, MORPH_FRAME_MS = 600, 90

_GRID_NAME = re.compile(r"^iter-(\d+)\.png$")


# ---- samples over training time ---------------------------------------------------------------

def sample_grids(run_dir):
    """The run's monitoring grids as (iteration, path) pairs, in training order."""
    found = []
    for path in Path(run_dir, "samples").glob("iter-*.png"):
        match = _GRID_NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def log_spaced(iterations, count):
    """Up to ``count`` of the sorted ``iterations``, nearest to log-spaced targets from the
    first to the last (always included), no one twice."""
    iterations = list(iterations)
    if len(iterations) <= count:
        return iterations
    logs = np.log1p(iterations)  # log1p: a grid at iteration 0 is fine
    chosen = set()
    for target in np.linspace(logs[0], logs[-1], count):
        order = np.argsort(np.abs(logs - target), kind="stable")
        chosen.add(next(i for i in order if i not in chosen))
    return [iterations[i] for i in sorted(chosen)]


def read_picture(path):
    """A PNG as uint8 (H, W, 1) grey or (H, W, 3) RGB."""
    picture = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if picture is None:
        raise ValueError("cannot read %s as an image" % path)
    if picture.ndim == 2:
        return picture[..., None]
    return cv2.cvtColor(picture[..., :3], cv2.COLOR_BGR2RGB)


def step_label(iteration):
    """How frames and titles name an iteration: ``step 1,200``."""
    return "step {:,}".format(iteration)


def timeline_pictures(run_dir, *, picks=TIMELINE_PICKS, max_frames=MAX_TIMELINE_FRAMES,
                      out_dir=None):
    """Write ``timeline.png`` and ``timeline.gif`` from the run's ``samples/iter-*.png``.

    Returns the two paths (in ``out_dir``, default ``RUN_DIR/showcase``); raises
    FileNotFoundError when the run has no grids. A grid that does not read (damaged) is left
    out with a warning.
    """
    grids = dict(sample_grids(run_dir))
    if not grids:
        raise FileNotFoundError("no samples/iter-*.png grids in %s" % run_dir)
    out_dir = Path(out_dir or Path(run_dir, SHOWCASE_DIR))
    out_dir.mkdir(parents=True, exist_ok=True)
    shown, frames = log_spaced(sorted(grids), picks), viz.spread(sorted(grids), max_frames)
    read = _read_grids(grids, sorted(set(shown) | set(frames)))
    png, gif = out_dir / "timeline.png", out_dir / "timeline.gif"
    viz.write_png(png, viz.side_by_side([viz.add_caption(read[i], step_label(i), font_scale=0.6)
                                         for i in shown if i in read]))
    pictures = [viz.add_caption(read[i], step_label(i)) for i in frames if i in read]
    durations = [TIMELINE_FRAME_MS] * (len(pictures) - 1) + [TIMELINE_LAST_FRAME_MS]
    viz.write_gif(gif, pictures, duration_ms=durations)
    return [png, gif]


def _read_grids(grids, iterations):
    """{iteration: picture} of those ``iterations`` whose grid reads; a warning names each that
    does not, and a `UsageError` when none does."""
    read = {}
    for iteration in iterations:
        try:
            read[iteration] = read_picture(grids[iteration])
        except ValueError as err:
            print("warning: skipping a damaged grid: %s" % err, file=sys.stderr)
    if not read:
        raise UsageError("no samples/iter-*.png grid in %s reads as an image"
                         % grids[iterations[0]].parent.parent)
    return read


# ---- walks through the latent space ----------------------------------------------------------

def noise_codes(seed, num, nz):
    """``num`` standard normal codes (num, nz), the distribution G was trained on."""
    return np.random.RandomState(seed).normal(size=(num, nz))


def eased(steps):
    """``steps`` fractions from 0 to 1 that start and end slowly (a cosine ramp)."""
    return (1 - np.cos(np.linspace(0, np.pi, steps))) / 2


def latent_walks(module, fractions, *, rows, seed=0, digits=None, condition=None):
    """Images along ``rows`` slerp walks between pairs of random codes, at ``fractions`` (K,).

    Returns (images (rows, K, C, H, W), end codes (rows, 2, nz)). ``digits`` (rows,) gives a
    conditional G the digit each row draws. Running BatchNorm statistics (see the module
    docstring): an image depends on its code only, so the ends are the end codes' images.
    """
    nz = module.data_shapes[0].shape[1]
    ends = noise_codes(seed, 2 * rows, nz).reshape(rows, 2, nz)
    codes = np.concatenate([generate.slerp(a, b, fractions) for a, b in ends])
    cond = None if digits is None else encode_digits(np.repeat(digits, len(fractions)), condition)
    images = generate.from_codes(module, codes, cond)
    return images.reshape((rows, len(fractions)) + images.shape[1:]), ends


def digit_rows(module, *, rows, condition, seed=0):
    """``rows`` noise codes, each drawn as digits 0-9: (images (rows, 10, C, H, W), codes)."""
    noise = noise_codes(seed, rows, module.data_shapes[0].shape[1])
    digits = np.tile(np.arange(NUM_CLASSES), rows)
    images = generate.from_codes(module, np.repeat(noise, NUM_CLASSES, axis=0),
                                 encode_digits(digits, condition))
    return images.reshape((rows, NUM_CLASSES) + images.shape[1:]), noise


def digit_morph(module, noise, *, condition, frames_per_digit=MORPH_FRAMES):
    """Frames of ``noise`` (rows, nz) drawn 0 -> 1 -> ... -> 9 -> 0: (images (T, rows, C, H, W),
    labels (T,)). A one-hot condition is blended between consecutive digits; an embedding
    (digit indices) cannot be, so it steps digit by digit."""
    if condition != "onehot":
        frames_per_digit = 1
    onehot = encode_digits(np.arange(NUM_CLASSES), "onehot")
    conds, labels = [], []
    for digit in range(NUM_CLASSES):
        after = (digit + 1) % NUM_CLASSES
        for w in eased(frames_per_digit + 1)[:-1]:
            conds.append(onehot[digit] if w == 0 else (1 - w) * onehot[digit] + w * onehot[after])
            labels.append("digit %d" % digit if w == 0 else "%d -> %d" % (digit, after))
    cond = np.stack(conds) if condition == "onehot" else np.arange(NUM_CLASSES, dtype=np.float32)
    rows = len(noise)
    images = generate.from_codes(module, np.tile(noise, (len(cond), 1)), np.repeat(cond, rows, 0))
    return images.reshape((len(cond), rows) + images.shape[1:]), labels


def check_walk_size(config, rows, steps):
    """A `mxgan.common.capacity.TooLarge` before anything is drawn when the walks of ``rows`` x
    ``steps`` images of a run (its ``config``) would not fit in memory, or make interpolation.png
    wider or taller than `MAX_PICTURE_SIDE` pixels."""
    rows = rows or (NUM_CLASSES if config.get("condition") else 8)
    shape = generate.image_shape(config)
    sides = [SCALE * (count * (shape[1] + 2) + 2) for count in (steps, rows)]
    if max(sides) > MAX_PICTURE_SIDE:
        raise TooLarge("--rows %d and --steps %d make interpolation.png %d x %d pixels, more "
                       "than %d on a side: lower them" % (rows, steps, *sides, MAX_PICTURE_SIDE))
    images = rows * (steps + 2 * WALK_FRAMES + (NUM_CLASSES * (MORPH_FRAMES + 1)
                                                if config.get("condition") else 0))
    capacity.check_memory(capacity.array_bytes((images,) + shape),
                          "--rows %d and --steps %d" % (rows, steps), "lower them")


def _frame(images):
    """Images (N, C, H, W) as one GIF frame: a grid of rows of at most 5, as even as can be."""
    ncols = -(-len(images) // -(-len(images) // 5))  # ceil(n / ceil(n / 5)): 8 -> 4, 10 -> 5
    return viz.enlarge(viz.make_grid(images, ncols), SCALE)


def interpolate_run(run_dir, *, checkpoint_dir=None, rows=None, steps=10, seed=0, out_dir=None):
    """Write the interpolation pictures (and, for a conditional run, the digit pictures).

    ``rows`` defaults to 8 walks (10 for a conditional run: one per digit); ``steps`` images
    per walk in the PNG. Returns the written paths (in ``out_dir``, default
    ``RUN_DIR/showcase``); raises `mxgan.training.checkpoint.CheckpointError` when there is no
    usable checkpoint.
    """
    module, config = generate.open_generator(run_dir, checkpoint_dir)
    condition = config.get("condition")
    rows = rows or (NUM_CLASSES if condition else 8)
    digits = None if condition is None else np.arange(rows) % NUM_CLASSES
    out_dir = Path(out_dir or Path(run_dir, SHOWCASE_DIR))
    out_dir.mkdir(parents=True, exist_ok=True)
    walk = dict(rows=rows, seed=seed, digits=digits, condition=condition)
    strip, _ = latent_walks(module, np.linspace(0, 1, steps), **walk)
    paths = [out_dir / "interpolation.png", out_dir / "interpolation.gif"]
    viz.write_png(paths[0], viz.make_grid(strip.reshape((-1,) + strip.shape[2:]), steps),
                  scale=SCALE)
    film, _ = latent_walks(module, eased(WALK_FRAMES), **walk)
    frames = [_frame(film[:, t]) for t in range(WALK_FRAMES)]
    viz.write_gif(paths[1], viz.ping_pong(frames), duration_ms=WALK_FRAME_MS)
    if condition is not None:
        paths += _digit_pictures(module, out_dir, rows=rows, seed=seed, condition=condition)
    return paths


def _digit_pictures(module, out_dir, *, rows, seed, condition):
    images, noise = digit_rows(module, rows=rows, condition=condition, seed=seed)
    width = images.shape[-1]
    grid = viz.enlarge(viz.make_grid(images.reshape((-1,) + images.shape[2:]), NUM_CLASSES),
                       SCALE)
    png, gif = out_dir / "digits.png", out_dir / "digits.gif"
    viz.write_png(png, viz.add_column_labels(grid, range(NUM_CLASSES), cell_width=width * SCALE,
                                             pad=2 * SCALE))
    film, labels = digit_morph(module, noise, condition=condition)
    frames = [viz.add_caption(_frame(film[t]), label)
              for t, label in enumerate(labels)]
    durations = [DIGIT_FRAME_MS if label.startswith("digit") else MORPH_FRAME_MS
                 for label in labels]
    viz.write_gif(gif, frames, duration_ms=durations)
    return [png, gif]
