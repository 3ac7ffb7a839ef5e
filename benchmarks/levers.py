"""Records of training-lever runs: one JSON line per finished run, and their table.

    python benchmarks/levers.py record /work/runs/qt-topk-s0 \
        --command "python examples/dcgan_mnist.py --out /work/runs/qt-topk-s0 --seed 0 ..."
    python benchmarks/levers.py table

A record holds the run's seed and length, the scores of its scores.json (FD as a multiple of
the floor, precision, recall, classes covered) and its `benchmarks.records.provenance`, whose
command is the one that trained the run. Records go to ``records/levers-dcgan.jsonl``.
"""
import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

from benchmarks import records  # noqa: E402
from benchmarks.quality import score_fields  # noqa: E402

RECORDS = records.RECORDS / "levers-dcgan.jsonl"


def record(run_dir, command, commit=None):
    """The record of the finished run in ``run_dir``, trained by ``command`` (at ``commit``,
    default: this checkout's)."""
    config = json.loads((Path(run_dir) / "config.json").read_text())
    provenance = records.provenance(command)
    if commit:
        provenance["commit"] = commit
    return {"run": Path(run_dir).name, "seed": config["seed"], "steps": config["iterations"],
            **score_fields(run_dir), "provenance": provenance}


def table(rows):
    """The records as a markdown table, one row per run."""
    lines = ["| run | command | seed | steps | FD / floor | precision | recall | classes |",
             "|" + " --- |" * 8]
    for r in rows:
        lines.append("| %s | `%s` | %d | %d | %.2fx | %.3f | %.3f | %d |" % (
            r["run"], r["provenance"]["command"], r["seed"], r["steps"], r["fd_ratio"],
            r["precision"], r["recall"], r["classes"]))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=Path, default=RECORDS)
    actions = parser.add_subparsers(dest="action", required=True)
    add = actions.add_parser("record", help="append the record of a finished run")
    add.add_argument("run_dir", type=Path)
    add.add_argument("--command", required=True, help="the command that trained it")
    add.add_argument("--commit", help="the commit that trained it (default: this checkout's)")
    actions.add_parser("table", help="print the records as a markdown table")
    args = parser.parse_args(argv)
    if args.action == "record":
        records.append(args.records, record(args.run_dir, args.command, args.commit))
    rows = [json.loads(line) for line in args.records.read_text().splitlines() if line]
    print(table(rows if args.action == "table" else rows[-1:]))


if __name__ == "__main__":
    sys.exit(main())
