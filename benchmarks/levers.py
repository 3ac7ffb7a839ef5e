"""Records of training-lever runs: one JSON line per finished run, and their table.

    python benchmarks/levers.py record runs/qt-topk-s0 --command "python examples/... --seed 0 ..."
    python benchmarks/levers.py table

A record holds the command that trained the run, its seed and length, the scores of its
scores.json (FD as a multiple of the floor, precision, recall, classes covered), and where and
with what it was measured. Records go to ``records/levers-dcgan.jsonl`` (appended).
"""
import argparse
import datetime
import json
import platform
import subprocess
import sys
from pathlib import Path

import mxnet as mx

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

from benchmarks.quality import score_fields  # noqa: E402

RECORDS = ROOT / "records" / "levers-dcgan.jsonl"


def provenance(commit=None):
    """Commit (default: this checkout's), date, machine and versions of a measurement."""
    commit = commit or subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT,
                                      capture_output=True, text=True).stdout.strip()
    return {"commit": commit, "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
        timespec="seconds"), "machine": _cpu_model(), "python": platform.python_version(),
        "mxnet": mx.__version__}


def _cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def record(run_dir, command, commit=None):
    """The record of the finished run in ``run_dir``, trained by ``command`` at ``commit``."""
    config = json.loads((Path(run_dir) / "config.json").read_text())
    return {"run": Path(run_dir).name, "command": command, "seed": config["seed"],
            "steps": config["iterations"], **score_fields(run_dir), **provenance(commit)}


def table(records):
    """The records as a markdown table, one row per run."""
    lines = ["| run | command | seed | steps | FD / floor | precision | recall | classes |",
             "|" + " --- |" * 8]
    for r in records:
        lines.append("| %s | `%s` | %d | %d | %.2fx | %.3f | %.3f | %d |" % (
            r["run"], r["command"], r["seed"], r["steps"], r["fd_ratio"], r["precision"],
            r["recall"], r["classes"]))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    actions = parser.add_subparsers(dest="action", required=True)
    add = actions.add_parser("record", help="append the record of a finished run")
    add.add_argument("run_dir", type=Path)
    add.add_argument("--command", required=True, help="the command that trained it")
    add.add_argument("--commit", help="the commit that trained it (default: this checkout's)")
    actions.add_parser("table", help="print the records as a markdown table")
    parser.add_argument("--records", type=Path, default=RECORDS)
    args = parser.parse_args(argv)
    if args.action == "record":
        args.records.parent.mkdir(parents=True, exist_ok=True)
        with args.records.open("a") as f:
            f.write(json.dumps(record(args.run_dir, args.command, args.commit)) + "\n")
    records = [json.loads(line) for line in args.records.read_text().splitlines() if line]
    print(table(records if args.action == "table" else records[-1:]))


if __name__ == "__main__":
    sys.exit(main())
