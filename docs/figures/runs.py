"""The runs the figures are drawn from: checked to be finished runs of their model, with their
metrics log and scores as the figures read them."""
import json
from pathlib import Path

from mxgan import cli, run
from mxgan.runs import showcase
from mxgan.runs.rundir import read_metrics


def check_run(run_dir, model):
    """The config of a finished ``model`` run ("dcgan" or "cgan"); `cli.UsageError` otherwise."""
    command = "%s --out %s" % (run.example_command(model), run_dir)
    if not Path(run_dir).is_dir():
        raise cli.UsageError("no run directory %s: train it with %s, or pass --%s RUN_DIR"
                             % (run_dir, command, model))
    _, config = run.open_run(run_dir, model=model)
    if not Path(run_dir, "metrics.jsonl").is_file() or not showcase.sample_grids(run_dir):
        raise cli.UsageError("%s has no metrics.jsonl or samples/iter-*.png: it is not a finished "
                             "run of %s" % (run_dir, command))
    return config


def metric_rows(run_dir):
    """The per-step rows of ``metrics.jsonl`` (see `mxgan.runs.rundir.MetricsLog`), without
    its in-training scores."""
    return read_metrics(Path(run_dir, "metrics.jsonl"))


def read_scores(run_dir):
    """(samples, real floor) score dicts of the run's scores.json; two empty dicts without one."""
    path = Path(run_dir, "scores.json")
    if not path.exists():
        return {}, {}
    scores = json.loads(path.read_text())
    return scores["samples"], scores["real"]
