"""Truncation by redrawing against scaling the noise, with BatchNorm's batch or running
statistics: why ``--truncation`` redraws and samples keep the batch statistics.

    python benchmarks/truncation_modes.py runs/dcgan-mnist [--num 3000]

G's first layer is linear in the noise and BatchNorm follows it. With batch statistics (how
every reader samples, `mxgan.training.generate.sample`) a scaled noise batch is normalised back to
where it was: scaling does nothing. Redrawing values beyond PSI changes the noise's shape,
which survives in part. With running statistics both act. Writes one JSON line per (statistics,
method, PSI) to ``records/truncation-modes-<model>.jsonl``.
"""
import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

from benchmarks.records import provenance  # noqa: E402
from benchmarks.sampling_grid import checkpoint_of  # noqa: E402
from mxgan.quality.scores import FD_SAMPLES, Scorer  # noqa: E402
from mxgan.training import checkpoint, generate  # noqa: E402
from mxgan.training.sampling import truncated_normal  # noqa: E402

import numpy as np  # noqa: E402

SETTINGS = ((None, None), ("redraw", 2.0), ("redraw", 1.5), ("redraw", 1.0), ("scale", 0.8),
            ("scale", 0.6))


def noise(method, psi, shape, seed=0):
    """Standard normal noise, truncated by ``method`` at ``psi`` (None: as drawn)."""
    rng = np.random.RandomState(seed)
    if method == "redraw":
        return truncated_normal(rng, shape, psi)
    return rng.normal(size=shape) * (psi if method == "scale" else 1.0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path, help="trained unconditional run")
    parser.add_argument("--num", type=int, default=3 * FD_SAMPLES, help="samples per setting")
    args = parser.parse_args(argv)
    ckpt = checkpoint.find(args.run_dir)
    module, config = generate.open_generator(args.run_dir, ckpt)
    scorer = Scorer(config["dataset"])
    out = ROOT / "records" / ("truncation-modes-%s.jsonl" % config["model"])
    with open(out, "w") as lines:
        for statistics in ("batch", "running"):
            for method, psi in SETTINGS:
                codes = noise(method, psi, (args.num, config["nz"]))
                images = generate.from_codes(module, codes, is_train=statistics == "batch")
                samples = scorer(images)["samples"]
                command = "python benchmarks/truncation_modes.py %s --num %d" % (args.run_dir,
                                                                                  args.num)
                line = dict(statistics=statistics, method=method, psi=psi, num=args.num,
                            seed=0, fd_ratio=samples["fd_ratio"],
                            precision=samples["precision"], recall=samples["recall"],
                            classes_covered=samples["coverage"]["classes_covered"],
                            command=command, **checkpoint_of(args.run_dir, ckpt),
                            provenance=provenance(command))
                lines.write(json.dumps(line) + "\n")
                print("%-7s %-6s %-4s FD %.2fx P %.3f R %.3f" % (
                    statistics, method, psi, line["fd_ratio"], line["precision"],
                    line["recall"]), flush=True)
    print("wrote %s" % out)


if __name__ == "__main__":
    main()
