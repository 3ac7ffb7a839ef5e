"""Showcase pictures of a run: its samples over training time and walks through its latent space.

The command line of `mxgan.runs.showcase`:

    python -m mxgan.showcase RUN_DIR [--checkpoint DIR] [--rows N] [--steps K] [--seed S]
                             [--only timeline | interpolation]

writes ``timeline.png``, ``timeline.gif``, ``interpolation.png``, ``interpolation.gif`` and, for
a conditional run, ``digits.png`` and ``digits.gif`` into ``RUN_DIR/showcase/``.
"""
from pathlib import Path

from .cli import add_run_args, main_guard, new_parser, positive_int_type, seed_type
from .common.checks import UsageError
from .runs.lookup import how_to_train, require_checkpoint
from .runs.showcase import check_walk_size, interpolate_run, sample_grids, timeline_pictures
from .training import checkpoint


def parse_args(argv=None):
    """Parse the command line."""
    parser = new_parser(__doc__.splitlines()[0], prog="python -m mxgan.showcase")
    add_run_args(parser, "draw from")
    parser.add_argument("--rows", type=positive_int_type, metavar="N",
                        help="walks (and noise codes) to draw; None: 8, or 10 for a CGAN")
    parser.add_argument("--steps", type=positive_int_type, default=10, metavar="K",
                        help="images per walk in interpolation.png")
    parser.add_argument("--seed", type=seed_type, default=0, metavar="S",
                        help="seed of the random codes")
    parser.add_argument("--only", choices=("timeline", "interpolation"),
                        help="write only these pictures (e.g. a run without a checkpoint yet)")
    return parser.parse_args(argv)


def _check_inputs(args):
    """The checkpoint to draw from (None for the timeline alone); a `UsageError` unless what the
    asked pictures need is there."""
    if not Path(args.run_dir).is_dir():
        raise UsageError("no run directory %s: give the --out of a training run, e.g. "
                         "runs/dcgan-mnist" % args.run_dir)
    if args.only != "interpolation" and not sample_grids(args.run_dir):
        raise UsageError("no samples/iter-*.png grids in %s: train it first with %s (it writes "
                         "a grid every --sample-every steps), or pass --only interpolation"
                         % (args.run_dir, how_to_train(args.run_dir)))
    ckpt = None if args.only == "timeline" else require_checkpoint(args.run_dir, args.checkpoint)
    if args.steps < 2:
        raise UsageError("--steps must be at least 2 (a walk has two ends), got %d" % args.steps)
    if ckpt is not None:
        check_walk_size(checkpoint.load_meta(ckpt)["config"], args.rows, args.steps)
    return ckpt


@main_guard
def main(argv=None):
    """Write the showcase pictures of a run; user errors exit 2 with one line on stderr."""
    args = parse_args(argv)
    ckpt = _check_inputs(args)
    paths = []
    if args.only != "interpolation":
        paths += timeline_pictures(args.run_dir)
    if args.only != "timeline":
        paths += interpolate_run(args.run_dir, checkpoint_dir=ckpt, rows=args.rows,
                                 steps=args.steps, seed=args.seed)
    for path in paths:
        print("%s  (%.0f KiB)" % (path, path.stat().st_size / 1024))
    return paths


if __name__ == "__main__":
    main()
