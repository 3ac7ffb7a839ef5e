"""Sample quality per CPU-minute: train variants of an example side by side and score them.

    python benchmarks/quality.py dcgan --variant ema "--ema-decay 0.999" --variant ...
    python benchmarks/quality.py cgan --variant default "" --seeds 0 1
    python benchmarks/quality.py cgan --rescore    # every recorded run, with today's scorer

Each variant is a named set of flags for ``examples/<model>_mnist.py``; every run is a fresh
process on the same seeds, one at a time, timed from start to exit (training, pictures and the
automatic scoring: the command a user types). Results go to ``records/quality-<model>.jsonl``
(appended, one record per run, with its provenance: see `benchmarks.records`) and a markdown
table. The records whose flags are empty are the default command's: the README's table of the
defaults is rendered from them.
"""
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

from benchmarks import records  # noqa: E402
from mxgan import cli  # noqa: E402

RUNS = ROOT / "runs" / "quality"
MODELS = ("dcgan", "cgan")


def results_path(model):
    """The default records file of a model's runs."""
    return records.RECORDS / ("quality-%s.jsonl" % model)


def run_dir(runs, model, name, seed):
    """Where a variant's run goes."""
    return Path(runs) / ("%s-%s-s%d" % (model, name.replace(" ", "_"), seed))


def run_variant(runs, model, name, flags, seed):
    """Train and score one variant; returns its record."""
    out = run_dir(runs, model, name, seed)
    command = [sys.executable, str(ROOT / "examples" / ("%s_mnist.py" % model)), "--out",
               str(out), "--seed", str(seed), *shlex.split(flags)]
    if out.exists():
        subprocess.run(["rm", "-rf", str(out)], check=True)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError("%s failed:\n%s" % (" ".join(command), done.stderr[-3000:]))
    if not (out / "scores.json").is_file():
        raise cli.UsageError("%s wrote no scores.json: a variant must score its run (no "
                             "--no-eval or --dry-run among its flags)" % " ".join(command))
    config = json.loads((out / "config.json").read_text())
    return {"model": model, "variant": name, "flags": flags, "seed": seed,
            "wall_s": round(seconds, 1), "iterations": config["iterations"], **score_fields(out)}


def score_fields(out):
    """The scores a record keeps, from a run's scores.json."""
    scores = json.loads((out / "scores.json").read_text())
    sample = scores["samples"]
    fields = {"fd_ratio": sample["fd_ratio"], "fd": sample["frechet_distance"],
              "floor": scores["real"]["frechet_distance"], "precision": sample["precision"],
              "recall": sample["recall"], "classes": sample["coverage"]["classes_covered"],
              "samples": scores["num_samples"]}
    if "conditional_accuracy" in sample:
        accuracy = sample["conditional_accuracy"]
        fields.update(accuracy=accuracy["accuracy"], per_digit=accuracy["per_class"],
                      worst_digit=min(a for a in accuracy["per_class"] if a is not None))
    return fields


def newest_runs(found):
    """The newest record of each (variant, seed), in the order they were first recorded."""
    newest = {}
    for record in found:
        newest[record["variant"], record["seed"]] = record
    return list(newest.values())


def rescore(runs, results, command):
    """Score the newest record of every (variant, seed) again with the current scorer
    (``mxgan.evaluate``'s defaults), where its run directory is still there, and append it
    rescored: the wall time kept, the timing's provenance kept as ``"timed"``."""
    rescored = []
    for record in newest_runs(records.read(results)):
        out = run_dir(runs, record["model"], record["variant"], record["seed"])
        if not (out / "checkpoints").is_dir():
            continue
        subprocess.run([sys.executable, "-m", "mxgan.evaluate", str(out)], cwd=ROOT,
                       check=True, stdout=subprocess.DEVNULL)
        timed = record.pop("provenance")
        rescored.append(dict(record, **score_fields(out), timed=record.get("timed", timed)))
        records.write(results, command, rescored[-1])
    return rescored


def table(records):
    """The records as a markdown table, one row per run."""
    lines = ["| variant | flags | seed | steps | wall s | FD / floor | P | R | classes | acc "
             "| worst |", "|" + " --- |" * 11]
    for r in records:
        lines.append("| %s | `%s` | %d | %d | %.0f | %.2fx | %.2f | %.2f | %d | %s | %s |" % (
            r["variant"], r["flags"], r["seed"], r["iterations"], r["wall_s"], r["fd_ratio"],
            r["precision"], r["recall"], r["classes"],
            "%.1f%%" % (100 * r["accuracy"]) if "accuracy" in r else "-",
            "%.1f%%" % (100 * r["worst_digit"]) if "worst_digit" in r else "-"))
    return "\n".join(lines)


def parse_args(argv=None):
    """Parse the command line; the model is required."""
    parser = cli.new_parser(__doc__.splitlines()[0], prog="python benchmarks/quality.py")
    parser.add_argument("model", nargs="?", metavar="MODEL", help="dcgan or cgan")
    parser.add_argument("--variant", nargs=2, action="append", metavar=("NAME", "FLAGS"),
                        help="a name and the flags of one variant (one flag alone needs a "
                             "leading space, ' --dry-run', or argparse takes it for an option)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--rescore", action="store_true",
                        help="instead of training, score every recorded run again")
    parser.add_argument("--runs", type=Path, default=RUNS, help="where the runs go")
    parser.add_argument("--results", type=Path,
                        help="records file (default: records/quality-MODEL.jsonl)")
    args = parser.parse_args(argv)
    if args.model not in MODELS:
        parser.error("%s: choose dcgan or cgan" % (
            "no model given" if args.model is None else "unknown model %r" % args.model))
    if not args.variant and not args.rescore:
        parser.error("give --variant NAME FLAGS (one or more), or --rescore")
    return args


@cli.main_guard
def main(argv=None):
    """Train and score every variant on every seed (or rescore), appending each record."""
    args = parse_args(argv)
    results = args.results or results_path(args.model)
    command = records.command_line(__file__, argv)
    if args.rescore:
        print(table(rescore(args.runs, results, command)))
        return
    measured = []
    for seed in args.seeds:
        for name, flags in args.variant:
            measured.append(run_variant(args.runs, args.model, name, flags, seed))
            records.write(results, command, measured[-1])
            print(table(measured[-1:]).splitlines()[-1], flush=True)
    print(table(measured))


if __name__ == "__main__":
    main()
