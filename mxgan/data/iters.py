"""Data iterators: noise for the generator and shuffled image batches for the discriminator.

Both are ordinary ``mx.io.DataIter`` objects, so they plug into ``Module.bind`` through
``provide_data`` and into any loop that speaks MXNet's iteration protocol.
"""
import mxnet as mx
import numpy as np

from ..nets.conditions import NUM_CLASSES, condition_shape, encode_digits


class RandIter(mx.io.DataIter):
    """Endless N(0, 1) noise batches ``rand`` (B, ndim, 1, 1), drawn on ``ctx`` into one array.

    The array is reused: a batch stays valid until the next call to ``next()``. MXNet's
    generator for ``ctx`` supplies the numbers, so ``mx.random.seed`` makes them repeatable.
    """

    def __init__(self, batch_size, ndim, ctx=None):
        super().__init__(batch_size)
        self.ndim = ndim
        self.ctx = ctx or mx.cpu()
        self._noise = mx.nd.zeros((batch_size, ndim, 1, 1), ctx=self.ctx)

    @property
    def provide_data(self):
        return [mx.io.DataDesc("rand", self._noise.shape)]

    @property
    def provide_label(self):
        return []

    def reset(self):
        """Noise never runs out, so there is nothing to rewind."""

    def iter_next(self):
        return True

    def next(self):
        return mx.io.DataBatch(data=self.getdata(), label=[], pad=0)

    def getdata(self):
        mx.nd.random.normal(0, 1, shape=self._noise.shape, ctx=self.ctx, out=self._noise)
        return [self._noise]


class ConditionalRandIter(RandIter):
    """Noise plus the digit to draw: ``rand`` (B, ndim, 1, 1) and ``cond`` (see `condition_shape`).

    Digits are drawn uniformly per batch; the drawn indices of the current batch are available
    as ``self.digits`` (B,) float32 on ``ctx``.
    """

    def __init__(self, batch_size, ndim, ctx=None, *, condition="onehot"):
        super().__init__(batch_size, ndim, ctx)
        self.condition = condition
        self._cond = mx.nd.zeros(condition_shape(batch_size, condition), ctx=self.ctx)
        self.digits = mx.nd.zeros((batch_size,), ctx=self.ctx)

    @property
    def provide_data(self):
        return super().provide_data + [mx.io.DataDesc("cond", self._cond.shape)]

    def getdata(self):
        drawn = mx.nd.random.randint(0, NUM_CLASSES, shape=self.digits.shape, ctx=self.ctx)
        drawn.astype(np.float32).copyto(self.digits)
        if self.condition == "embedding":
            self.digits.copyto(self._cond)
        else:
            flat = self._cond.reshape((self.batch_size, NUM_CLASSES))  # a view of the same memory
            mx.nd.one_hot(self.digits, depth=NUM_CLASSES, out=flat)
        return super().getdata() + [self._cond]


class ImageIter(mx.io.DataIter):
    """Shuffled batches of uint8 images: each epoch an ``mx.io.NDArrayIter`` over the images in
    ``RandomState(seed + epoch).permutation`` order.

    The order depends only on (seed, epoch), so a resumed run rebuilds the batches of any epoch
    instead of depending on numpy's global random state. ``reset()`` moves to the next epoch.
    The last partial batch is dropped: BatchNorm statistics of a tiny batch would be noise.
    """

    def __init__(self, images, batch_size, *, extra=None, seed=0):
        if len(images) < batch_size:
            raise ValueError("%d images cannot fill one batch of %d" % (len(images), batch_size))
        super().__init__(batch_size)
        self._sources = {"data": images, **(extra or {})}
        self.seed, self.num_data = seed, len(images)
        self.start_epoch(0)

    @property
    def batches_per_epoch(self):
        return self.num_data // self.batch_size

    @property
    def provide_data(self):
        return self._epoch.provide_data

    @property
    def provide_label(self):
        return []

    def start_epoch(self, epoch, skip=0):
        """Position at batch ``skip`` of ``epoch``, in that epoch's order."""
        self.epoch = epoch
        order = np.random.RandomState(self.seed + epoch).permutation(self.num_data)
        order = order[skip * self.batch_size:]
        self._epoch = mx.io.NDArrayIter(
            {name: mx.nd.array(source[order], dtype=source.dtype)
             for name, source in self._sources.items()},
            batch_size=self.batch_size, last_batch_handle="discard")

    def reset(self):
        self.start_epoch(self.epoch + 1)

    def next(self):
        return self._epoch.next()


def image_iter(images, batch_size, *, labels=None, condition=None, seed=0):
    """Build the discriminator's iterator: ``data`` uint8 images, plus ``cond`` for a CGAN.

    Parameters
    ----------
    images : np.ndarray
        uint8 (N, C, H, W); converted to [-1, 1] per batch on the training device.
    labels : np.ndarray, optional
        Digit per image; required when ``condition`` is given.
    condition : {None, "onehot", "embedding"}
        How the digit is encoded for a conditional discriminator.
    """
    extra = None
    if condition is not None:
        if labels is None or len(labels) != len(images):
            raise ValueError("a conditional iterator needs one label per image")
        extra = {"cond": encode_digits(labels, condition)}
    return ImageIter(images, batch_size, extra=extra, seed=seed)


def batch_by_name(data_iter, batch):
    """Map a batch's arrays to their names (NDArrayIter orders a dict's entries by key)."""
    return {desc.name: array for desc, array in zip(data_iter.provide_data, batch.data)}


def fill_unit_range(batch_u8, out):
    """Write uint8 pixels (B, c, H, W) into float32 ``out`` (B, C, H, W) as [-1, 1], tiling c
    to C."""
    pixels = batch_u8.as_in_context(out.context).astype(np.float32)
    mx.nd.broadcast_to(pixels / 127.5 - 1.0, shape=out.shape, out=out)
    return out
