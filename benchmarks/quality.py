"""Sample quality per CPU-minute: train variants of an example side by side and score them.

    python benchmarks/quality.py dcgan --variant ema "--ema-decay 0.999" --variant ...
    python benchmarks/quality.py cgan --variant default "" --seeds 0 1
    python benchmarks/quality.py cgan --rescore    # every recorded run, with today's scorer

Each variant is a named set of flags for ``examples/<model>_mnist.py``; every run is a fresh
process on the same seeds, one at a time, timed from start to exit (training, pictures and the
automatic scoring: the command a user types). Results go to
``benchmarks/quality-<model>.json`` (appended, one record per run) and a markdown table.
"""
import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = ROOT / "runs" / "quality"


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
        fields.update(accuracy=accuracy["accuracy"], worst_digit=min(
            a for a in accuracy["per_class"] if a is not None))
    return fields


def rescore(runs, results):
    """Score every recorded run again with the current scorer (``mxgan.evaluate``'s defaults),
    where its run directory is still there; rewrites the results file, keeping wall times."""
    records = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
    for record in records:
        out = run_dir(runs, record["model"], record["variant"], record["seed"])
        if (out / "checkpoints").is_dir():
            subprocess.run([sys.executable, "-m", "mxgan.evaluate", str(out)], cwd=ROOT,
                           check=True, stdout=subprocess.DEVNULL)
            record.update(score_fields(out))
    results.write_text("".join(json.dumps(record) + "\n" for record in records))
    return records


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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=("dcgan", "cgan"))
    parser.add_argument("--variant", nargs=2, action="append", metavar=("NAME", "FLAGS"),
                        help="a name and the flags of one variant (one flag alone needs a "
                             "leading space, ' --dry-run', or argparse takes it for an option)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--rescore", action="store_true",
                        help="instead of training, score every recorded run again")
    parser.add_argument("--runs", type=Path, default=RUNS, help="where the runs go")
    parser.add_argument("--results", type=Path,
                        help="records file (default: benchmarks/quality-MODEL.json)")
    args = parser.parse_args(argv)
    results = args.results or ROOT / "benchmarks" / ("quality-%s.json" % args.model)
    if args.rescore:
        print(table(rescore(args.runs, results)))
        return
    if not args.variant:
        parser.error("give --variant NAME FLAGS (one or more), or --rescore")
    records = []
    for seed in args.seeds:
        for name, flags in args.variant:
            records.append(run_variant(args.runs, args.model, name, flags, seed))
            with results.open("a") as f:
                f.write(json.dumps(records[-1]) + "\n")
            print(table(records[-1:]).splitlines()[-1], flush=True)
    print(table(records))


if __name__ == "__main__":
    main()
