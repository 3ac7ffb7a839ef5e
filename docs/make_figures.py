#!/usr/bin/env python
"""Build every figure and table that docs/dcgan.md and docs/cgan.md show, from real training runs.

    python docs/make_figures.py [--dcgan RUN_DIR] [--cgan RUN_DIR] [--out DIR]

Defaults: the example runs runs/dcgan-mnist and runs/cgan-mnist, written into docs/img/. Each run
gets a folder OUT/dcgan/ or OUT/cgan/ holding the files of `FIGURES`: the pictures are drawn by
the package itself (`mxgan.showcase`, `mxgan.viz`, `mxgan.generate`) from the run's saved grids,
metrics and newest checkpoint, so the docs show what a reader's own run will show. `TABLES`
(tables.md) holds the per-layer shapes (from ``infer_shape``) and the run's scores as Markdown,
for the docs to quote; tests/test_docs.py checks that they do.

A missing or unfinished run is reported as one ``error: ...`` line and exit code 2.
"""
import json
from pathlib import Path

import numpy as np

from mxgan import checkpoint, cli, generate, showcase, symbols, viz
from mxgan.images import prepare_images, to_unit_range
from mxgan.conditions import NUM_CLASSES, condition_shape
from mxgan.viz import plt  # matplotlib on its file-only backend, as mxgan.viz set it up

DOCS = Path(__file__).resolve().parent
TRAIN_COMMANDS = {"dcgan": "python examples/dcgan_mnist.py",
                  "cgan": "python examples/cgan_mnist.py"}
_COMMON = ("timeline.png", "timeline.gif", "loss_curves.png", "fake_vs_real.png",
           "interpolation.png", "interpolation.gif")
FIGURES = {"dcgan": _COMMON, "cgan": _COMMON + ("per_digit.png", "digits.png", "digits.gif")}
TABLES = "tables.md"
FAKE_VS_REAL = {"dcgan": 64, "cgan": 100}  # images per side; 100 = 10 columns, one per digit
PER_DIGIT = 10  # samples per digit in per_digit.png


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


# ---- figures -----------------------------------------------------------------------------------

def metric_rows(run_dir):
    """The per-step rows of ``metrics.jsonl`` (see `mxgan.fit.MetricsLog`)."""
    lines = Path(run_dir, "metrics.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def loss_curves(run_dir, path):
    """D's and G's losses over training, drawn by `mxgan.viz.loss_curve_figure`."""
    viz.loss_curve_figure(metric_rows(run_dir), path)
    return path


def real_digits(config, count, digits=None):
    """``count`` real held-out images in [-1, 1] at the run's size; with ``digits`` (count,),
    image i shows digit ``digits[i]``, so a conditional grid and its real twin line up."""
    images, labels = prepare_images(config["dataset"], "test",
                                         size=config.get("image_size", 28))
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
    newest checkpoint, batch statistics, as ``--generate`` / ``--infer`` draw them."""
    fake, digits, _ = generate.sample_run(run_dir, FAKE_VS_REAL[config["model"]])
    viz.fake_vs_real_figure(fake, real_digits(config, len(fake), digits), path)
    return path


def per_digit_grid(run_dir, path, *, per_digit=PER_DIGIT):
    """A CGAN's answer to each condition: row d holds ``per_digit`` samples asked to be digit d
    (`mxgan.generate.sample_run`, as ``--infer d`` draws them), rows labelled."""
    digits = np.repeat(np.arange(NUM_CLASSES), per_digit)
    images, _, _ = generate.sample_run(run_dir, len(digits), digits=digits)
    grid = viz.make_grid(images, per_digit)
    fig, ax = plt.subplots(figsize=(4.6, 4.8))
    ax.imshow(grid[..., 0], cmap="gray", vmin=0, vmax=255)
    cell = (grid.shape[0] - 2) / NUM_CLASSES  # make_grid: 2 px of padding around each image
    ax.set_yticks(2 + cell * np.arange(NUM_CLASSES) + (cell - 2) / 2,
                  [str(d) for d in range(NUM_CLASSES)])
    ax.set_xticks([])
    ax.tick_params(length=0, labelsize=11)
    ax.set_ylabel("asked digit (cond)")
    ax.set_title("%d samples per digit" % per_digit, fontsize=11)
    viz.save_figure(fig, path)
    return path


# ---- tables ------------------------------------------------------------------------------------

def networks(config):
    """[(name, symbol, prefix, input shapes)] of a run's generator and discriminator, built by
    `mxgan.symbols.get_network` from the run's config, for one batch of ``batch_size``."""
    batch, nz = config["batch_size"], config["nz"]
    if config["model"] == "cgan":
        gen, disc = symbols.get_network("cgan28", graph="tutorial", condition=config["condition"],
                                        nz=nz)
        cond = condition_shape(batch, config["condition"])
        return [("generator", gen, "g_", dict(rand=(batch, nz, 1, 1), cond=cond)),
                ("discriminator", disc, "d_", dict(data=(batch, 1, 28, 28), cond=cond,
                                                   label=(batch,)))]
    size, channels = config["image_size"], config["channels"]
    gen, disc = symbols.get_network("dcgan%d" % size, graph="tutorial", channels=channels, nz=nz,
                                    ngf=config["ngf"], ndf=config["ndf"])
    return [("generator", gen, "g_", dict(rand=(batch, nz, 1, 1))),
            ("discriminator", disc, "d_", dict(data=(batch, channels, size, size),
                                               label=(batch,)))]


def layer_rows(symbol, prefix, **input_shapes):
    """(layer, operator, output shape, weight shape or None) for the inputs and every layer the
    builder named (``prefix``..., and the loss head), in graph order; shapes by ``infer_shape``.
    Helpers MXNet named itself (``flatten0``, ``reshape0``) belong to the row after them."""
    internals = symbol.get_internals()
    _, out_shapes, _ = internals.infer_shape(**input_shapes)
    arg_shapes = dict(zip(symbol.list_arguments(), symbol.infer_shape(**input_shapes)[0]))
    ops = {node["name"]: node["op"] for node in json.loads(symbol.tojson())["nodes"]}
    rows = []
    for output, shape in zip(internals.list_outputs(), out_shapes):
        name = output[:-len("_output")] if output.endswith("_output") else output
        if name in input_shapes:
            rows.append((name, "input", shape, None))
        elif ops[name] != "null" and (name.startswith(prefix) or name == "dloss"):
            rows.append((name, ops[name], shape, arg_shapes.get(name + "_weight")))
    return rows


def layer_table(rows):
    """`layer_rows` as a Markdown table."""
    lines = ["| layer | operator | output shape | weight shape |", "| --- | --- | --- | --- |"]
    lines += ["| `%s` | %s | %s | %s |" % (name, op, _shape(out), _shape(weight) if weight else "")
              for name, op, out, weight in rows]
    return "\n".join(lines)


def _shape(shape):
    """A shape as Python writes the tuple: (64, 1, 28, 28), (64,)."""
    return str(tuple(shape))


def training_seconds(rows, batch_size):
    """Wall time of the training loop from ``metrics.jsonl``: its images/s is measured over
    each logged block, so batch / images_per_s summed over the steps is the loop's time."""
    return sum(batch_size / row["images_per_s"] for row in rows)


def scores_table(run_dir, config):
    """The run's length, speed and `mxgan.evaluate` scores (scores.json) as a Markdown table;
    the real-data floor in brackets; "-" where the run was not scored."""
    rows = metric_rows(run_dir)
    seconds = training_seconds(rows, config["batch_size"])
    fake, real = _read_scores(run_dir)
    cells = ["{:,}".format(len(rows)), str(config["batch_size"]), "%.1f min" % (seconds / 60),
             "%.0f" % (len(rows) * config["batch_size"] / seconds)] + _score_cells(fake, real)
    head = ("| steps | batch | training loop | images/s | Frechet distance (real) | "
            "precision / recall (real) | classes covered | conditional accuracy (real) |")
    return "\n".join([head, "|" + " --- |" * 8, "| " + " | ".join(cells) + " |"])


def _read_scores(run_dir):
    """(samples, real floor) score dicts of the run's scores.json; two empty dicts without one."""
    path = Path(run_dir, "scores.json")
    if not path.exists():
        return {}, {}
    scores = json.loads(path.read_text())
    return scores["samples"], scores["real"]


def _score_cells(fake, real):
    """The four score cells of `scores_table`: sample score (real-data floor), or "-"."""
    if not fake:
        return ["-"] * 4
    accuracy = ("%.1f%% (%.1f%%)" % (100 * fake["conditional_accuracy"]["accuracy"],
                                     100 * real["conditional_accuracy"]["accuracy"])
                if "conditional_accuracy" in fake else "-")
    return ["%.2f (%.2f)" % (fake["frechet_distance"], real["frechet_distance"]),
            "%.2f / %.2f (%.2f / %.2f)" % (fake["precision"], fake["recall"], real["precision"],
                                           real["recall"]),
            "%d/%d" % (fake["coverage"]["classes_covered"], NUM_CLASSES), accuracy]


def write_tables(run_dir, config, path):
    """tables.md: the run's layer tables and scores table, for the docs to quote."""
    parts = ["# Tables of %s (made by docs/make_figures.py)" % Path(run_dir).name]
    for name, symbol, prefix, shapes in networks(config):
        parts += ["## %s" % name, layer_table(layer_rows(symbol, prefix, **shapes))]
    parts += ["## scores", scores_table(run_dir, config)]
    viz.atomic_write_bytes(path, ("\n\n".join(parts) + "\n").encode("utf-8"))
    return path


# ---- command line ------------------------------------------------------------------------------

def build_figures(model, run_dir, config, out_dir):
    """Every file of ``FIGURES[model]`` and `TABLES` for one run into ``out_dir``; the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = list(showcase.timeline_pictures(run_dir, out_dir=out_dir))
    paths.append(loss_curves(run_dir, out_dir / "loss_curves.png"))
    paths.append(fake_vs_real(run_dir, config, out_dir / "fake_vs_real.png"))
    if model == "cgan":
        paths.append(per_digit_grid(run_dir, out_dir / "per_digit.png"))
    paths += showcase.interpolate_run(run_dir, out_dir=out_dir)
    paths.append(write_tables(run_dir, config, out_dir / TABLES))
    return paths


def parse_args(argv=None):
    """Parse the command line."""
    parser = cli.new_parser(__doc__.splitlines()[0])
    parser.prog = "python docs/make_figures.py"
    parser.add_argument("--dcgan", type=Path, default=Path("runs/dcgan-mnist"), metavar="RUN_DIR",
                        help="finished run of examples/dcgan_mnist.py")
    parser.add_argument("--cgan", type=Path, default=Path("runs/cgan-mnist"), metavar="RUN_DIR",
                        help="finished run of examples/cgan_mnist.py")
    parser.add_argument("--out", type=Path, default=DOCS / "img", metavar="DIR",
                        help="folder for the figures (one subfolder per run)")
    return parser.parse_args(argv)


@cli.main_guard
def main(argv=None):
    """Check both runs, then draw; user errors exit 2 with one line on stderr."""
    args = parse_args(argv)
    runs = {"dcgan": args.dcgan, "cgan": args.cgan}
    configs = {model: check_run(run_dir, model) for model, run_dir in runs.items()}
    paths = []
    for model, run_dir in runs.items():
        paths += build_figures(model, run_dir, configs[model], args.out / model)
    for path in paths:
        print("%s  (%.0f KiB)" % (path, path.stat().st_size / 1024))
    return paths


if __name__ == "__main__":
    main()
