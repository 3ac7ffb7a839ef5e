#!/usr/bin/env python
"""Draw every picture the README and the tutorial pages show, and record their runs, from real
training runs.

    python docs/make_figures.py [--dcgan RUN_DIR] [--cgan RUN_DIR] [--out DIR] [--records DIR]

Defaults: the example runs runs/dcgan-mnist and runs/cgan-mnist, drawn into docs/img/. Each run
gets a folder OUT/dcgan/ or OUT/cgan/ holding the files of `FIGURES`, drawn from the run's saved
grids (samples/iter-*.png), its metrics.jsonl and its newest checkpoint (sampled by the package
itself, `mxgan.training.generate`, as ``--generate`` and ``--infer`` sample it);
OUT/`README_FIGURE` shows both generators' digits side by side. Each run's summary (its length,
speed, scores, scorer and training curves: docs/figures/summary.py) is appended with its
provenance to RECORDS/tutorial-MODEL.jsonl; ``python docs/render.py`` renders the pages' tables
from those records. tests/test_docs.py checks that the pages show these figures.

The drawing is in docs/figures/, one module per kind of figure: runs (the checks), timeline
(samples over training time), training (reading the training), samples (of the trained
generator), summary (what the records keep), and pictures (what they share).

A missing or unfinished run is reported as one ``error: ...`` line and exit code 2.
"""
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
if str(DOCS.parent) not in sys.path:
    sys.path.insert(0, str(DOCS.parent))  # benchmarks/, beside the package

from benchmarks import records  # noqa: E402
from mxgan import cli  # noqa: E402

from figures import samples, summary, timeline, training  # noqa: E402
from figures.runs import check_run  # noqa: E402

FIGURES = {"dcgan": ("timeline.png", "timeline.gif", "training.png", "fake_vs_real.png",
                     "interpolation.png"),
           "cgan": ("per_digit.png", "timeline.png", "training.png", "fake_vs_real.png",
                    "digits.png")}
README_FIGURE = "digits.png"  # the README's picture: both generators' digits


# ---- command line ------------------------------------------------------------------------------

def build_figures(model, run_dir, config, out_dir):
    """Every file of ``FIGURES[model]`` for one run into ``out_dir``; the paths."""
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
    return paths


def record_run(model, run_dir, config, records_dir, command):
    """Append the run's summary to RECORDS/tutorial-MODEL.jsonl with ``command`` as its
    provenance; the file."""
    return records.write(records_dir / ("tutorial-%s.jsonl" % model), command,
                         summary.run_summary(model, run_dir, config))


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
    parser.add_argument("--records", type=Path, default=records.RECORDS, metavar="DIR",
                        help="folder of the record files the runs' summaries are appended to")
    return parser.parse_args(argv)


@cli.main_guard
def main(argv=None):
    """Check every run, then draw and record; user errors exit 2 with one line on stderr."""
    args = parse_args(argv)
    runs = {"dcgan": args.dcgan, "cgan": args.cgan}
    configs = {model: check_run(run_dir, model) for model, run_dir in runs.items()}
    command = records.command_line(__file__, argv)
    paths = [samples.readme_figure(runs, args.out / README_FIGURE)]
    for model, run_dir in runs.items():
        paths += build_figures(model, run_dir, configs[model], args.out / model)
        paths.append(record_run(model, run_dir, configs[model], args.records, command))
    for path in paths:
        print("%s  (%.0f KiB)" % (path, path.stat().st_size / 1024))
    return paths


if __name__ == "__main__":
    main()
