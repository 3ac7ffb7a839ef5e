#!/usr/bin/env python
"""Train a DCGAN on MNIST-style digits with MXNet's Module API, or sample a trained one.

    python examples/dcgan_mnist.py                 # train (defaults fit the device)
    python examples/dcgan_mnist.py --resume        # continue the latest checkpoint
    python examples/dcgan_mnist.py --generate 64   # sample the trained generator
    python examples/dcgan_mnist.py --interpolate   # walk its latent space (PNG and GIF)

Everything lands in the run directory (default runs/dcgan-<dataset>/).
"""
import sys
from pathlib import Path

from mxgan import cli, generate, symbols
from mxgan.data import prepare_images
from mxgan.dcgan import ModuleGAN
from mxgan.iters import image_iter

# Defaults per device. GPU: seed 003 as published. CPU: seed 001's 28 x 28 network, sized to
# finish in under 10 minutes on 2 cores with recognisable digits.
PROFILES = {
    "gpu": dict(image_size=64, channels=3, ngf=128, ndf=128, batch_size=64, epochs=5,
                max_iters=None, real_label=1.0),
    "cpu": dict(image_size=28, channels=1, ngf=28, ndf=28, batch_size=64, epochs=None,
                max_iters=3000, real_label=0.9),
    "dry-run": dict(image_size=28, channels=1, ngf=4, ndf=4, batch_size=8, epochs=None,
                    max_iters=4, real_label=1.0),
}
ARCHITECTURE = ("model", "image_size", "channels", "ngf", "ndf", "nz")
TRAIN_COMMAND = "python examples/dcgan_mnist.py"


def build_parser():
    parser = cli.add_training_args(cli.new_parser(__doc__.splitlines()[0]))
    net = parser.add_argument_group("network")
    net.add_argument("--image-size", type=int, help="28 (seed 001 net) or 64 (seed 003 net)")
    net.add_argument("--channels", type=int, choices=(1, 3), help="image channels")
    net.add_argument("--ngf", type=cli.positive_int, help="generator width")
    net.add_argument("--ndf", type=cli.positive_int, help="discriminator width")
    net.add_argument("--nz", type=cli.positive_int, default=100, help="noise size")
    sampling = parser.add_argument_group("sampling")
    sampling.add_argument("--generate", type=cli.positive_int, metavar="N",
                          help="sample N images from the trained model instead of training")
    cli.add_interpolate_arg(sampling)
    return parser


def resolve_config(args, contexts):
    """Flags plus the device profile's defaults, as one JSON-able dict."""
    config = cli.resolve_config(PROFILES, args, contexts, ("image_size", "channels", "ngf", "ndf"),
                                model="dcgan", nz=args.nz)
    if config["image_size"] not in symbols.DCGAN_SIZES:
        raise cli.UsageError("--image-size must be 28 or 64, got %d" % config["image_size"])
    return config


def build(args, contexts):
    """A function of the config and cluster that loads this worker's data and binds the trainer."""
    def trainer_and_data(config, cluster):
        images, _ = prepare_images(config["dataset"], "train", size=config["image_size"],
                                   offline=args.offline or None)
        if args.dry_run:
            images = images[:config["batch_size"] * 2]
        images, = cluster.shard(images)
        generator, discriminator = symbols.get_network(
            "dcgan%d" % config["image_size"], channels=config["channels"], nz=config["nz"],
            ngf=config["ngf"], ndf=config["ndf"])
        trainer = ModuleGAN(generator, discriminator, batch_size=config["batch_size"],
                            nz=config["nz"], image_shape=(config["channels"],) + images.shape[2:],
                            context=contexts, cluster=cluster, lr=config["lr"],
                            beta1=config["beta1"], real_label=config["real_label"],
                            monitor_seed=config["seed"])
        return trainer, image_iter(images, trainer.worker_batch, seed=config["seed"])
    return trainer_and_data


def write_generated(args, run_dir):
    ckpt = cli.require_checkpoint(run_dir, TRAIN_COMMAND)
    images, _, _ = generate.sample_run(run_dir, args.generate, seed=args.seed, checkpoint_dir=ckpt)
    png, npy = generate.write_samples(images, run_dir, "generated")
    print("wrote %s and %s" % (png, npy))
    return 0


@cli.main_guard
def main(argv=None):
    args = build_parser().parse_args(argv)
    cli.check_common(args)
    contexts = cli.training_contexts(args.ctx, command_line=argv is None)
    config = resolve_config(args, contexts)
    run_dir = args.out or Path("runs") / ("dcgan-" + args.dataset)
    if args.generate:
        return write_generated(args, run_dir)
    if args.interpolate:
        return cli.write_interpolations(run_dir, TRAIN_COMMAND, seed=args.seed)
    return cli.train_and_report(args, config, run_dir, build=build(args, contexts),
                                train_command=TRAIN_COMMAND, architecture=ARCHITECTURE)


if __name__ == "__main__":
    sys.exit(main())
