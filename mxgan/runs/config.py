"""A run's configuration: the profile asked for, overridden by the flags given, and what a resumed
run may change of the configuration it was trained with. It is printed at the start and saved as
``config.json`` in the run directory."""
import json
import sys
from pathlib import Path

from ..common.checks import UsageError
from ..common.files import atomic_write_text
from ..nets import symbols
from ..training.recipe import Recipe
from ..training.sampling import SAMPLING_KEYS, SAMPLING_OFF

# The settings every run has, set by the flags every example shares, beside the model's own
# (`ARCHITECTURES`); a profile gives some of them.
TRAINING_LEVERS = ("lr_warmup", "d_steps", "ema_start", "beta1", "beta2", "top_k_final",
                   "top_k_steps", "diffaugment")
SHARED_SETTINGS = ("dataset", "lr", "lr_d", "lr_decay", "ema_decay", "seed", "kvstore",
                   "real_label", "batch_size", "epochs", "max_iters", "graph", *TRAINING_LEVERS,
                   *symbols.D_LEVERS)
# Shared keys newer than the first runs, at the values that trained those: `Recipe`'s defaults for
# the training levers (`TRAINING_LEVERS`; every run records beta1, which a profile may now set),
# the discriminator levers off.
DEFAULTS_OF_OLDER_RUNS = {**{key: getattr(Recipe, key) for key in TRAINING_LEVERS},
                          **symbols.D_LEVERS}
# Keys a checkpoint fixes: resuming with other values is refused.
ARCHITECTURES = {"dcgan": ("image_size", "channels", "ngf", "ndf", "nz"),
                 "cgan": ("network", "condition", "nz", "ngf", "ndf", "projection", "ac_weight")}
# The sampling settings (`mxgan.training.sampling`) of each model's runs; off unless a profile or
# flag sets them, and off for the runs recorded before them (`Sampling.from_config`).
SAMPLING_SETTINGS = {"dcgan": ("truncation", "acceptance"), "cgan": SAMPLING_KEYS}
# Keys a resumed run may change: how long it trains, the graph (its two forms compute the same
# function; where it trains, ctx and kvstore, is always the resuming process's own) and how it
# samples, which training never reads.
RESUMABLE = ("max_iters", "epochs", "graph") + SAMPLING_KEYS


def resolve_config(args, contexts, *, model, profiles, train_command):
    """The profile asked for (else the dry-run one, else the device's), overridden by the flags
    given, as one JSON-able dict."""
    profile = args.profile or ("dry-run" if args.dry_run else contexts[0].device_type)
    sampling_off = {key: SAMPLING_OFF[key] for key in SAMPLING_SETTINGS[model]}
    config = {**DEFAULTS_OF_OLDER_RUNS, **sampling_off, **profiles[profile], "model": model,
              "train_command": train_command, "profile": profile}
    for key in SHARED_SETTINGS + ARCHITECTURES[model] + SAMPLING_SETTINGS[model]:
        if getattr(args, key, None) is not None:
            config[key] = getattr(args, key)
    config["ctx"] = [str(ctx) for ctx in contexts]
    return config


def resumed_config(saved, args, given, contexts):
    """The saved run's config with the flags a resume may change; a `UsageError` naming every
    other flag ``given`` (the destinations the command line gives, `mxgan.cli.parse_given`) with
    a value the run was not trained with."""
    saved = dict(DEFAULTS_OF_OLDER_RUNS, **saved)
    config = dict(saved, ctx=[str(ctx) for ctx in contexts], kvstore=args.kvstore)
    different = []
    known = set(saved) | set(SHARED_SETTINGS) | set(SAMPLING_KEYS)
    for key in sorted(given & known - {"ctx", "kvstore"}):
        value = getattr(args, key)
        if key in RESUMABLE:
            config[key] = value
        elif value != saved.get(key):
            different.append("--%s %s (the run has %s)"
                             % (key.replace("_", "-"), value, saved.get(key)))
    if different:
        raise UsageError("--resume continues the run as it was trained; these flags differ: %s."
                         " Drop them, or pass --out DIR to start another run"
                         % "; ".join(different))
    return config


def announce(config, run_dir):
    """Print the resolved configuration and save it as ``config.json`` in the run directory."""
    text = json.dumps(config, indent=2, sort_keys=True)
    atomic_write_text(Path(run_dir) / "config.json", text + "\n")
    print("configuration (saved to %s):\n%s" % (Path(run_dir) / "config.json", text),
          file=sys.stderr)

