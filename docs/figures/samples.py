"""Samples of the trained generator, drawn by the package itself: generated beside real images,
each asked digit, latent walks, each noise code as every digit and the README's picture of both
generators."""
from mxgan.common import viz
from mxgan.data.images import prepare_images, to_unit_range
from mxgan.nets.conditions import NUM_CLASSES
from mxgan.runs import showcase
from mxgan.training import generate

import numpy as np

from .pictures import GRID_PAD, SCALE, show_picture

FAKE_VS_REAL = {"dcgan": 64, "cgan": 100}  # images per side; 100 = 10 columns, one per digit
PER_DIGIT = 10  # samples per digit in per_digit.png


def real_digits(config, count, digits=None):
    """``count`` real held-out images in [-1, 1] at the run's size; with ``digits`` (count,),
    image i shows digit ``digits[i]``, so a conditional grid and its real twin line up."""
    images, labels = prepare_images(config["dataset"], "test", size=config.get("image_size", 28))
    if digits is None:
        picked = np.random.RandomState(0).choice(len(images), count, replace=False)
    else:
        seen = {d: 0 for d in range(NUM_CLASSES)}
        picked = []
        for digit in digits:  # the next unused test image of each asked digit
            picked.append(np.flatnonzero(labels == digit)[seen[digit]])
            seen[digit] += 1
    return to_unit_range(images[np.asarray(picked)])


def fake_vs_real(run_dir, config, path):
    """Generated images beside real ones (`mxgan.common.viz.fake_vs_real_figure`); for a CGAN the
    column is the digit on both sides. Samples come from `mxgan.training.generate.sample_run`: the
    newest checkpoint's G (its weight average if it has one), batch statistics."""
    fake, digits, _ = generate.sample_run(run_dir, FAKE_VS_REAL[config["model"]])
    viz.fake_vs_real_figure(fake, real_digits(config, len(fake), digits), path)
    return path


def per_digit_grid(run_dir, path, *, per_digit=PER_DIGIT):
    """A CGAN's answer to each condition: row d holds ``per_digit`` samples asked to be digit d
    (`mxgan.training.generate.sample_run`, as ``--infer d`` draws them), rows labelled."""
    digits = np.repeat(np.arange(NUM_CLASSES), per_digit)
    images, _, _ = generate.sample_run(run_dir, len(digits), digits=digits)
    picture = viz.enlarge(viz.make_grid(images, per_digit), SCALE)
    cell = (picture.shape[0] - GRID_PAD * SCALE) / NUM_CLASSES
    fig = show_picture(picture, row_labels=range(NUM_CLASSES), row_height=cell,
                       title="%d samples of each asked digit (rows: cond)" % per_digit)
    viz.save_figure(fig, path)
    return path


def walks_figure(run_dir, path, *, rows=8, steps=10):
    """interpolation.png: ``rows`` walks between two random noise codes along the great circle
    (`mxgan.runs.showcase.latent_walks`, `mxgan.training.generate.slerp`), ``steps`` images each."""
    module, _ = generate.open_generator(run_dir)
    images, _ = showcase.latent_walks(module, np.linspace(0, 1, steps), rows=rows)
    picture = viz.enlarge(viz.make_grid(images.reshape((-1,) + images.shape[2:]), steps), SCALE)
    fig = show_picture(picture, title="%d walks between two random noise codes, %d steps each"
                       % (rows, steps))
    viz.save_figure(fig, path)
    return path


def digits_figure(run_dir, path, *, rows=NUM_CLASSES):
    """digits.png: ``rows`` noise codes (rows), each asked for every digit (columns, labelled),
    as `mxgan.runs.showcase.digit_rows` draws them."""
    module, config = generate.open_generator(run_dir)
    images, _ = showcase.digit_rows(module, rows=rows, condition=config["condition"])
    picture = viz.enlarge(viz.make_grid(images.reshape((-1,) + images.shape[2:]), NUM_CLASSES),
                          SCALE)
    cell = (picture.shape[1] - GRID_PAD * SCALE) / NUM_CLASSES
    fig = show_picture(picture, column_labels=range(NUM_CLASSES), column_width=cell,
                       title="%d noise codes (rows), each asked for every digit (columns)" % rows)
    viz.save_figure(fig, path)
    return path


def readme_figure(runs, path, *, side=8):
    """The README's picture: the DCGAN's samples (``side`` x ``side``) beside the CGAN's answer
    to each digit (row d asked for digit d), each under its title; ``runs`` is {model: run_dir}."""
    dcgan, _, _ = generate.sample_run(runs["dcgan"], side * side)
    digits = np.repeat(np.arange(NUM_CLASSES), NUM_CLASSES)
    cgan, _, _ = generate.sample_run(runs["cgan"], len(digits), digits=digits)
    panels = [viz.add_caption(viz.enlarge(viz.make_grid(images, columns), SCALE), title)
              for images, columns, title in (
                  (dcgan, side, "DCGAN: random noise codes"),
                  (cgan, NUM_CLASSES, "CGAN: row d asked for digit d, 0 to 9"))]
    viz.write_png(path, viz.side_by_side(panels, gap=16, fill=0))
    return path
