#!/usr/bin/env python
"""Build every figure and table that docs/dcgan.md and docs/cgan.md show, from real training runs.

    python docs/make_figures.py [--dcgan RUN_DIR] [--cgan RUN_DIR] [--out DIR] \
        --try dcgan fashion-mnist RUN_DIR --try cgan fashion-mnist RUN_DIR \
        --try cgan embedding RUN_DIR

Defaults: the example runs runs/dcgan-mnist and runs/cgan-mnist, written into docs/img/. Each run
gets a folder OUT/dcgan/ or OUT/cgan/ holding the files of `FIGURES`, drawn from the run's saved
grids (samples/iter-*.png), its metrics.jsonl and its newest checkpoint (sampled by the package
itself, `mxgan.generate`, as ``--generate`` and ``--infer`` sample it), and `TABLES` (tables.md):
the run's length, speed and scores (scores.json) and a summary of its training curves, as
Markdown. ``python docs/make_notebooks.py`` copies those tables into the pages; tests/test_docs.py
checks that the pages show exactly these figures and tables.

A missing or unfinished run is reported as one ``error: ...`` line and exit code 2.
"""
import json
from pathlib import Path

import numpy as np

from mxgan import cli, generate, showcase, viz
from mxgan.data.images import prepare_images, to_unit_range
from mxgan.nets.conditions import NUM_CLASSES
from mxgan.training import checkpoint
from mxgan.viz import plt  # matplotlib on its file-only backend, as mxgan.viz set it up

DOCS = Path(__file__).resolve().parent
TRAIN_COMMANDS = {"dcgan": "python examples/dcgan_mnist.py",
                  "cgan": "python examples/cgan_mnist.py"}
# "What to try next": a run of the same example with one thing changed, shown as try-NAME.png.
TRIES = {"dcgan": ("fashion-mnist",), "cgan": ("fashion-mnist", "embedding", "cgan28")}
FIGURES = {"dcgan": ("timeline.png", "timeline.gif", "training.png", "fake_vs_real.png",
                     "interpolation.png") + tuple("try-%s.png" % name for name in TRIES["dcgan"]),
           "cgan": ("per_digit.png", "timeline.png", "training.png", "fake_vs_real.png",
                    "digits.png") + tuple("try-%s.png" % name for name in TRIES["cgan"])}
TABLES = "tables.md"
FAKE_VS_REAL = {"dcgan": 64, "cgan": 100}  # images per side; 100 = 10 columns, one per digit
PER_DIGIT = 10  # samples per digit in per_digit.png
TIMELINE_ROWS = 7  # training steps shown in timeline.png, log-spaced
TIMELINE_COLUMNS = {"dcgan": 8, "cgan": NUM_CLASSES}  # samples per step
GIF_CELLS = 24  # fixed-noise samples per frame of timeline.gif (3 rows of 8)
GIF_FRAMES = 30
SCALE = 2  # screen pixels per image pixel in the pictures drawn here: 28 px digits as 56 px
GRID_PAD = 2  # the padding `mxgan.viz.make_grid` puts around every cell of the saved grids
FIRST_STEPS = 100  # the early window of the training table
LAST_SHARE = 0.2  # ... and the late one: the last fifth of the run
D_LOSS_SPIKE = 2.0  # a D loss above this counts as a spike in the training table


# ---- checks ------------------------------------------------------------------------------------

def check_run(run_dir, model):
    """The config of a finished ``model`` run ("dcgan" or "cgan"); `cli.UsageError` otherwise."""
    command = "%s --out %s" % (TRAIN_COMMANDS[model], run_dir)
    if not Path(run_dir).is_dir():
        raise cli.UsageError("no run directory %s: train it with %s, or pass --%s RUN_DIR"
                             % (run_dir, command, model))
    config = checkpoint.load_meta(cli.require_checkpoint(run_dir))["config"]
    if config.get("model") != model:
        raise cli.UsageError("%s holds a %s run, not a %s run"
                             % (run_dir, config.get("model"), model))
    if not Path(run_dir, "metrics.jsonl").is_file() or not showcase.sample_grids(run_dir):
        raise cli.UsageError("%s has no metrics.jsonl or samples/iter-*.png: it is not a finished "
                             "run of %s" % (run_dir, command))
    return config


def metric_rows(run_dir):
    """The per-step rows of ``metrics.jsonl`` (see `mxgan.training.rundir.MetricsLog`)."""
    lines = Path(run_dir, "metrics.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


# ---- samples over training time ----------------------------------------------------------------

def grid_cells(path, size):
    """The cells of a saved monitoring grid (`mxgan.viz.make_grid`: ``size`` px images, 2 px of
    padding) as an array (rows, columns, size, size, channels)."""
    picture = showcase.read_picture(path)
    step = size + GRID_PAD
    rows, cols = (picture.shape[0] - GRID_PAD) // step, (picture.shape[1] - GRID_PAD) // step
    cells = [[picture[GRID_PAD + r * step:GRID_PAD + r * step + size,
                      GRID_PAD + c * step:GRID_PAD + c * step + size] for c in range(cols)]
             for r in range(rows)]
    return np.asarray(cells)


def timeline_samples(model, cells):
    """What one step shows in the timeline: a DCGAN's first fixed-noise samples in reading
    order; a CGAN's first noise column, drawn as each digit (its grid's row d asks for d)."""
    if model == "cgan":
        return cells[:, 0]
    flat = cells.reshape((-1,) + cells.shape[2:])
    return flat[:TIMELINE_COLUMNS[model]]


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


def timeline(model, run_dir, config, path, *, rows=TIMELINE_ROWS):
    """timeline.png: the run's fixed monitoring inputs at ``rows`` log-spaced steps, one row per
    step (labelled), drawn as training drew them (`mxgan.training.loop.write_monitor_grid`)."""
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
    viz.write_gif(path, pictures, duration_ms=[250] * (len(pictures) - 1) + [2500])
    return path


# ---- reading the training ----------------------------------------------------------------------

def moving_average(values, width=25):
    """Trailing mean over ``width`` steps (fewer at the start)."""
    values = np.asarray(values, np.float64)
    width = max(1, min(width, len(values)))
    cumulative = np.cumsum(np.insert(values, 0, 0.0))
    head = cumulative[1:width] / np.arange(1, width)
    return np.concatenate([head, (cumulative[width:] - cumulative[:-width]) / width])


def d_loss_legend(real_label):
    """What D's logged loss is: its cross-entropy against its targets, real_label and 0."""
    if real_label == 1:
        real = "-log D(x)"
    else:
        real = "-[%g log D(x) + %g log(1 - D(x))]" % (real_label, round(1 - real_label, 6))
    return "D: %s - log(1 - D(G(z)))" % real


def training_figure(run_dir, config, path):
    """training.png: D's and G's losses (top) and D's mean verdicts on real and generated images
    (bottom), every step faint and a 25-step moving average bold."""
    rows = metric_rows(run_dir)
    steps = np.array([row["iteration"] for row in rows])
    real_label = config["real_label"]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6.4), sharex=True,
                                      gridspec_kw={"height_ratios": [1, 1]})
    for key, label in (("d_loss", d_loss_legend(real_label)), ("g_loss", "G: -log D(G(z))")):
        values = [row[key] for row in rows]
        line, = top.plot(steps, values, alpha=0.2, linewidth=0.7)
        top.plot(steps, moving_average(values), color=line.get_color(), label=label)
    top.set_ylabel("cross-entropy")
    top.legend(fontsize=9, loc="upper right")
    for key, label in (("d_real", "D(x): real digits"),
                       ("d_fake", "D(G(z)): generated digits (before D's update)")):
        values = [row[key] for row in rows]
        line, = bottom.plot(steps, values, alpha=0.2, linewidth=0.7)
        bottom.plot(steps, moving_average(values), color=line.get_color(), label=label)
    bottom.axhline(0.5, color="grey", linestyle="--", linewidth=1, label="0.5: D cannot tell")
    if real_label < 1:
        bottom.axhline(real_label, color="grey", linestyle=":", linewidth=1,
                       label="%g: D's target for real digits" % real_label)
    bottom.set_ylim(0, 1)
    bottom.set_ylabel("D's mean output")
    bottom.set_xlabel("training step")
    bottom.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    viz.save_figure(fig, path)
    return path


def windows(num_steps):
    """The (first, last) steps of the training table's rows: the first `FIRST_STEPS` steps and
    the last `LAST_SHARE` of the run (one row for a short run)."""
    early = (1, min(FIRST_STEPS, num_steps))
    late = (max(1, num_steps - int(round(num_steps * LAST_SHARE)) + 1), num_steps)
    return [early] if late[0] <= early[1] else [early, late]


def training_table(run_dir):
    """Means of the logged numbers over `windows`, and D's loss spikes, as Markdown."""
    rows = metric_rows(run_dir)
    lines = ["| steps | D loss | G loss | D(x) | D(G(z)) | steps with D loss > %g |" % D_LOSS_SPIKE,
             "|" + " --- |" * 6]
    for first, last in windows(len(rows)):
        chosen = [row for row in rows if first <= row["iteration"] <= last]
        means = [np.mean([row[key] for row in chosen])
                 for key in ("d_loss", "g_loss", "d_real", "d_fake")]
        spikes = sum(row["d_loss"] > D_LOSS_SPIKE for row in chosen)
        lines.append("| {:,}-{:,} | ".format(first, last)
                     + " | ".join("%.2f" % value for value in means) + " | %d |" % spikes)
    return "\n".join(lines)


# ---- samples of the trained generator ----------------------------------------------------------

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
    """Generated images beside real ones (`mxgan.viz.fake_vs_real_figure`); for a CGAN the
    column is the digit on both sides. Samples come from `mxgan.generate.sample_run`: the
    newest checkpoint's G (its weight average if it has one), batch statistics."""
    fake, digits, _ = generate.sample_run(run_dir, FAKE_VS_REAL[config["model"]])
    viz.fake_vs_real_figure(fake, real_digits(config, len(fake), digits), path)
    return path


def per_digit_grid(run_dir, path, *, per_digit=PER_DIGIT, title=None):
    """A CGAN's answer to each condition: row d holds ``per_digit`` samples asked to be digit d
    (`mxgan.generate.sample_run`, as ``--infer d`` draws them), rows labelled."""
    digits = np.repeat(np.arange(NUM_CLASSES), per_digit)
    images, _, _ = generate.sample_run(run_dir, len(digits), digits=digits)
    picture = viz.enlarge(viz.make_grid(images, per_digit), SCALE)
    cell = (picture.shape[0] - GRID_PAD * SCALE) / NUM_CLASSES
    fig = show_picture(picture, row_labels=range(NUM_CLASSES), row_height=cell,
                       title=title or "%d samples of each asked digit (rows: cond)" % per_digit)
    viz.save_figure(fig, path)
    return path


def walks_figure(run_dir, path, *, rows=8, steps=10):
    """interpolation.png: ``rows`` walks between two random noise codes along the great circle
    (`mxgan.showcase.latent_walks`, `mxgan.generate.slerp`), ``steps`` images each."""
    module, _ = generate.open_generator(run_dir)
    images, _ = showcase.latent_walks(module, np.linspace(0, 1, steps), rows=rows)
    picture = viz.enlarge(viz.make_grid(images.reshape((-1,) + images.shape[2:]), steps), SCALE)
    fig = show_picture(picture, title="%d walks between two random noise codes, %d steps each"
                       % (rows, steps))
    viz.save_figure(fig, path)
    return path


def digits_figure(run_dir, path, *, rows=NUM_CLASSES):
    """digits.png: ``rows`` noise codes (rows), each asked for every digit (columns, labelled),
    as `mxgan.showcase.digit_rows` draws them."""
    module, config = generate.open_generator(run_dir)
    images, _ = showcase.digit_rows(module, rows=rows, condition=config["condition"])
    picture = viz.enlarge(viz.make_grid(images.reshape((-1,) + images.shape[2:]), NUM_CLASSES),
                          SCALE)
    cell = (picture.shape[1] - GRID_PAD * SCALE) / NUM_CLASSES
    fig = show_picture(picture, column_labels=range(NUM_CLASSES), column_width=cell,
                       title="%d noise codes (rows), each asked for every digit (columns)" % rows)
    viz.save_figure(fig, path)
    return path


# ---- tables ------------------------------------------------------------------------------------

def training_seconds(rows, batch_size):
    """Wall time of the training loop from ``metrics.jsonl``: its images/s is measured over
    each logged block, so batch / images_per_s summed over the steps is the loop's time."""
    return sum(batch_size / row["images_per_s"] for row in rows)


def scores_table(run_dir, config):
    """The run's length, speed and `mxgan.evaluate` scores (scores.json) as a Markdown table:
    the Frechet distance as a multiple of the real-data floor, then each score with the floor's
    in brackets; "-" where the run was not scored."""
    rows = metric_rows(run_dir)
    seconds = training_seconds(rows, config["batch_size"])
    fake, real = _read_scores(run_dir)
    cells = ["{:,}".format(len(rows)), str(config["batch_size"]), "%.1f min" % (seconds / 60),
             "%.0f" % (len(rows) * config["batch_size"] / seconds)] + _score_cells(fake, real)
    head = ("| steps | batch | training loop | images/s | FD / floor | FD (floor) | "
            "precision / recall (floor) | classes covered | conditional accuracy (floor) |")
    return "\n".join([head, "|" + " --- |" * 9, "| " + " | ".join(cells) + " |"])


def _read_scores(run_dir):
    """(samples, real floor) score dicts of the run's scores.json; two empty dicts without one."""
    path = Path(run_dir, "scores.json")
    if not path.exists():
        return {}, {}
    scores = json.loads(path.read_text())
    return scores["samples"], scores["real"]


def _score_cells(fake, real):
    """The five score cells of `scores_table`, or "-"."""
    if not fake:
        return ["-"] * 5
    accuracy = ("%.1f%% (%.1f%%)" % (100 * fake["conditional_accuracy"]["accuracy"],
                                     100 * real["conditional_accuracy"]["accuracy"])
                if "conditional_accuracy" in fake else "-")
    return ["%.1fx" % (fake["frechet_distance"] / real["frechet_distance"]),
            "%.1f (%.1f)" % (fake["frechet_distance"], real["frechet_distance"]),
            "%.2f / %.2f (%.2f / %.2f)" % (fake["precision"], fake["recall"], real["precision"],
                                           real["recall"]),
            "%d/%d" % (fake["coverage"]["classes_covered"], NUM_CLASSES), accuracy]


def per_digit_table(run_dir):
    """A CGAN's conditional accuracy per asked digit (scores.json), as a one-row Markdown
    table; "-" for each digit if the run was not scored."""
    fake, _ = _read_scores(run_dir)
    per_class = fake.get("conditional_accuracy", {}).get("per_class") or [None] * NUM_CLASSES
    cells = ["-" if value is None else "%.0f%%" % (100 * value) for value in per_class]
    return "\n".join(["| asked digit | " + " | ".join(map(str, range(NUM_CLASSES))) + " |",
                      "|" + " --- |" * (NUM_CLASSES + 1),
                      "| read as asked | " + " | ".join(cells) + " |"])


def scorer_table(run_dir):
    """The scorer of scores.json (`mxgan.quality.scores.score_samples`) as a one-row Markdown
    table."""
    path = Path(run_dir, "scores.json")
    cells = ["-"] * 4
    if path.exists():
        scores = json.loads(path.read_text())
        info, sets = scores["classifier"], len(scores["real"]["frechet_distance_sets"])
        cells = ["%s classifier (`mxgan.quality.classifier`)" % info["dataset"],
                 "%.2f%%" % (100 * info["test_accuracy"]),
                 "{:,} training images".format(info["num_train_images"]),
                 "mean FD of {} sets of {:,} unseen training images".format(sets,
                                                                           scores["num_fd"])]
    return "\n".join(["| scorer | test accuracy | trained on | floor |", "|" + " --- |" * 4,
                      "| " + " | ".join(cells) + " |"])


def tables(model, run_dir, config, tries):
    """{section: Markdown table} of tables.md for one run and its "what to try next" runs."""
    sections = {"scores": scores_table(run_dir, config), "scorer": scorer_table(run_dir),
                "training": training_table(run_dir), "try": try_table(tries)}
    if model == "cgan":
        sections["per digit"] = per_digit_table(run_dir)
    return sections


def write_tables(model, run_dir, config, path, tries):
    """tables.md: `tables` under ``## section`` headings, for docs/make_notebooks.py to copy
    into the pages."""
    parts = ["# Tables of %s (made by docs/make_figures.py)" % Path(run_dir).name]
    for section, table in tables(model, run_dir, config, tries).items():
        parts += ["## %s" % section, table]
    viz.atomic_write_bytes(path, ("\n\n".join(parts) + "\n").encode("utf-8"))
    return path


# ---- command line ------------------------------------------------------------------------------

def try_figure(model, run_dir, config, path):
    """try-NAME.png: samples of a "what to try next" run (a CGAN's: five of each asked digit,
    rows labelled), titled with its data set (a CGAN's network and condition too) and scores."""
    fake, _ = _read_scores(run_dir)
    title = config["dataset"]
    if model == "cgan":
        title += ", %s, %s condition" % (config.get("network", "cgan28"), config["condition"])
    if fake:
        title += ": FD %.2fx the floor" % fake["fd_ratio"]
        if "conditional_accuracy" in fake:
            title += ", %.1f%% read as asked" % (100 * fake["conditional_accuracy"]["accuracy"])
    if model == "cgan":
        return per_digit_grid(run_dir, path, per_digit=5, title=title)
    images, _, _ = generate.sample_run(run_dir, 32)
    fig = show_picture(viz.enlarge(viz.make_grid(images, 8), SCALE), title=title)
    viz.save_figure(fig, path)
    return path


def try_table(tries):
    """One row per "what to try next" run ({name: (run_dir, config)}): its data set, network,
    condition, steps and scores, as a Markdown table."""
    lines = ["| run | data set | network | condition | steps | FD / floor | conditional accuracy |",
             "|" + " --- |" * 7]
    for name, (run_dir, config) in tries.items():
        fake, _ = _read_scores(run_dir)
        accuracy = fake.get("conditional_accuracy", {}).get("accuracy")
        lines.append("| %s | %s | %s | %s | {:,} | %s | %s |".format(len(metric_rows(run_dir))) % (
            name, config["dataset"], config.get("network", "-"), config.get("condition") or "-",
            "%.2fx" % fake["fd_ratio"] if fake else "-",
            "-" if accuracy is None else "%.1f%%" % (100 * accuracy)))
    return "\n".join(lines)


def build_figures(model, run_dir, config, out_dir, tries):
    """Every file of ``FIGURES[model]`` and `TABLES` for one run and its "what to try next"
    runs ({name: (run_dir, config)}) into ``out_dir``; the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    if model == "cgan":
        paths.append(per_digit_grid(run_dir, out_dir / "per_digit.png"))
    paths.append(timeline(model, run_dir, config, out_dir / "timeline.png"))
    if "timeline.gif" in FIGURES[model]:
        paths.append(timeline_gif(run_dir, config, out_dir / "timeline.gif"))
    paths.append(training_figure(run_dir, config, out_dir / "training.png"))
    paths.append(fake_vs_real(run_dir, config, out_dir / "fake_vs_real.png"))
    if model == "dcgan":
        paths.append(walks_figure(run_dir, out_dir / "interpolation.png"))
    else:
        paths.append(digits_figure(run_dir, out_dir / "digits.png"))
    for name, (try_dir, try_config) in tries.items():
        paths.append(try_figure(model, try_dir, try_config, out_dir / ("try-%s.png" % name)))
    paths.append(write_tables(model, run_dir, config, out_dir / TABLES, tries))
    return paths


def parse_args(argv=None):
    """Parse the command line."""
    parser = cli.new_parser(__doc__.splitlines()[0])
    parser.prog = "python docs/make_figures.py"
    parser.add_argument("--dcgan", type=Path, default=Path("runs/dcgan-mnist"), metavar="RUN_DIR",
                        help="finished run of examples/dcgan_mnist.py")
    parser.add_argument("--cgan", type=Path, default=Path("runs/cgan-mnist"), metavar="RUN_DIR",
                        help="finished run of examples/cgan_mnist.py")
    parser.add_argument("--try", nargs=3, action="append", default=[], dest="tries",
                        metavar=("MODEL", "NAME", "RUN_DIR"),
                        help="a 'what to try next' run: %s" % "; ".join(
                            "%s %s" % (model, " | ".join(names)) for model, names in TRIES.items()))
    parser.add_argument("--out", type=Path, default=DOCS / "img", metavar="DIR",
                        help="folder for the figures (one subfolder per run)")
    return parser.parse_args(argv)


def check_tries(tries):
    """{model: {name: (run_dir, config)}} for every run `TRIES` names, each checked; a
    `UsageError` for a missing or unknown one."""
    given = {(model, name): Path(run_dir) for model, name, run_dir in tries}
    unknown = sorted(set(given) - {(m, n) for m, names in TRIES.items() for n in names})
    missing = ["--try %s %s RUN_DIR" % (m, n) for m, names in TRIES.items() for n in names
               if (m, n) not in given]
    if unknown or missing:
        raise cli.UsageError("give exactly the 'what to try next' runs: %s" % "; ".join(
            ["unknown: %s %s" % pair for pair in unknown] + ["missing: " + m for m in missing]))
    return {model: {name: (given[model, name], check_run(given[model, name], model))
                    for name in names} for model, names in TRIES.items()}


@cli.main_guard
def main(argv=None):
    """Check both runs, then draw; user errors exit 2 with one line on stderr."""
    args = parse_args(argv)
    runs = {"dcgan": args.dcgan, "cgan": args.cgan}
    configs = {model: check_run(run_dir, model) for model, run_dir in runs.items()}
    tries = check_tries(args.tries)
    paths = []
    for model, run_dir in runs.items():
        paths += build_figures(model, run_dir, configs[model], args.out / model, tries[model])
    for path in paths:
        print("%s  (%.0f KiB)" % (path, path.stat().st_size / 1024))
    return paths


if __name__ == "__main__":
    main()
