"""Sampling from a saved generator, on the CPU or any device, without its training code.

Used by ``--generate`` / ``--infer`` in the examples and by ``python -m mxgan.evaluate RUN_DIR``.
Samples come batch by batch (`sample_batches`), so a count of any size streams to disk
(`write_sample_files`) without being held in memory.
"""
import functools
import sys
from pathlib import Path

import mxnet as mx
import numpy as np
from tqdm import tqdm

from ..common import viz
from ..common.files import atomic_writer
from ..data.sources import IMAGE_SIZE
from ..nets.conditions import NUM_CLASSES, encode_digits
from . import checkpoint, checkpoint_reading
from .rejection import Critic, draw_accepted
from .sampling import Sampling
from .trainer import AVERAGE

GRID_SAMPLES = 256  # samples a written grid shows at most: 16 x 16 stay readable
REJECTION_CHUNK = 10000  # samples drawn at once where D rejects (streamed, see draw_batches)
GRID_SCALE = 2  # pixel enlargement of a written grid


def sampling_net(ckpt_dir):
    """The network samples come from: G's weight average when the checkpoint has one (see
    `mxgan.training.trainer.WeightAverage`), else G itself."""
    saved = checkpoint.load_meta(ckpt_dir).get("optimizer_counts", {})
    return AVERAGE if AVERAGE in saved else "generator"


def load_generator(ckpt_dir, *, batch_size, ctx=None):
    """Bind a checkpoint's generator (`sampling_net`) as a Module for batches of ``batch_size``
    (see `bind_generator`)."""
    net = sampling_net(ckpt_dir)
    config = checkpoint.load_meta(ckpt_dir)["config"]
    module = bind_generator(checkpoint_reading.load_symbol(ckpt_dir, net), config,
                            batch_size=batch_size, ctx=ctx)
    module.set_params(*checkpoint_reading.load_params(ckpt_dir, net, like=module.get_params()))
    return module


def bind_generator(symbol, config, *, batch_size, ctx=None):
    """A Module of the generator ``symbol`` of a run (its ``config``) for batches of
    ``batch_size``, its parameters still to be set.

    It is bound for training (gradients allocated, never used) on purpose: MXNet's oneDNN
    inference rewrite would otherwise fold BatchNorm with its running statistics even when
    run with ``is_train=True``, and samples are drawn with batch statistics (see `sample`).
    """
    shapes = input_shapes(config, batch_size)
    module = mx.mod.Module(symbol, data_names=list(shapes), label_names=None,
                           context=ctx or mx.cpu())
    module.bind(data_shapes=list(shapes.items()), for_training=True)
    module.init_params()
    return module


def image_shape(config):
    """(channels, height, width) of the images of a run's generator (its ``config``)."""
    size = config.get("image_size", IMAGE_SIZE)
    return (config.get("channels", 1), size, size)


def input_shapes(config, batch_size):
    """{input name: shape} of a run's generator: ``rand``, then ``cond`` for a conditional one
    (the order `from_codes` feeds them in)."""
    shapes = {"rand": (batch_size, config["nz"], 1, 1)}
    if config.get("condition"):
        shapes["cond"] = encode_digits(np.zeros(batch_size, int), config["condition"]).shape
    return shapes


def sample(module, num, *, digits=None, condition=None, seed=0, is_train=True,
           sampling=Sampling()):
    """``num`` images (N, C, H, W) float32 in [-1, 1]; ``digits`` (N,) for a conditional G.

    ``is_train=True`` normalises each batch with its own BatchNorm statistics, as the networks
    were trained; the running averages of a short run lag behind the weights. ``seed`` seeds the
    noise (an int or a sequence of them, as numpy's RandomState takes), which ``sampling``
    truncates when it says so.
    """
    digits_at = None if digits is None else np.asarray(digits).__getitem__
    return np.concatenate(list(sample_batches(module, num, digits_at=digits_at,
                                              condition=condition, seed=seed,
                                              is_train=is_train, sampling=sampling)))


def sample_batches(module, num, *, digits_at=None, condition=None, seed=0, is_train=True,
                   sampling=Sampling()):
    """`sample`'s images, one batch of the module's size after another (the last one cut).

    ``digits_at(indices)`` gives a conditional G the digits of those samples; a batch's digits
    are padded by cycling them. The noise is drawn batch by batch from one generator seeded
    with ``seed`` (truncated as ``sampling`` says): the same samples, however many are drawn
    at once.
    """
    batch_size, nz = module.data_shapes[0].shape[:2]
    noise = np.random.RandomState(seed)
    for start in range(0, num, batch_size):
        codes = sampling.noise(noise, (batch_size, nz))  # whole batches: padding has its own
        cond = None
        if digits_at is not None:
            digits = digits_at(np.arange(start, min(start + batch_size, num)))
            cond = encode_digits(np.resize(digits, batch_size), condition)
        yield from_codes(module, codes, cond, is_train=is_train)[:num - start]


def sample_digits(module, digits, *, condition, seed=0, sampling=Sampling()):
    """Draw the asked ``digits`` inside batches of all ten digits, keeping only the asked slots.

    BatchNorm normalises with batch statistics, as in training, and G was trained on batches of
    mixed digits: a batch of one repeated digit has other statistics. Measured on a 1,500-step
    CPU run (an earlier scorer, 97% accurate): conditional accuracy 92.2% (one digit per batch),
    94.7% (running averages), 95.3% (this), mean over the ten digits.
    """
    digits = np.asarray(digits)
    return np.concatenate(list(digit_batches(module, len(digits), digits.__getitem__,
                                             condition=condition, seed=seed,
                                             sampling=sampling)))


def digit_batches(module, num, digits_at, *, condition, seed=0, sampling=Sampling()):
    """`sample_digits`'s images batch by batch: sample i shows ``digits_at(i)``, drawn in the
    first of ten slots that hold the digits from it on (slot j: digit + j mod 10)."""
    def slot_digits(slots):
        return (digits_at(slots // NUM_CLASSES) + slots % NUM_CLASSES) % NUM_CLASSES
    drawn = 0
    for images in sample_batches(module, num * NUM_CLASSES, digits_at=slot_digits,
                                 condition=condition, seed=seed, sampling=sampling):
        yield images[(-drawn) % NUM_CLASSES::NUM_CLASSES]
        drawn += len(images)


def open_generator(run_dir, checkpoint_dir=None):
    """A run's generator Module (from `mxgan.training.checkpoint.find`) for batches of its
    training size, and its training config; `mxgan.training.checkpoint.CheckpointError` when
    there is none."""
    ckpt = checkpoint.find(run_dir, checkpoint_dir)
    config = checkpoint.load_meta(ckpt)["config"]
    return load_generator(ckpt, batch_size=config["batch_size"]), config


def open_critic(ckpt_dir, config):
    """A checkpoint's discriminator as a `mxgan.training.rejection.Critic` of its run's
    ``config``."""
    critic = Critic(checkpoint_reading.load_symbol(ckpt_dir, "discriminator"), config)
    critic.set_params(*checkpoint_reading.load_params(ckpt_dir, "discriminator"))
    return critic


def run_sampling(config, overrides=None):
    """The `mxgan.training.sampling.Sampling` of a run's ``config``, with ``overrides`` (a dict
    of its keys; None values keep the run's); ValueError for settings the run cannot take."""
    sampling = Sampling.from_config(config, overrides)
    if sampling.digit_check and config.get("condition") is None:
        raise ValueError("the digit check asks D which digit a sample shows: it needs a "
                         "conditional GAN's run")
    return sampling


def sample_run(run_dir, num, *, seed=0, checkpoint_dir=None, digits=None, overrides=None):
    """Sample a trained run as its config.json's sampling settings say, each replaced by its
    value in ``overrides`` (see `run_sampling`): (images, asked digits or None, dataset name);
    see `draw`.

    Raises `mxgan.training.checkpoint.CheckpointError` when the run has no usable checkpoint.
    """
    ckpt = checkpoint.find(run_dir, checkpoint_dir)
    module, config = open_generator(run_dir, ckpt)
    sampling = run_sampling(config, overrides)
    critic = open_critic(ckpt, config) if sampling.rejects else None
    images, digits = draw(module, config, num, seed=seed, digits=digits, sampling=sampling,
                          critic=critic)
    return images, digits, config["dataset"]


def draw(module, config, num, *, seed=0, digits=None, sampling=Sampling(), critic=None):
    """``num`` samples of a run's generator ``module`` (its training ``config``) and the digits
    they were asked to show, None for an unconditional one; a conditional one draws ``digits``
    (default: 0-9 in turn) with `sample_digits`.

    Every reader of a run draws here. ``sampling`` truncates the noise; where it rejects,
    ``critic`` (the run's `mxgan.training.rejection.Critic`) decides which samples are kept, see
    `draw_accepted`.
    """
    conditional = config.get("condition") is not None
    if conditional:
        digits = np.asarray(np.arange(num) % NUM_CLASSES if digits is None else digits,
                            np.int64)
    if sampling.rejects:
        draw_candidates = functools.partial(candidates, module, config, sampling=sampling)
        return draw_accepted(draw_candidates, critic, num, seed=seed, digits=digits,
                             sampling=sampling), digits
    if not conditional:
        return sample(module, num, seed=seed, sampling=sampling), None
    return sample_digits(module, digits, condition=config["condition"], seed=seed,
                         sampling=sampling), digits


def candidates(module, config, count, *, seed, sampling):
    """``count`` samples to choose from, of each digit for a conditional run: (images, digits or
    None). A conditional run draws rows of all ten digits, so that every batch mixes them as in
    training (see `sample_digits`)."""
    if config.get("condition") is None:
        return sample(module, count, seed=seed, sampling=sampling), None
    digits = np.tile(np.arange(NUM_CLASSES), count)
    return sample(module, len(digits), digits=digits, condition=config["condition"], seed=seed,
                  sampling=sampling), digits


def draw_batches(module, config, num, *, seed=0, digit=None, sampling=Sampling(),
                 critic=None):
    """`draw`'s images batch by batch, all of ``digit`` when given (a conditional G). Where
    ``sampling`` rejects, the kept samples come in chunks of `REJECTION_CHUNK`, each drawn by
    `draw` with its own seed, so that no more than a chunk is held at once."""
    if sampling.rejects:
        return _accepted_chunks(module, config, num, seed=seed, digit=digit, sampling=sampling,
                                critic=critic)
    if config.get("condition") is None:
        return sample_batches(module, num, seed=seed, sampling=sampling)
    if digit is None:
        return digit_batches(module, num, lambda i: i % NUM_CLASSES,
                             condition=config["condition"], seed=seed, sampling=sampling)
    return digit_batches(module, num, lambda i: np.full(len(i), digit),
                         condition=config["condition"], seed=seed, sampling=sampling)


def _accepted_chunks(module, config, num, *, seed, digit, sampling, critic):
    """`draw_batches` where D rejects: `draw` of up to `REJECTION_CHUNK` samples at a time."""
    for chunk, start in enumerate(range(0, num, REJECTION_CHUNK)):
        count = min(REJECTION_CHUNK, num - start)
        digits = None
        if config.get("condition") is not None:
            digits = (np.arange(start, start + count) % NUM_CLASSES if digit is None
                      else np.full(count, digit))
        chunk_seed = (seed + chunk * 1000003) % 2 ** 32  # one int: the rounds extend it
        yield draw(module, config, count, seed=chunk_seed, digits=digits, sampling=sampling,
                   critic=critic)[0]


def files_bytes(num, sample_shape):
    """An upper bound on the bytes `write_sample_files` writes for ``num`` samples of
    ``sample_shape``: the array's, and the grid's before PNG compresses it (twice its cells'
    pixels cover the padding and a part-filled last row)."""
    pixels = int(np.prod([int(n) for n in sample_shape], dtype=object))
    height, width = sample_shape[-2:]
    grid = 2 * min(num, GRID_SAMPLES) * pixels // (height * width) * (height + 2) * (width + 2)
    return 128 + num * pixels * 4 + grid * GRID_SCALE ** 2  # a .npy header: 128 bytes


def write_sample_files(batches, num, sample_shape, out_dir, stem):
    """Write ``num`` samples of ``sample_shape`` arriving in ``batches`` into ``out_dir``:
    ``stem.npy`` (float32, each batch appended as it comes) and ``stem.png`` (a grid of the
    first `GRID_SAMPLES`); returns the two paths. Both appear whole or not at all."""
    out_dir = Path(out_dir)
    npy, png = out_dir / (stem + ".npy"), out_dir / (stem + ".png")
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype("<f4")), "fortran_order": False,
              "shape": (num,) + tuple(sample_shape)}
    shown = []
    with atomic_writer(npy) as out, tqdm(total=num, unit="sample", file=sys.stderr,
                                         disable=None, leave=False) as bar:
        np.lib.format.write_array_header_1_0(out, header)
        for images in batches:
            images = np.asarray(images, "<f4").reshape((-1,) + tuple(sample_shape))
            out.write(images.tobytes())
            shown.append(images[:GRID_SAMPLES - sum(map(len, shown))])
            bar.update(len(images))
    viz.write_png(png, viz.make_grid(np.concatenate(shown)), scale=GRID_SCALE)
    return png, npy


def write_samples(images, out_dir, stem):
    """Write ``stem.npy`` (the float32 images) and ``stem.png`` (a grid of the first
    `GRID_SAMPLES`) into ``out_dir``; returns the two paths."""
    return write_sample_files([images], len(images), images.shape[1:], out_dir, stem)


def slerp(a, b, t):
    """Spherical interpolation between codes ``a`` and ``b`` (nz,) at fractions ``t`` (K,).

    Returns (K, nz) float64; ``t = 0`` gives ``a`` and ``t = 1`` gives ``b`` exactly. Why not a
    straight line: a Gaussian code in nz dimensions lies near the sphere of radius sqrt(nz),
    the only region G saw in training, but the midpoint of two independent codes has norm about
    sqrt(nz / 2) (for nz = 100: 7.1 instead of 10), so a linear walk passes through atypical,
    low-contrast codes. Slerp follows the great circle, keeping the norm between |a| and |b|.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    t = np.asarray(t, np.float64)[:, None]
    cos_omega = np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))
    omega = np.arccos(np.clip(cos_omega, -1.0, 1.0))
    if np.sin(omega) < 1e-6:  # (anti)parallel codes: no unique great circle, fall back to a line
        return (1 - t) * a + t * b
    weight_a, weight_b = np.sin((1 - t) * omega) / np.sin(omega), np.sin(t * omega) / np.sin(omega)
    return weight_a * a + weight_b * b  # weights exactly (1, 0) and (0, 1) at the ends


def from_codes(module, rand, cond=None, *, is_train=False):
    """Images (N, C, H, W) for given noise codes ``rand`` (N, nz) and encoded conditions ``cond``.

    Codes go through ``module`` in batches of its bound size (the last one padded by repeating
    codes). The default ``is_train=False`` normalises with BatchNorm's running statistics, so
    each image is a function of its own code alone, whatever else shares its batch; with
    ``is_train=True`` the picture would depend on the padding and on the other codes.
    ``cond`` holds the generator's ``cond`` input per code, e.g. `encode_digits` output or a
    blend of two one-hot vectors.
    """
    batch_size, nz = module.data_shapes[0].shape[:2]
    rand = np.asarray(rand, np.float32).reshape(len(rand), nz, 1, 1)
    inputs = [rand] if cond is None else [rand, np.asarray(cond, np.float32)]
    chunks = []
    for start in range(0, len(rand), batch_size):
        data = [mx.nd.array(np.resize(x[start:start + batch_size], (batch_size,) + x.shape[1:]))
                for x in inputs]
        module.forward(mx.io.DataBatch(data=data), is_train=is_train)
        chunks.append(module.get_outputs()[0].asnumpy())
    return np.concatenate(chunks)[:len(rand)]
