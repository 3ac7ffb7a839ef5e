"""Sample quality per CPU-minute: train variants of an example side by side and score them.

    python benchmarks/quality.py dcgan --variants baseline ema "ema lr-decay" ...
    python benchmarks/quality.py cgan --variants ... --seeds 0 1

Each variant is a named set of flags for ``examples/<model>_mnist.py``; every run is a fresh
process on the same seeds, one at a time, timed from start to exit (training, pictures and the
automatic scoring of 1,000 samples: the command a user types). Results go to
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


def run_variant(model, name, flags, seed):
    """Train and score one variant; returns its record."""
    out = RUNS / ("%s-%s-s%d" % (model, name.replace(" ", "_"), seed))
    command = [sys.executable, str(ROOT / "examples" / ("%s_mnist.py" % model)), "--out",
               str(out), "--seed", str(seed), *shlex.split(flags)]
    if out.exists():
        subprocess.run(["rm", "-rf", str(out)], check=True)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError("%s failed:\n%s" % (" ".join(command), done.stderr[-3000:]))
    scores = json.loads((out / "scores.json").read_text())
    config = json.loads((out / "config.json").read_text())
    sample = scores["samples"]
    record = {"model": model, "variant": name, "flags": flags, "seed": seed,
              "wall_s": round(seconds, 1), "iterations": config["iterations"],
              "fd_ratio": sample["fd_ratio"], "fd": sample["frechet_distance"],
              "floor": scores["real"]["frechet_distance"], "precision": sample["precision"],
              "recall": sample["recall"], "classes": sample["coverage"]["classes_covered"]}
    if "conditional_accuracy" in sample:
        accuracy = sample["conditional_accuracy"]
        record.update(accuracy=accuracy["accuracy"], worst_digit=min(
            a for a in accuracy["per_class"] if a is not None))
    return record


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
                        required=True, help="a name and the flags of one variant")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args(argv)
    results = ROOT / "benchmarks" / ("quality-%s.json" % args.model)
    records = []
    for seed in args.seeds:
        for name, flags in args.variant:
            records.append(run_variant(args.model, name, flags, seed))
            with results.open("a") as f:
                f.write(json.dumps(records[-1]) + "\n")
            print(table(records[-1:]).splitlines()[-1], flush=True)
    print(table(records))


if __name__ == "__main__":
    main()
