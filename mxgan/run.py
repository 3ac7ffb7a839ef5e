"""Runs of the examples, from flags to scores: configure, train, draw, score, sample.

The examples (``examples/*_mnist.py``) hold what is theirs (their flags, their per-device
profiles); this module holds what a run of either model does with them.
Models are named "dcgan" (`mxgan.training.dcgan.ModuleGAN`) and "cgan"
(`mxgan.training.cgan.ExecutorGAN`).
"""
import contextlib
import os
import sys
from pathlib import Path

from .common import capacity
from .common.checks import UsageError
from .common.files import check_writable_dir
from .data.images import prepare_images
from .data.iters import image_iter
from .data.sources import IMAGE_SIZE
from .distributed.parallel import Cluster, check_job_variables
from .nets import symbols
from .quality.report import evaluate_and_report, summary_line
from .quality.scores import SCORED_SAMPLES
from .runs import loop, monitoring
from .runs.alarms import DIVERGED_EXIT, Diverged
from .runs.config import announce, resolve_config, resumed_config
from .runs.lookup import NEEDED_TO_RESUME, claim, example_command, open_run
from .runs.rundir import RunLock
from .runs.showcase import interpolate_run, timeline_pictures
from .runs.survivors import naming_survivors
from .training import checkpoint, generate
from .training.cgan import ExecutorGAN
from .training.dcgan import ModuleGAN
from .training.recipe import Recipe


def run_directory(args, model):
    """``--out``, else ``runs/<model>-<dataset>`` (``-dry-run`` appended for a dry run, which
    must not take the real run's place); a `UsageError` or `mxgan.common.files.WriteFailed`
    unless it can be written."""
    default = "%s-%s%s" % (model, args.dataset, "-dry-run" if args.dry_run else "")
    run_dir = args.out or Path("runs") / default
    with naming_survivors(run_dir):
        return check_writable_dir(run_dir)


def join_cluster(kvstore):
    """This process's place in the job (`mxgan.distributed.parallel.Cluster.join`); a `UsageError`
    if it cannot have one, or the environment holds a job's variables it would not use
    (`mxgan.distributed.parallel.check_job_variables`)."""
    check_job_variables(kvstore, os.environ)
    try:
        return Cluster.join(kvstore)
    except (ValueError, RuntimeError) as err:
        raise UsageError(str(err)) from None


def _check_batch(config, cluster):
    """The number of workers, once the batch is known to split evenly over all devices."""
    try:
        cluster.worker_batch(config["batch_size"], len(config["ctx"]))
    except ValueError as err:
        raise UsageError(str(err)) from None
    return cluster.num_workers


# ---- training ---------------------------------------------------------------------------------

def train(args, run_dir, contexts, *, given, model, profiles):
    """Train (or with ``--resume`` continue) a run of ``model`` in ``run_dir``, draw its timeline
    and score it; returns the exit code.

    ``given`` are the flags the command line gives (`mxgan.cli.parse_given`): a resume checks
    those against the run. In a multi-process job, rank 0 alone locks, prints and writes. A step
    that leaves the networks non-finite ends the run with `DIVERGED_EXIT`.
    """
    monitoring.check_flags(args, run_dir)
    claim(run_dir, model)
    cluster = join_cluster(args.kvstore)
    with RunLock(run_dir) if cluster.is_chief else contextlib.nullcontext():
        config, ckpt = _run_config(run_dir, args, given, contexts, model=model,
                                   profiles=profiles, train_command=example_command(model))
        config["num_workers"] = _check_batch(config, cluster)
        trainer, data = build(model, config, contexts, cluster, offline=args.offline,
                              dry_run=args.dry_run)
        start = loop.restore(trainer, ckpt) if ckpt else 0
        _check_continues(config, start)
        if cluster.is_chief:
            capacity.check_disk(run_dir, checkpoint.estimated_bytes(trainer.checkpoint_states()),
                                "a checkpoint of this run", "free some space, or pass --out a "
                                "directory on another filesystem")
            announce(config, run_dir)
        watch = (monitoring.watch(args, run_dir, trainer, config, start)
                 if cluster.is_chief else None)
        try:
            iteration, stopped_by = loop.fit(
                trainer, data, run_dir=run_dir, config=config, max_iters=config["iterations"],
                sample_every=args.sample_every, checkpoint_every=args.checkpoint_every,
                start=start, keep_checkpoints=args.keep_checkpoints, watch=watch)
        except Diverged as err:
            print("error: %s" % err, file=sys.stderr)
            return DIVERGED_EXIT
    if stopped_by:
        print("stopped at iteration %d; resume with --resume" % iteration, file=sys.stderr)
        return 128 + stopped_by  # the shell's code for a process ended by that signal
    if cluster.is_chief:
        timeline_pictures(run_dir)
        print("done: %d iterations; pictures and checkpoints in %s" % (iteration, run_dir))
        if not (args.no_eval or args.dry_run):
            report_scores(run_dir)
    return 0


def _run_config(run_dir, args, given, contexts, **how):
    """(The config of a new run, None), or (the config of the run being resumed, checked against
    the flags given, and the checkpoint it continues)."""
    if args.resume:
        ckpt, saved = open_run(run_dir, model=how["model"], needs=NEEDED_TO_RESUME[how["model"]])
        return resumed_config(saved, args, given, contexts), ckpt
    existing = checkpoint.list_checkpoints(run_dir)
    if existing:
        shown = checkpoint.latest(run_dir, warn=False) or existing[0]
        raise UsageError("%s already holds a trained run (%s): pass --resume to continue it, or "
                         "--out DIR to start another" % (run_dir, shown.name))
    return resolve_config(args, contexts, **how), None


def _check_continues(config, start):
    """A `UsageError` when a resumed run would end before the step it resumes from: it would
    train nothing, and its config.json would no longer match its checkpoints."""
    if config["iterations"] < start:
        limits = " and ".join("--%s %s" % (key.replace("_", "-"), config[key])
                              for key in ("max_iters", "epochs") if config[key])
        raise UsageError("%s would end the run at step %d, before step %d, where its checkpoint "
                         "is: pass a larger value to continue it"
                         % (limits, config["iterations"], start))


def build(model, config, contexts, cluster, *, offline=False, dry_run=False):
    """The trainer of a run of ``model`` and this worker's iterator of its training images.

    The networks come first, so a flag they refuse is reported before any data is loaded; the
    run's length in steps, which needs the number of images, is then set once, as
    ``config["iterations"]``, for the learning-rate schedule and the loop alike. Memory for
    training is checked once the data has said whether the batch fits in it at all.
    """
    networks, make_trainer = MODELS[model]
    generator, discriminator = networks(config)
    data = training_data(config, cluster, offline=offline, dry_run=dry_run)
    check_training_memory(config, generator, discriminator, contexts)
    config["iterations"] = run_length(config, data.batches_per_epoch)
    return make_trainer(generator, discriminator, config, contexts, cluster), data


def check_training_memory(config, generator, discriminator, contexts):
    """A `mxgan.common.capacity.TooLarge` naming the flags to lower when training ``generator`` and
    ``discriminator`` at the run's batch would not fit in memory, before anything is allocated
    (for the CPU: a GPU's memory is its own)."""
    if any(ctx.device_type != "cpu" for ctx in contexts):
        return
    g_inputs = generate.input_shapes(config, 1)
    d_inputs = dict(data=(1,) + generate.image_shape(config), label=(1,),
                    **{k: v for k, v in g_inputs.items() if k == "cond"})
    needed = capacity.training_bytes([(generator, g_inputs), (discriminator, d_inputs)],
                                     config["batch_size"])
    flags = ["--%s %s" % (key.replace("_", "-"), config[key])
             for key in ("batch_size", "nz", "ngf", "ndf") if config.get(key) is not None]
    capacity.check_memory(needed, "training with %s" % ", ".join(flags),
                          "lower %s" % " or ".join(flag.split()[0] for flag in flags))


def run_length(config, batches_per_epoch):
    """Steps of the whole run: ``epochs`` passes, capped by ``max_iters``."""
    total = config["epochs"] * batches_per_epoch if config["epochs"] else config["max_iters"]
    return min(total, config["max_iters"] or total)


def training_data(config, cluster, *, offline=False, dry_run=False):
    """This worker's iterator over its share of the training images, with their digits for a
    conditional run (two batches in all for a dry run)."""
    images, labels = prepare_images(config["dataset"], "train",
                                     size=config.get("image_size", IMAGE_SIZE),
                                     offline=offline or None)
    if dry_run:
        images, labels = images[:config["batch_size"] * 2], labels[:config["batch_size"] * 2]
    images, labels = cluster.shard(images, labels)
    worker_batch = cluster.worker_batch(config["batch_size"], len(config["ctx"]))
    if len(images) < worker_batch:
        raise UsageError("--batch-size %d is larger than the %d training images of %s (per "
                         "worker)" % (config["batch_size"], len(images), config["dataset"]))
    condition = config.get("condition")
    return image_iter(images, worker_batch, labels=labels if condition else None,
                      condition=condition, seed=config["seed"])


def _trainer_options(config, contexts, cluster):
    """Keyword arguments every trainer takes, from the config (its length set by `build`)."""
    return dict(batch_size=config["batch_size"], nz=config["nz"], context=contexts,
                cluster=cluster, recipe=Recipe.from_config(config), grid_seed=config["seed"])


def dcgan_networks(config):
    """(G, D) of a DCGAN run."""
    return symbols.get_network(
        "dcgan%d" % config["image_size"], graph=config.get("graph", "fast"),
        channels=config["channels"], nz=config["nz"], ngf=config["ngf"], ndf=config["ndf"],
        **{k: v for k, v in config.items() if k in symbols.D_LEVERS})


def cgan_networks(config):
    """(G, D) of a CGAN run; a `UsageError` for widths its network does not take."""
    network = config.get("network", "cgan28")
    options = {k: config[k] for k in ("ngf", "ndf") if config.get(k) is not None}
    if options and network != "cdcgan28":
        raise UsageError("--ngf and --ndf set the widths of --network cdcgan28; the R tutorial's "
                         "net (%s) has its own fixed widths: drop them" % network)
    if config.get("projection"):
        if network != "cdcgan28":
            raise UsageError("--projection is an option of --network cdcgan28's discriminator, "
                             "not of the R tutorial's net (%s): drop it" % network)
        options["projection"] = True
    if config.get("ac_weight"):
        if network != "cdcgan28":
            raise UsageError("--ac-weight gives --network cdcgan28's discriminator a digit "
                             "classifier, which the R tutorial's net (%s) lacks: drop it"
                             % network)
        options["classifier"] = True
    return symbols.get_network(network, graph=config.get("graph", "fast"),
                               condition=config["condition"], nz=config["nz"], **options,
                               **{k: v for k, v in config.items() if k in symbols.D_LEVERS})


def dcgan_trainer(generator, discriminator, config, contexts, cluster):
    """A `ModuleGAN` of a DCGAN run's networks."""
    return ModuleGAN(generator, discriminator, image_shape=generate.image_shape(config),
                     **_trainer_options(config, contexts, cluster))


def cgan_trainer(generator, discriminator, config, contexts, cluster):
    """An `ExecutorGAN` of a CGAN run's networks."""
    return ExecutorGAN(generator, discriminator, condition=config["condition"],
                       ac_weight=config.get("ac_weight") or 0.0,
                       **_trainer_options(config, contexts, cluster))


# Per model: its networks from a config, and its trainer of them.
MODELS = {"dcgan": (dcgan_networks, dcgan_trainer), "cgan": (cgan_networks, cgan_trainer)}


# ---- after training: scores and pictures ------------------------------------------------------

def report_scores(run_dir, num=SCORED_SAMPLES):
    """Score ``num`` samples of a trained run against real images: scores.json and one line."""
    images, labels, dataset = generate.sample_run(run_dir, num)
    scores = evaluate_and_report(images, labels, dataset, Path(run_dir) / "scores.json")
    print("scores (%d samples): %s" % (num, summary_line(scores)))


def write_interpolations(run_dir, *, model, checkpoint_dir=None, seed=0):
    """The ``--interpolate`` action: showcase pictures of a trained run of ``model``; returns the
    exit code."""
    ckpt, _ = open_run(run_dir, checkpoint_dir, model=model)
    for path in interpolate_run(run_dir, checkpoint_dir=ckpt, seed=seed):
        print("wrote %s" % path)
    return 0


def write_samples(run_dir, num, *, model, seed=0, checkpoint_dir=None, digit=None,
                  overrides=None):
    """The ``--generate N`` / ``--infer D`` action: ``num`` samples (of ``digit``, for a CGAN)
    of a run of ``model``, drawn as its sampling settings say but for ``overrides``
    (`mxgan.training.generate.run_sampling`), as an array streamed to the run directory and a
    grid of the first `mxgan.training.generate.GRID_SAMPLES`; returns the exit code. A count the
    disk cannot hold is refused before anything is drawn (`mxgan.common.capacity.TooLarge`)."""
    ckpt, config = open_run(run_dir, checkpoint_dir, model=model)
    conditional = config.get("condition") is not None
    if digit is not None and not conditional:
        raise UsageError("%s holds an unconditional generator: drawing a chosen digit needs a "
                         "conditional GAN's run" % ckpt)
    # a chosen digit's samples are (N, 28, 28), as they always were
    sample_shape = generate.image_shape(config)[0 if digit is None else 1:]
    stem = "generated" if digit is None else "infer_%d" % digit
    capacity.check_disk(run_dir, generate.files_bytes(num, sample_shape),
                        "writing {:,} samples ({}.npy and .png)".format(num, stem),
                        "ask for fewer, or free some space")
    sampling = generate.run_sampling(config, overrides)
    module = generate.load_generator(ckpt, batch_size=config["batch_size"])
    critic = generate.open_critic(ckpt, config) if sampling.rejects else None
    batches = generate.draw_batches(module, config, num, seed=seed, digit=digit,
                                    sampling=sampling, critic=critic)
    png, npy = generate.write_sample_files(batches, num, sample_shape, run_dir, stem)
    shown = "all %d samples" % num if num <= generate.GRID_SAMPLES else (
        "the first %d of {:,} samples".format(num) % generate.GRID_SAMPLES)
    print("wrote %s (%s) and %s" % (png, shown, npy))
    return 0
