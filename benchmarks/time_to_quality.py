"""Time to quality: the scores of a run against the training time they took.

    python benchmarks/time_to_quality.py dcgan --max-iters 9000 --every 1000 [flags...]
    python benchmarks/time_to_quality.py dcgan --from-run runs/dcgan-mnist
    python benchmarks/time_to_quality.py dcgan --plot records/time-to-quality-*.jsonl

Trains ``examples/<model>_mnist.py`` once with every ``--every``-th checkpoint kept, then scores
each checkpoint's samples (5,000; G's weight average where the run keeps one) exactly as the
example scores its last one. ``--from-run`` instead reads the scores any run took while it
trained (``--score-every``: 1,000 samples each, one set, so each point moves by about 20%):
nothing is trained or rescored. Training seconds come from ``metrics.jsonl`` (without the time
spent scoring); the command's own start-up, data loading and final scoring are measured too
and reported beside them. Appends a record to ``records/time-to-quality-<model>.jsonl`` (with its
provenance, `benchmarks.records`); ``--plot`` draws the newest record of each given file as
``docs/img/time-to-quality.png``: FD / floor (and conditional accuracy) against minutes.
"""
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

from benchmarks import records  # noqa: E402
from mxgan import cli  # noqa: E402
from mxgan.common import viz  # noqa: E402
from mxgan.common.viz import plt  # noqa: E402  (matplotlib on its file-only backend)
from mxgan.quality.scores import SCORED_SAMPLES, score_samples  # noqa: E402
from mxgan.runs.rundir import read_metrics  # noqa: E402
from mxgan.runs.watch import score_row  # noqa: E402
from mxgan.training import checkpoint, generate  # noqa: E402

MODELS = ("dcgan", "cgan")
PLOT = ROOT / "docs" / "img" / "time-to-quality.png"


def train(model, run_dir, max_iters, every, flags):
    """Run the example keeping every checkpoint; returns its wall seconds."""
    command = [sys.executable, str(ROOT / "examples" / ("%s_mnist.py" % model)), "--out",
               str(run_dir), "--max-iters", str(max_iters), "--checkpoint-every", str(every),
               "--keep-checkpoints", "0", *flags]
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def score_checkpoints(run_dir):
    """[(iteration, training seconds, score row)] of every checkpoint of the run (rows as
    `mxgan.runs.watch.score_row` makes them)."""
    seconds = {row["iteration"]: row["seconds"] for row in read_metrics(run_dir / "metrics.jsonl")}
    found = []
    for ckpt in checkpoint.list_checkpoints(run_dir):
        iteration = checkpoint.load_meta(ckpt)["iteration"]
        images, labels, dataset = generate.sample_run(run_dir, SCORED_SAMPLES, checkpoint_dir=ckpt)
        row = score_row(score_samples(images, labels, dataset=dataset))
        found.append((iteration, seconds[iteration], row))
        print("%6d %7.0f s  FD %.2fx floor" % (iteration, seconds[iteration], row["fd_ratio"]),
              flush=True)
    return found


def in_training_scores(run_dir):
    """The same from the scores the run took while it trained (its ``metrics.jsonl``)."""
    return [(row["iteration"], row["seconds"], row)
            for row in read_metrics(Path(run_dir) / "metrics.jsonl", kind="score")]


def record_of(model, points, **extra):
    """The result file's content: ``extra`` and one point per (iteration, seconds, row)."""
    return dict(model=model, **extra, points=[
        {"iteration": i, "training_s": s, "fd_ratio": row["fd_ratio"],
         "precision": row["precision"], "recall": row["recall"], "accuracy": row.get("accuracy")}
        for i, s, row in points])


def plot(records, path):
    """FD / floor (and conditional accuracy, where there is one) against training minutes, one
    line per record, into a PNG."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    accuracy_axis = None
    for record in records:
        minutes = [p["training_s"] / 60 for p in record["points"]]
        ax.plot(minutes, [p["fd_ratio"] for p in record["points"]], marker="o",
                label="%s: FD / floor" % record["model"])
        if record["points"][0]["accuracy"] is not None:
            accuracy_axis = accuracy_axis or ax.twinx()
            accuracy_axis.plot(minutes, [100 * p["accuracy"] for p in record["points"]],
                               marker="s", linestyle="--", color="tab:green",
                               label="%s: conditional accuracy" % record["model"])
            accuracy_axis.set_ylabel("conditional accuracy, %")
    ax.set_yscale("log")
    ax.set_yticks([1, 1.5, 2, 3, 5, 10, 20, 50])
    ax.get_yaxis().set_major_formatter(plt.FuncFormatter(lambda v, _: "%gx" % v))
    ax.set_xlabel("training minutes (2 CPU cores)")
    ax.set_ylabel("Frechet distance / real-data floor")
    ax.grid(alpha=0.3, which="both")
    handles = ax.get_legend_handles_labels()
    if accuracy_axis is not None:
        handles = [a + b for a, b in zip(handles, accuracy_axis.get_legend_handles_labels())]
    ax.legend(*handles, loc="center right")
    viz.save_figure(fig, path)
    return path


def parse_args(argv=None):
    """Parse the command line (the example's own flags pass through); the model is required."""
    parser = cli.new_parser(__doc__.splitlines()[0], prog="python benchmarks/time_to_quality.py")
    parser.add_argument("model", nargs="?", metavar="MODEL", help="dcgan or cgan")
    parser.add_argument("--max-iters", type=int, default=9000)
    parser.add_argument("--every", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "time-to-quality",
                        help="where the run goes")
    parser.add_argument("--results", type=Path,
                        help="records file (default: records/time-to-quality-MODEL.jsonl)")
    parser.add_argument("--plot", nargs="+", type=Path, metavar="JSONL",
                        help="only draw docs/img/time-to-quality.png from these records files")
    parser.add_argument("--from-run", type=Path, metavar="RUN_DIR",
                        help="read the in-training scores of this run instead of training")
    args, flags = parser.parse_known_args(argv)
    if args.model not in MODELS and not args.plot:
        parser.error("%s: choose dcgan or cgan" % (
            "no model given" if args.model is None else "unknown model %r" % args.model))
    return args, flags


def main(argv=None):
    """Train and score (or read a run's scores, or plot), appending the record."""
    args, flags = parse_args(argv)
    if args.plot:
        newest = [records.read(path)[-1] for path in args.plot]
        print("wrote %s" % plot(newest, PLOT))
        return
    out = args.results or records.RECORDS / ("time-to-quality-%s.jsonl" % args.model)
    if args.from_run:
        record = record_of(args.model, in_training_scores(args.from_run),
                           source="in-training scores of %s" % args.from_run)
    else:
        run_dir = args.out / args.model
        subprocess.run(["rm", "-rf", str(run_dir)], check=True)
        wall = train(args.model, run_dir, args.max_iters, args.every, flags)
        record = record_of(args.model, score_checkpoints(run_dir), flags=flags,
                           command_wall_s=wall)
        print("command: %.0f s (training %.0f s)" % (wall, record["points"][-1]["training_s"]))
    records.write(out, records.command_line(__file__, argv), record)
    print("wrote %s" % out)


if __name__ == "__main__":
    main()
