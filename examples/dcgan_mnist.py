#!/usr/bin/env python
"""Train a DCGAN on MNIST-style digits with MXNet's Module API, or sample a trained one.

    python examples/dcgan_mnist.py                 # train (defaults fit the device)
    python examples/dcgan_mnist.py --resume        # continue the latest checkpoint
    python examples/dcgan_mnist.py --generate 64   # sample the trained generator
    python examples/dcgan_mnist.py --interpolate   # walk its latent space (PNG and GIF)

Everything lands in the run directory (default runs/dcgan-<dataset>/).
"""
import functools
import sys

from mxgan import cli, run
from mxgan.runs.survivors import naming_survivors

# Named defaults (--profile), each with what it is for (--help lists them); gpu and cpu are the
# devices' own.
PROFILE_NOTES = {
    "tutorial-64": "MXNet's DCGAN tutorial as published: 64 x 64 x 3, Adam lr 2e-4, one epoch",
    "tutorial-28": "the torch-for-R DCGAN tutorial as published: 28 x 28 x 1, five epochs",
    "gpu": "tutorial-64 trained for five epochs, with a weight average of G",
    "cpu": "tutorial-28 tuned for 2 cores: 4x the lr, D's at twice G's, Adam beta1 0 and beta2 "
           "0.99 with a weight average, minibatch std, samples kept by D's rejection",
    "cpu-64": "tutorial-64 at a quarter of its width in grey, with cpu's rates (about 20 min)",
    "dry-run": "a few steps of a tiny net, to check that everything runs (--dry-run)",
}
PROFILES = {
    "tutorial-64": dict(image_size=64, channels=3, ngf=128, ndf=128, batch_size=64, epochs=1,
                        max_iters=None, lr=2e-4, real_label=1.0, lr_decay="none", ema_decay=0.0),
    "tutorial-28": dict(image_size=28, channels=1, ngf=28, ndf=28, batch_size=128, epochs=5,
                        max_iters=None, lr=2e-4, real_label=1.0, lr_decay="none", ema_decay=0.0),
    "gpu": dict(image_size=64, channels=3, ngf=128, ndf=128, batch_size=64, epochs=5,
                max_iters=None, lr=2e-4, real_label=1.0, lr_decay="none", ema_decay=0.999),
    "cpu": dict(image_size=28, channels=1, ngf=28, ndf=28, batch_size=64, epochs=None,
                max_iters=6000, lr=8e-4, lr_d=1.6e-3, beta1=0.0, beta2=0.99, real_label=0.9,
                lr_decay="none", ema_decay=0.999, minibatch_std=True, acceptance=0.4),
    "cpu-64": dict(image_size=64, channels=1, ngf=32, ndf=32, batch_size=64, epochs=None,
                   max_iters=3000, lr=8e-4, lr_d=1.6e-3, real_label=0.9, lr_decay="none",
                   ema_decay=0.999),
    "dry-run": dict(image_size=28, channels=1, ngf=4, ndf=4, batch_size=8, epochs=None,
                    max_iters=4, lr=2e-4, real_label=1.0, lr_decay="linear", ema_decay=0.9),
}
MODEL = "dcgan"


def build_parser():
    parser = cli.add_training_args(cli.new_parser(__doc__.splitlines()[0]), profiles=PROFILES,
                                   notes=PROFILE_NOTES)
    cli.add_sampling_args(parser, conditional=False)
    by_profile = functools.partial(cli.profile_default, PROFILES)
    net = parser.add_argument_group("network")
    net.add_argument("--image-size", type=int, choices=(28, 64),
                     help="28 (the torch-for-R tutorial's net) or 64 (MXNet's DCGAN tutorial's) "
                          + by_profile("image_size"))
    net.add_argument("--channels", type=int, choices=(1, 3),
                     help="image channels " + by_profile("channels"))
    net.add_argument("--ngf", type=cli.width_type,
                     help="generator width " + by_profile("ngf"))
    net.add_argument("--ndf", type=cli.width_type,
                     help="discriminator width " + by_profile("ndf"))
    net.add_argument("--nz", type=cli.width_type, default=100, help="noise size")
    sampling = parser.add_argument_group("sampling")
    sampling.add_argument("--generate", type=cli.positive_int_type, metavar="N",
                          help="sample N images from the trained model instead of training")
    sampling.add_argument("--interpolate", action="store_true",
                          help="instead of training, draw latent walks from the trained model "
                               "into RUN_DIR/showcase")
    return parser


@cli.main_guard
def main(argv=None):
    args, given = cli.parse_given(build_parser(), argv)
    cli.check_common(args)
    run_dir = run.run_directory(args, MODEL)
    with naming_survivors(run_dir):
        if args.generate:
            return run.write_samples(run_dir, args.generate, model=MODEL, seed=args.seed,
                                     overrides=cli.sampling_overrides(args))
        if args.interpolate:
            return run.write_interpolations(run_dir, model=MODEL, seed=args.seed)
        contexts = cli.training_contexts(args.ctx, command_line=argv is None)
        return run.train(args, run_dir, contexts, given=given, model=MODEL, profiles=PROFILES)


if __name__ == "__main__":
    sys.exit(main())
