#!/usr/bin/env python
"""Build every figure and table that docs/dcgan.md and docs/cgan.md show, from real training runs.

    python docs/make_figures.py [--dcgan RUN_DIR] [--cgan RUN_DIR] [--out DIR] \
        --try dcgan fashion-mnist RUN_DIR --try dcgan cpu-64 RUN_DIR \
        --try cgan fashion-mnist RUN_DIR \
        --try cgan embedding RUN_DIR

Defaults: the example runs runs/dcgan-mnist and runs/cgan-mnist, written into docs/img/. Each run
gets a folder OUT/dcgan/ or OUT/cgan/ holding the files of `FIGURES`, drawn from the run's saved
grids (samples/iter-*.png), its metrics.jsonl and its newest checkpoint (sampled by the package
itself, `mxgan.training.generate`, as ``--generate`` and ``--infer`` sample it), and `TABLES`
(tables.md): the run's length, speed and scores (scores.json) and a summary of its training
curves, as Markdown. ``python docs/make_notebooks.py`` copies those tables into the pages;
tests/test_docs.py checks that the pages show exactly these figures and tables.

The drawing is in docs/figures/, one module per kind of figure: runs (the checks), timeline
(samples over training time), training (reading the training), samples (of the trained
generator), tables, and pictures (what they share).

A missing or unfinished run is reported as one ``error: ...`` line and exit code 2.
"""
from pathlib import Path

from mxgan import cli

from figures import samples, tables, timeline, training
from figures.runs import check_run

DOCS = Path(__file__).resolve().parent
# "What to try next": a run of the same example with one thing changed, shown as try-NAME.png.
TRIES = {"dcgan": ("fashion-mnist", "cpu-64"), "cgan": ("fashion-mnist", "embedding", "cgan28")}
FIGURES = {"dcgan": ("timeline.png", "timeline.gif", "training.png", "fake_vs_real.png",
                     "interpolation.png") + tuple("try-%s.png" % name for name in TRIES["dcgan"]),
           "cgan": ("per_digit.png", "timeline.png", "training.png", "fake_vs_real.png",
                    "digits.png") + tuple("try-%s.png" % name for name in TRIES["cgan"])}
TABLES = "tables.md"


# ---- command line ------------------------------------------------------------------------------

def build_figures(model, run_dir, config, out_dir, tries):
    """Every file of ``FIGURES[model]`` and `TABLES` for one run and its "what to try next"
    runs ({name: (run_dir, config)}) into ``out_dir``; the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    if model == "cgan":
        paths.append(samples.per_digit_grid(run_dir, out_dir / "per_digit.png"))
    paths.append(timeline.timeline(model, run_dir, config, out_dir / "timeline.png"))
    if "timeline.gif" in FIGURES[model]:
        paths.append(timeline.timeline_gif(run_dir, config, out_dir / "timeline.gif"))
    paths.append(training.training_figure(run_dir, config, out_dir / "training.png"))
    paths.append(samples.fake_vs_real(run_dir, config, out_dir / "fake_vs_real.png"))
    if model == "dcgan":
        paths.append(samples.walks_figure(run_dir, out_dir / "interpolation.png"))
    else:
        paths.append(samples.digits_figure(run_dir, out_dir / "digits.png"))
    for name, (try_dir, try_config) in tries.items():
        paths.append(samples.try_figure(model, try_dir, try_config,
                                        out_dir / ("try-%s.png" % name)))
    paths.append(tables.write_tables(model, run_dir, config, out_dir / TABLES, tries))
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
