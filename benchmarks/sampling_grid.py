"""Sampling settings against sample quality: a trained run scored over truncation PSI x
acceptance rate (`mxgan.training.sampling`), one JSON line per setting.

    python benchmarks/sampling_grid.py runs/dcgan-mnist
    python benchmarks/sampling_grid.py runs/cgan-mnist --digit-check both

Each setting is drawn exactly as ``python -m mxgan.evaluate RUN_DIR --truncation PSI
--acceptance RATE`` draws it (`mxgan.training.generate.draw`, 5,000 samples, seed 0) and scored
by the same scorer; the generator, discriminator and scorer are loaded once. Lines go to
``records/sampling-<model>.jsonl`` (replaced), each with the command that repeats it.
"""
import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

from benchmarks.records import provenance  # noqa: E402
from mxgan.quality.report import summary_line  # noqa: E402
from mxgan.quality.scores import SCORED_SAMPLES, Scorer  # noqa: E402
from mxgan.training import checkpoint, generate  # noqa: E402

TRUNCATIONS = (0.0, 2.0, 1.5, 1.0, 0.8, 0.6)  # 0: off
ACCEPTANCES = (1.0, 0.8, 0.6, 0.4)  # 1: off


def settings_grid(truncations, acceptances, digit_checks):
    """Every (truncation, acceptance, digit check), each lever alone first (the curves), then
    their combinations."""
    grid = [(t, a, d) for d in digit_checks for t in truncations for a in acceptances]
    alone = [s for s in grid if s[0] == truncations[0] or s[1] == acceptances[0]]
    return alone + [s for s in grid if s not in alone]


def point(scores, setting, *, run_dir, ckpt, seed, num):
    """One record line: the setting, its command, its scores and where they came from."""
    truncation, acceptance, digit_check = setting
    samples = scores["samples"]
    command = ("python -m mxgan.evaluate %s --num %d --seed %d --truncation %g --acceptance %g"
               % (run_dir, num, seed, truncation, acceptance))
    line = dict(truncation=truncation, acceptance=acceptance, command=command, seed=seed,
                fd_ratio=samples["fd_ratio"], frechet_distance=samples["frechet_distance"],
                floor=scores["real"]["frechet_distance"], precision=samples["precision"],
                recall=samples["recall"],
                classes_covered=samples["coverage"]["classes_covered"],
                kl_to_uniform=samples["coverage"]["kl_to_uniform"])
    if digit_check is not None:
        line["digit_check"] = digit_check
        line["command"] += " --digit-check" if digit_check else " --no-digit-check"
    if "conditional_accuracy" in samples:
        line.update(accuracy=samples["conditional_accuracy"]["accuracy"],
                    accuracy_per_digit=samples["conditional_accuracy"]["per_class"],
                    per_digit_fd_ratio=samples["per_class_fd_ratio"])
    line.update(checkpoint_of(run_dir, ckpt), provenance=provenance(line["command"]))
    return line


def checkpoint_of(run_dir, ckpt):
    """The run and checkpoint a line scores, and its step."""
    return dict(run=str(run_dir), checkpoint=Path(ckpt).name,
                iteration=checkpoint.load_meta(ckpt)["iteration"])


def score_grid(run_dir, settings, *, seed, num, out):
    """Draw and score every setting of ``settings`` into the JSON lines file ``out``."""
    ckpt = checkpoint.find(run_dir)
    module, config = generate.open_generator(run_dir, ckpt)
    critic = generate.open_critic(ckpt, config)
    scorer = Scorer(config["dataset"])
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w") as lines:
        for setting in settings:
            overrides = dict(zip(("truncation", "acceptance", "digit_check"), setting))
            sampling = generate.run_sampling(config, overrides)
            images, labels = generate.draw(module, config, num, seed=seed, sampling=sampling,
                                           critic=critic)
            scores = scorer(images, labels)
            lines.write(json.dumps(point(scores, setting, run_dir=run_dir, ckpt=ckpt,
                                         seed=seed, num=num)) + "\n")
            lines.flush()
            print("PSI %-4g keep %-4g %s| %s" % (setting[0], setting[1],
                                                 "" if setting[2] is None else
                                                 "digit check %s " % setting[2],
                                                 summary_line(scores)), flush=True)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path, help="trained run to sample")
    parser.add_argument("--truncation", type=float, nargs="+", default=TRUNCATIONS,
                        help="PSI values, 0 for off")
    parser.add_argument("--acceptance", type=float, nargs="+", default=ACCEPTANCES,
                        help="acceptance rates, 1 for off")
    parser.add_argument("--digit-check", choices=("off", "on", "both"),
                        help="a conditional run's digit check (default: not set, the run's own)")
    parser.add_argument("--seed", type=int, default=0, help="noise seed of every setting")
    parser.add_argument("--num", type=int, default=SCORED_SAMPLES, help="samples per setting")
    parser.add_argument("--out", type=Path, help="default records/sampling-<model>.jsonl")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    config = checkpoint.load_meta(checkpoint.find(args.run_dir))["config"]
    checks = {None: (None,), "off": (False,), "on": (True,), "both": (False, True)}
    settings = settings_grid(args.truncation, args.acceptance, checks[args.digit_check])
    out = args.out or ROOT / "records" / ("sampling-%s.jsonl" % config["model"])
    score_grid(args.run_dir, settings, seed=args.seed, num=args.num, out=out)
    print("wrote %s" % out)


if __name__ == "__main__":
    main()
