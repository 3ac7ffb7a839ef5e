"""Training levers between G's images and D's input: differentiable augmentation and top-k.

DiffAugment (Zhao et al. 2020) shows D every image, real or fake, in its step and in G's,
translated and cut out at random, so D cannot memorise the training digits. Both
transformations are linear in the image and act on each sample alone: a translation with zero
fill moves pixels, a cutout multiplies by a 0/1 mask. G's gradient goes back through them by
their transposes (the opposite translation, the same mask), exactly and with no extra pass.

Top-k generator updates (Sinha et al. 2020) train G only on the share of its fakes that D
scores most real, by zeroing the other rows of the gradient D hands back to G.

Everything is NDArray operators on the arrays' own device, queued with the step: no host copy.
"""
import mxnet as mx

from ..common.checks import UserError

AUGMENTATIONS = ("translation", "cutout")
TRANSLATION_RATIO = 1 / 8  # the largest shift, as a share of the image side (3 px at 28)
CUTOUT_RATIO = 1 / 2  # the side of the square cut out, as a share of the image side


class AugmentationError(UserError, ValueError):
    """A ``--diffaugment`` policy naming an augmentation that does not exist."""


def parse_policy(text):
    """``"translation,cutout"`` as the canonical policy string (its order, no repeats); "" is
    no augmentation. An `AugmentationError` for an unknown name."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = sorted(set(names) - set(AUGMENTATIONS))
    if unknown:
        raise AugmentationError("a DiffAugment policy is a comma-separated list of %s, got %s"
                                % (" and ".join(AUGMENTATIONS), ", ".join(unknown)))
    return ",".join(name for name in AUGMENTATIONS if name in names)


class Translation:
    """Shift each image by its own random offset of up to ``max_shift`` pixels along each axis,
    filling with zeros: ``y = Sy x Sx^T`` with 0/1 shift matrices, one pair per sample."""

    def __init__(self, rows_cols, sy, sx):
        self.rows_cols, self.sy, self.sx = rows_cols, sy, sx

    @classmethod
    def draw(cls, images, max_shift):
        batch, _, rows, cols = images.shape
        return cls((rows, cols), _shift_matrices(batch, rows, max_shift, images.context),
                   _shift_matrices(batch, cols, max_shift, images.context))

    def apply(self, images):
        return _sandwich(images, self.sy, self.sx, transpose=False)

    def transpose(self, grad):
        """The gradient before the shift from the one after it: the opposite shift."""
        return _sandwich(grad, self.sy, self.sx, transpose=True)


class Cutout:
    """Zero a square of ``side`` pixels at a random centre of each image (clipped at the
    border, as DiffAugment's): a multiplication by a 0/1 mask, its own transpose."""

    def __init__(self, mask):
        self.mask = mask

    @classmethod
    def draw(cls, images, side):
        batch, _, rows, cols = images.shape
        inside_rows = _random_band(batch, rows, side, images.context)
        inside_cols = _random_band(batch, cols, side, images.context)
        square = inside_rows.reshape((batch, 1, rows, 1)) * inside_cols.reshape(
            (batch, 1, 1, cols))
        return cls(1 - square)

    def apply(self, images):
        return mx.nd.broadcast_mul(images, self.mask)

    transpose = apply


class DiffAugment:
    """A ``policy`` (`parse_policy`) for images of ``image_shape`` (C, H, W): calling it on a
    batch draws fresh random transformations and returns (the transformed batch, the drawn
    `Transform`, whose `Transform.transpose` maps a gradient back)."""

    def __init__(self, policy, image_shape):
        side = min(image_shape[1:])
        steps = {"translation": (Translation, max(1, int(side * TRANSLATION_RATIO))),
                 "cutout": (Cutout, int(side * CUTOUT_RATIO + 0.5))}
        self.steps = [steps[name] for name in parse_policy(policy).split(",")]

    @classmethod
    def of(cls, policy, image_shape):
        """The augmentation of ``policy``, or None for the empty policy (the lever off)."""
        return cls(policy, image_shape) if policy else None

    def __call__(self, images):
        drawn = []
        for kind, size in self.steps:
            drawn.append(kind.draw(images, size))
            images = drawn[-1].apply(images)
        return images, Transform(drawn)


class Transform:
    """The augmentations drawn for one batch, in the order applied."""

    def __init__(self, drawn):
        self.drawn = drawn

    def transpose(self, grad):
        """d loss / d images from d loss / d (transformed images): each step's transpose,
        last first."""
        for step in reversed(self.drawn):
            grad = step.transpose(grad)
        return grad


def augment(augmentation, images):
    """(``images`` as D sees them, the `Transform` drawn or None) for an augmentation or None."""
    return (images, None) if augmentation is None else augmentation(images)


def generator_gradient(grad, prob, *, fraction=1.0, transform=None):
    """G's output gradient from D's input gradient ``grad`` on its (transformed) fakes, of which
    D judged ``prob`` (B, 1) real: only the ``fraction`` D scores most real kept
    (`keep_top_k`), then mapped back through ``transform``."""
    grad = keep_top_k(grad, prob, fraction)
    return grad if transform is None else transform.transpose(grad)


def keep_top_k(grad, prob, fraction):
    """``grad`` with the rows of all but the ``fraction`` of samples with the highest ``prob``
    zeroed; the kept rows are scaled by B / k so G descends the mean loss over the k kept, as in
    Sinha et al. ``fraction`` 1 returns ``grad`` itself."""
    batch = grad.shape[0]
    k = top_k_count(fraction, batch)
    if k == batch:
        return grad
    mask = mx.nd.topk(prob.reshape((batch,)), axis=0, k=k, ret_typ="mask")
    scale = mask.reshape((batch,) + (1,) * (grad.ndim - 1)) * (batch / k)
    return mx.nd.broadcast_mul(grad, scale)


def top_k_count(fraction, batch):
    """How many of ``batch`` fakes a top-k update keeps: the nearest whole number, at least 1."""
    return max(1, min(batch, int(round(fraction * batch))))


def _shift_matrices(batch, size, max_shift, ctx):
    """(batch, size, size) 0/1 matrices, matrix b moving a vector down by its own random offset
    in [-max_shift, max_shift] (``one_hot`` gives a zero row for a source outside the image:
    the zero fill)."""
    offsets = mx.nd.random.randint(-max_shift, max_shift + 1, shape=(batch, 1), ctx=ctx)
    sources = mx.nd.broadcast_sub(mx.nd.arange(size, ctx=ctx).reshape((1, size)),
                                  offsets.astype("float32"))
    return mx.nd.one_hot(sources, depth=size)


def _random_band(batch, size, width, ctx):
    """(batch, size) 0/1 rows: 1 on ``width`` consecutive positions centred at a random position
    (DiffAugment's draw: centres 0 .. size - width % 2), clipped at the ends."""
    centres = mx.nd.random.randint(0, size + 1 - width % 2, shape=(batch, 1), ctx=ctx)
    first = centres.astype("float32") - width // 2
    positions = mx.nd.arange(size, ctx=ctx).reshape((1, size))
    return mx.nd.broadcast_greater_equal(positions, first) * mx.nd.broadcast_lesser(
        positions, first + width)


def _sandwich(images, left, right, *, transpose):
    """``left[b] @ images[b, c] @ right[b]^T`` for every sample b and channel c (with
    ``transpose``: ``left[b]^T @ images[b, c] @ right[b]``), as two batched matrix products."""
    batch, channels, rows, cols = images.shape
    by_row = images.transpose((0, 2, 1, 3)).reshape((batch, rows, channels * cols))
    by_row = mx.nd.batch_dot(left, by_row, transpose_a=transpose)  # (B, H, C*W)
    by_col = by_row.reshape((batch, rows * channels, cols))
    by_col = mx.nd.batch_dot(by_col, right, transpose_b=not transpose)  # (B, H*C, W)
    return by_col.reshape((batch, rows, channels, cols)).transpose((0, 2, 1, 3))
