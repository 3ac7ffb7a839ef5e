#!/usr/bin/env python
"""Train a conditional GAN on MNIST with bare MXNet executors, or draw chosen digits.

    python examples/cgan_mnist.py                  # train (defaults fit the device)
    python examples/cgan_mnist.py --infer 9        # draw nines with the trained generator
    python examples/cgan_mnist.py --interpolate    # each noise code as every digit (PNG, GIF)
    python examples/cgan_mnist.py --resume         # continue the latest checkpoint

Everything lands in the run directory (default runs/cgan-<dataset>/).
"""
import sys
from pathlib import Path

import numpy as np

from mxgan import checkpoint, cli, generate, symbols
from mxgan.cgan import ExecutorGAN
from mxgan.data import prepare_images
from mxgan.iters import CONDITIONS, image_iter

# The reference network (MXNet's R CGAN example) on every device; the CPU budget is iterations.
PROFILES = {
    "gpu": dict(batch_size=64, epochs=25, max_iters=None, real_label=1.0),
    "cpu": dict(batch_size=64, epochs=None, max_iters=2000, real_label=1.0),
    "dry-run": dict(batch_size=8, epochs=None, max_iters=4, real_label=1.0),
}
ARCHITECTURE = ("model", "condition", "nz")
TRAIN_COMMAND = "python examples/cgan_mnist.py"


def build_parser():
    parser = cli.add_training_args(cli.new_parser(__doc__.splitlines()[0]))
    net = parser.add_argument_group("network")
    net.add_argument("--condition", choices=CONDITIONS, default="onehot",
                     help="digit given to G and D as a one-hot vector or a learned embedding")
    net.add_argument("--nz", type=cli.positive_int, default=96, help="noise size")
    infer = parser.add_argument_group("inference")
    infer.add_argument("--infer", metavar="DIGIT", help="draw this digit (0-9) instead of training")
    infer.add_argument("--num", type=cli.positive_int, default=64, help="images to draw")
    cli.add_interpolate_arg(infer)
    infer.add_argument("--checkpoint", type=Path,
                       help="checkpoint directory to draw from (default: the run's latest)")
    return parser


def resolve_config(args, contexts):
    """Flags plus the device profile's defaults, as one JSON-able dict."""
    return cli.resolve_config(PROFILES, args, contexts, (), model="cgan",
                              condition=args.condition, nz=args.nz)


def parse_digit(text):
    """The --infer argument as an int 0-9, or a `cli.UsageError`."""
    if not text.isdigit() or not 0 <= int(text) <= 9:
        raise cli.UsageError("--infer takes one digit from 0 to 9, got %r" % text)
    return int(text)


def infer(args, run_dir):
    digit = parse_digit(args.infer)
    ckpt = cli.require_checkpoint(run_dir, TRAIN_COMMAND, args.checkpoint)
    if checkpoint.load_meta(ckpt)["config"].get("model") != "cgan":
        raise cli.UsageError("%s is not a conditional generator checkpoint (train one with %s)"
                             % (ckpt, TRAIN_COMMAND))
    images, _, _ = generate.sample_run(run_dir, args.num, seed=args.seed, checkpoint_dir=ckpt,
                                       digits=np.full(args.num, digit))
    png, npy = generate.write_samples(images[:, 0], run_dir, "infer_%d" % digit)
    print("wrote %s and %s" % (png, npy))
    return 0


def build(args, contexts):
    """A function of the config and cluster that loads this worker's labelled data and binds
    the executors."""
    def trainer_and_data(config, cluster):
        images, labels = prepare_images(config["dataset"], "train", offline=args.offline or None)
        if args.dry_run:
            images, labels = images[:config["batch_size"] * 2], labels[:config["batch_size"] * 2]
        images, labels = cluster.shard(images, labels)
        generator, discriminator = symbols.get_network("cgan28", condition=config["condition"],
                                                       nz=config["nz"])
        trainer = ExecutorGAN(generator, discriminator, batch_size=config["batch_size"],
                              nz=config["nz"], condition=config["condition"],
                              context=contexts, cluster=cluster, lr=config["lr"],
                              beta1=config["beta1"], real_label=config["real_label"],
                              monitor_seed=config["seed"])
        data = image_iter(images, trainer.worker_batch, labels=labels,
                          condition=config["condition"], seed=config["seed"])
        return trainer, data
    return trainer_and_data


@cli.main_guard
def main(argv=None):
    args = build_parser().parse_args(argv)
    cli.check_common(args)
    contexts = cli.training_contexts(args.ctx, command_line=argv is None)
    run_dir = args.out or Path("runs") / ("cgan-" + args.dataset)
    if args.infer is not None:
        return infer(args, run_dir)
    if args.interpolate:
        return cli.write_interpolations(run_dir, TRAIN_COMMAND, checkpoint_dir=args.checkpoint,
                                        seed=args.seed)
    return cli.train_and_report(args, resolve_config(args, contexts), run_dir,
                                build=build(args, contexts), train_command=TRAIN_COMMAND,
                                architecture=ARCHITECTURE)


if __name__ == "__main__":
    sys.exit(main())
