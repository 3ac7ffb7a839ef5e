#!/usr/bin/env python
"""Draw every picture the README and the tutorial pages show, and record their runs, from real
training runs.

    python docs/make_figures.py [--dcgan RUN_DIR] [--cgan RUN_DIR] [--out DIR] [--records DIR] \
        [--try dcgan fashion-mnist RUN_DIR] [--try cgan embedding RUN_DIR] ...

Defaults: the example runs runs/dcgan-mnist and runs/cgan-mnist, drawn into docs/img/. Each run
gets a folder OUT/dcgan/ or OUT/cgan/ holding the files of `FIGURES`, drawn from the run's saved
grids (samples/iter-*.png), its metrics.jsonl and its newest checkpoint (sampled by the package
itself, `mxgan.training.generate`, as ``--generate`` and ``--infer`` sample it);
OUT/`README_FIGURE` shows both generators' digits side by side. Each run's summary (its length,
speed, scores, scorer and training curves: docs/figures/summary.py) is appended with its
provenance to RECORDS/tutorial-MODEL.jsonl, and each "what to try next" run given with
``--try`` is drawn as try-NAME.png and recorded in RECORDS/tries-MODEL.jsonl;
``python docs/render.py`` renders the pages' tables from those records. tests/test_docs.py
checks that the pages show these figures.

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
from figures import samples, summary, timeline, training  # noqa: E402
from figures.runs import check_run  # noqa: E402
from mxgan import cli  # noqa: E402

# "What to try next": a run of the same example with one thing changed, shown as try-NAME.png.
TRIES = {"dcgan": ("fashion-mnist", "cpu-64"), "cgan": ("fashion-mnist", "embedding", "cgan28")}
FIGURES = {"dcgan": ("timeline.png", "timeline.gif", "training.png", "fake_vs_real.png",
                     "interpolation.png") + tuple("try-%s.png" % name for name in TRIES["dcgan"]),
           "cgan": ("per_digit.png", "timeline.png", "training.png", "fake_vs_real.png",
                    "digits.png") + tuple("try-%s.png" % name for name in TRIES["cgan"])}
README_FIGURE = "digits.png"  # the README's picture: both generators' digits


# ---- command line ------------------------------------------------------------------------------

def build_figures(model, run_dir, config, out_dir, tries):
    """Every file of ``FIGURES[model]`` for one run and the given "what to try next" runs
    ({name: (run_dir, config)}) into ``out_dir``; the paths."""
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
    return paths


def record_runs(model, run_dir, config, tries, records_dir, command):
    """Append the run's summary to RECORDS/tutorial-MODEL.jsonl and each "what to try next"
    run's to RECORDS/tries-MODEL.jsonl, with ``command`` as their provenance; the files."""
    paths = [records.write(records_dir / ("tutorial-%s.jsonl" % model), command,
                           summary.run_summary(model, run_dir, config))]
    for name, (try_dir, try_config) in tries.items():
        paths.append(records.write(records_dir / ("tries-%s.jsonl" % model), command,
                                   summary.try_summary(model, name, try_dir, try_config)))
    return sorted(set(paths))


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
                        help="a 'what to try next' run to draw and record: %s" % "; ".join(
                            "%s %s" % (model, " | ".join(names)) for model, names in TRIES.items()))
    parser.add_argument("--out", type=Path, default=DOCS / "img", metavar="DIR",
                        help="folder for the figures (one subfolder per run)")
    parser.add_argument("--records", type=Path, default=records.RECORDS, metavar="DIR",
                        help="folder of the record files the runs' summaries are appended to")
    return parser.parse_args(argv)


def check_tries(tries):
    """{model: {name: (run_dir, config)}} of the given "what to try next" runs, each checked; a
    `UsageError` for an unknown one."""
    given = {(model, name): Path(run_dir) for model, name, run_dir in tries}
    unknown = sorted(set(given) - {(m, n) for m, names in TRIES.items() for n in names})
    if unknown:
        raise cli.UsageError("unknown 'what to try next' run: %s (choose from %s)" % (
            ", ".join("%s %s" % pair for pair in unknown), "; ".join(
                "%s %s" % (model, " | ".join(names)) for model, names in TRIES.items())))
    return {model: {name: (given[model, name], check_run(given[model, name], model))
                    for name in names if (model, name) in given}
            for model, names in TRIES.items()}


@cli.main_guard
def main(argv=None):
    """Check every run, then draw and record; user errors exit 2 with one line on stderr."""
    args = parse_args(argv)
    runs = {"dcgan": args.dcgan, "cgan": args.cgan}
    configs = {model: check_run(run_dir, model) for model, run_dir in runs.items()}
    tries = check_tries(args.tries)
    command = records.command_line(__file__, argv)
    paths = [samples.readme_figure(runs, args.out / README_FIGURE)]
    for model, run_dir in runs.items():
        paths += build_figures(model, run_dir, configs[model], args.out / model, tries[model])
        paths += record_runs(model, run_dir, configs[model], tries[model], args.records, command)
    for path in paths:
        print("%s  (%.0f KiB)" % (path, path.stat().st_size / 1024))
    return paths


if __name__ == "__main__":
    main()
