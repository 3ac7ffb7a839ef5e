"""Conditional GAN trained on bare executors (``bind`` / ``forward`` / ``backward`` / updater).

The port of the MXNet R CGAN tutorial: G draws a digit asked for by ``cond``; D judges
(image, digit) pairs. D's gradient with respect to its input image comes from a second
executor that shares D's parameter and BatchNorm arrays, and becomes G's output gradient.
"""
import mxnet as mx
import numpy as np

from . import checkpoint, train
from .checkpoint import NetState
from .iters import (NUM_CLASSES, ConditionalRandIter, condition_shape, encode_digits,
                    fill_unit_range)

_INPUTS = ("rand", "cond", "data", "label")
MONITOR_COLUMNS = 10


def _param_names(symbol):
    return [name for name in symbol.list_arguments() if name not in _INPUTS]


class ExecutorGAN:
    """A conditional G and D bound as executors on one device.

    Parameters
    ----------
    generator, discriminator : mx.sym.Symbol
        From `mxgan.symbols.get_network("cgan28", condition=...)`: G takes ``rand`` and
        ``cond``; D takes ``data``, ``cond`` and ``label``.
    condition : {"onehot", "embedding"}
        How ``cond`` encodes the digit.
    context : mx.Context
    real_label : float
        D's target for real images; below 1 is one-sided label smoothing.
    """

    def __init__(self, generator, discriminator, *, batch_size, nz, condition, context,
                 image_shape=(1, 28, 28), lr=2e-4, beta1=0.5, sigma=0.02, real_label=1.0,
                 monitor_seed=0):
        self.batch_size, self.condition, self.context = batch_size, condition, context
        self.real_label = real_label
        self.noise = ConditionalRandIter(batch_size, nz, context, condition=condition)
        cond_shape = condition_shape(batch_size, condition)
        self.exec_g = self._bind(generator, "write", rand=(batch_size, nz, 1, 1), cond=cond_shape)
        # D's parameters accumulate ('add') so the fake and real gradients sum in place.
        self.exec_d = self._bind(discriminator, "add", data=(batch_size,) + tuple(image_shape),
                                 cond=cond_shape, label=(batch_size,))
        self.exec_d_input = self._bind_input_gradient(discriminator)
        self.updater_g, self.updater_d = (
            mx.optimizer.get_updater(train.adam(batch_size, lr, beta1)) for _ in range(2))
        self._params = {self.exec_g: _param_names(generator),
                        self.exec_d: _param_names(discriminator)}
        self._symbols = {self.exec_g: generator, self.exec_d: discriminator}
        self._init_params(sigma)
        self._d_grads = [self.exec_d.grad_dict[name] for name in self._params[self.exec_d]]
        self._monitor_noise, self._monitor_cond = self._monitor_inputs(nz, monitor_seed)

    # ---- binding ----------------------------------------------------------------------------
    def _bind(self, symbol, param_grad_req, **input_shapes):
        grad_req = {name: param_grad_req for name in _param_names(symbol)}
        grad_req.update({name: "null" for name in input_shapes})
        return symbol.simple_bind(self.context, grad_req=grad_req, **input_shapes)

    def _bind_input_gradient(self, discriminator):
        """A second D executor over the same arrays that computes only d loss / d data.

        Cheaper than running D's own executor for G's pass: no parameter gradients are
        computed (the R tutorial's design). Sharing ``arg_dict`` means whatever the first
        executor's inputs hold, this one sees too.
        """
        data = self.exec_d.arg_dict["data"]
        grad_req = {name: "null" for name in discriminator.list_arguments()}
        grad_req["data"] = "write"
        return discriminator.bind(self.context, args=self.exec_d.arg_dict,
                                  args_grad={"data": mx.nd.zeros(data.shape, self.context)},
                                  grad_req=grad_req, aux_states=self.exec_d.aux_dict)

    def _monitor_inputs(self, nz, seed):
        """Fixed (noise, cond) for a 10 x 10 grid: row = digit, column = one noise vector."""
        rng = np.random.RandomState(seed)
        noise = np.tile(rng.normal(size=(MONITOR_COLUMNS, nz, 1, 1)), (NUM_CLASSES, 1, 1, 1))
        digits = np.repeat(np.arange(NUM_CLASSES), MONITOR_COLUMNS)
        return noise, encode_digits(digits, self.condition)

    def _init_params(self, sigma):
        """Initialise as Module does: by name, honouring per-variable ``__init__`` attributes."""
        init = train.initializer(sigma)
        for executor, names in self._params.items():
            attrs = self._symbols[executor].attr_dict()
            arrays = dict({name: executor.arg_dict[name] for name in names}, **executor.aux_dict)
            for name, array in arrays.items():
                init(mx.init.InitDesc(name, attrs.get(name)), array)

    # ---- the step ---------------------------------------------------------------------------
    def step(self, data, cond):
        """One step on a uint8 batch ``data`` with its digits ``cond``; returns `train.METRICS`."""
        rand, cond_fake = self.noise.next().data
        fake = self._generate(rand, cond_fake)
        # (1) D learns to accept (real image, its digit) and reject (fake, asked digit).
        train.zero(self._d_grads)
        prob_fake = self._d_forward_backward(fake, cond_fake, label=0)
        real = fill_unit_range(data, self._d_input("data"))
        prob_real = self._d_forward_backward(real, cond, label=self.real_label)
        self._update(self.exec_d, self.updater_d)
        # (2) G learns to make D accept (fake, asked digit) through D's input gradient.
        prob_gen = self._d_input_gradient(fake, cond_fake)
        self.exec_g.backward([self.exec_d_input.grad_dict["data"]])
        self._update(self.exec_g, self.updater_g)
        return train.step_metrics(prob_real, prob_fake, prob_gen)

    def _d_input(self, name):
        return self.exec_d.arg_dict[name]

    def _generate(self, rand, cond):
        rand.copyto(self.exec_g.arg_dict["rand"])
        cond.copyto(self.exec_g.arg_dict["cond"])
        self.exec_g.forward(is_train=True)
        return self.exec_g.outputs[0]

    def _load_d(self, images, cond, label):
        """Put a batch into D's (shared) input arrays."""
        if images is not self._d_input("data"):
            images.copyto(self._d_input("data"))
        cond.copyto(self._d_input("cond"))
        self._d_input("label")[:] = label

    def _d_forward_backward(self, images, cond, *, label):
        self._load_d(images, cond, label)
        self.exec_d.forward(is_train=True)
        self.exec_d.backward()
        return self.exec_d.outputs[0].copy()

    def _d_input_gradient(self, images, cond):
        self._load_d(images, cond, 1)
        self.exec_d_input.forward(is_train=True)
        self.exec_d_input.backward()
        return self.exec_d_input.outputs[0].copy()

    def _update(self, executor, updater):
        names = self._params[executor]
        updater(list(range(len(names))), [executor.grad_dict[n] for n in names],
                [executor.arg_dict[n] for n in names])

    # ---- sampling and checkpoints -----------------------------------------------------------
    def monitor(self):
        """The 10 x 10 monitoring grid: (images, 10 columns); row d shows digit d.

        Drawn by the training executor itself, batch by batch (a reshaped executor sharing the
        weights trips oneDNN with the embedding), with training-mode BatchNorm.
        """
        chunks = []
        for start in range(0, len(self._monitor_noise), self.batch_size):
            rand, cond = (np.resize(a[start:start + self.batch_size],
                                    (self.batch_size,) + a.shape[1:])
                          for a in (self._monitor_noise, self._monitor_cond))
            chunks.append(self._generate(mx.nd.array(rand), mx.nd.array(cond)).asnumpy())
        return np.concatenate(chunks)[:len(self._monitor_noise)], MONITOR_COLUMNS

    def nets(self):
        """Parameters and optimiser state of both networks, for `mxgan.checkpoint.save`."""
        return {name: NetState(self._symbols[executor], *self._params_on_cpu(executor),
                               updater=updater)
                for name, executor, updater in self._named()}

    def restore(self, ckpt_dir):
        """Load parameters and optimiser state from a checkpoint."""
        for name, executor, updater in self._named():
            _, arg_params, aux_params = checkpoint.load_net(ckpt_dir, name)
            executor.copy_params_from(arg_params, aux_params)
            checkpoint.restore_updater(ckpt_dir, name, updater)

    def _named(self):
        return (("generator", self.exec_g, self.updater_g),
                ("discriminator", self.exec_d, self.updater_d))

    def _params_on_cpu(self, executor):
        return ({n: executor.arg_dict[n].as_in_context(mx.cpu()) for n in self._params[executor]},
                {n: a.as_in_context(mx.cpu()) for n, a in executor.aux_dict.items()})
