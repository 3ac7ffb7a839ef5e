#!/usr/bin/env python
"""Train a conditional GAN on MNIST with bare MXNet executors, or draw chosen digits.

    python examples/cgan_mnist.py                  # train (defaults fit the device)
    python examples/cgan_mnist.py --infer 9        # draw nines with the trained generator
    python examples/cgan_mnist.py --interpolate    # each noise code as every digit (PNG, GIF)
    python examples/cgan_mnist.py --resume         # continue the latest checkpoint

Everything lands in the run directory (default runs/cgan-<dataset>/).
"""
import argparse
import functools
import sys

from mxgan import cli, run
from mxgan.nets.conditions import CONDITIONS
from mxgan.runs.survivors import naming_survivors

# Named defaults (--profile), each with what it is for (--help lists them); gpu and cpu are the
# devices' own.
PROFILE_NOTES = {
    "tutorial": "MXNet's R CGAN tutorial as published: its net (cgan28), 2,400 steps",
    "gpu": "the tutorial's net trained for 25 epochs, with a weight average of G",
    "cpu": "tuned for 2 cores: cdcgan28 with a projection D, 3.5x the lr, D's at twice G's",
    "dry-run": "a few steps, to check that everything runs (--dry-run)",
}
PROFILES = {
    "tutorial": dict(network="cgan28", batch_size=64, epochs=None, max_iters=2400, lr=2e-4,
                     real_label=1.0, lr_decay="none", ema_decay=0.0),
    "gpu": dict(network="cgan28", batch_size=64, epochs=25, max_iters=None, lr=2e-4,
                real_label=1.0, lr_decay="none", ema_decay=0.999),
    "cpu": dict(network="cdcgan28", projection=True, batch_size=64, epochs=None, max_iters=6000,
                lr=7e-4, lr_d=1.4e-3, real_label=1.0, lr_decay="none", ema_decay=0.999),
    "dry-run": dict(network="cgan28", batch_size=8, epochs=None, max_iters=4, lr=2e-4,
                    real_label=1.0, lr_decay="linear", ema_decay=0.9),
}
MODEL = "cgan"


def build_parser():
    parser = cli.add_training_args(cli.new_parser(__doc__.splitlines()[0]), profiles=PROFILES,
                                   notes=PROFILE_NOTES)
    cli.add_sampling_args(parser, conditional=True)
    by_profile = functools.partial(cli.profile_default, PROFILES)
    net = parser.add_argument_group("network")
    net.add_argument("--network", choices=("cgan28", "cdcgan28"),
                     help="MXNet's R CGAN tutorial's net, or a conditional 28 px DCGAN "
                          + by_profile("network"))
    net.add_argument("--condition", choices=CONDITIONS, default="onehot",
                     help="digit given to G and D as a one-hot vector or a learned embedding")
    net.add_argument("--projection", action=argparse.BooleanOptionalAction,
                     help="cdcgan28's D also projects its features on a learned embedding of "
                          "the digit (Miyato and Koyama, 2018) "
                          + by_profile("projection", absent="off"))
    net.add_argument("--ac-weight", type=cli.weight_type, default=0.0, metavar="W",
                     help="cdcgan28's D also classifies real digits (an auxiliary classifier, "
                          "as AC-GAN's) and G's loss adds W x its cross-entropy for the digit "
                          "asked; 0: no classifier")
    net.add_argument("--nz", type=cli.width_type, default=96, help="noise size")
    net.add_argument("--ngf", type=cli.width_type,
                     help="cdcgan28's generator width (default: 28)")
    net.add_argument("--ndf", type=cli.width_type,
                     help="cdcgan28's discriminator width (default: 28)")
    infer = parser.add_argument_group("inference")
    infer.add_argument("--infer", type=cli.digit_type, metavar="DIGIT",
                       help="draw this digit (0-9) instead of training")
    infer.add_argument("--num", type=cli.positive_int_type, default=64, help="images to draw")
    infer.add_argument("--interpolate", action="store_true",
                       help="instead of training, draw each noise code as every digit and "
                            "latent walks into RUN_DIR/showcase")
    infer.add_argument("--checkpoint", type=cli.path_type,
                       help="checkpoint directory to draw from (default: the run's newest)")
    return parser


@cli.main_guard
def main(argv=None):
    args, given = cli.parse_given(build_parser(), argv)
    cli.check_common(args)
    run_dir = run.run_directory(args, MODEL)
    with naming_survivors(run_dir):
        if args.infer is not None:
            return run.write_samples(run_dir, args.num, model=MODEL, seed=args.seed,
                                     digit=args.infer, checkpoint_dir=args.checkpoint,
                                     overrides=cli.sampling_overrides(args))
        if args.interpolate:
            return run.write_interpolations(run_dir, model=MODEL, checkpoint_dir=args.checkpoint,
                                            seed=args.seed)
        contexts = cli.training_contexts(args.ctx, command_line=argv is None)
        return run.train(args, run_dir, contexts, given=given, model=MODEL, profiles=PROFILES)


if __name__ == "__main__":
    sys.exit(main())
