"""Conditional GAN trained on bare executors (``bind`` / ``forward`` / ``backward`` / updater).

The port of MXNet's R CGAN tutorial: G draws a digit asked for by ``cond``; D judges
(image, digit) pairs. D's gradient with respect to its input image comes from a second
executor that shares D's parameter and BatchNorm arrays, and becomes G's output gradient.
On several devices each gets such a set of executors and a slice of the batch
(`mxgan.training.parallel.Replicas`), and a KVStore sums their gradients.
"""
import functools

import mxnet as mx
import numpy as np

from ..data.iters import ConditionalRandIter, fill_unit_range
from ..nets.conditions import NUM_CLASSES, condition_shape, encode_digits
from ..nets.spectral import PowerIteration, is_power_vector
from . import parallel
from .levers import DiffAugment, augment, generator_gradient
from .parallel import Cluster
from .trainer import NETS, Recipe, Trainer, zero

_INPUTS = ("rand", "cond", "data", "label", "digit", "digit_weight")
MONITOR_COLUMNS = 10


def _param_names(symbol):
    return [name for name in symbol.list_arguments() if name not in _INPUTS]


def _bind(symbol, ctx, param_grad_req, **input_shapes):
    """Bind ``symbol`` with ``param_grad_req`` for its parameters but the power vectors of its
    spectral norms (`mxgan.nets.spectral`), which have no gradient."""
    grad_req = {name: "null" if is_power_vector(name) else param_grad_req
                for name in _param_names(symbol)}
    grad_req.update({name: "null" for name in input_shapes})
    return symbol.simple_bind(ctx, grad_req=grad_req, **input_shapes)


def has_classifier(discriminator):
    """Whether D has the auxiliary digit classifier (`mxgan.nets.symbols.classifier_head`)."""
    return "digit" in discriminator.list_arguments()


def digits_of(cond):
    """The digits (B,) a ``cond`` batch encodes (`mxgan.nets.conditions`), as floats."""
    return mx.nd.argmax(cond.reshape((0, -1)), axis=1) if cond.ndim > 1 else cond


class _Executors:
    """One device's executors: G, D and D's input-gradient executor, for one batch slice, and
    the augmentation (`mxgan.training.levers.DiffAugment`, or None) of every image D sees.

    With D's auxiliary classifier, D learns the digits of real images only, and G's pass adds
    its cross-entropy on the digits asked at ``ac_weight``.
    """

    def __init__(self, generator, discriminator, ctx, batch_size, *, nz, condition, image_shape,
                 augmentation=None, ac_weight=0.0):
        self.ctx, self.augmentation = ctx, augmentation
        self.digit_weights = {"real": 1.0, "fake": 0.0, "generator": ac_weight}
        cond_shape = condition_shape(batch_size, condition)
        self.exec_g = _bind(generator, ctx, "write", rand=(batch_size, nz, 1, 1), cond=cond_shape)
        digit_shapes = (dict(digit=(batch_size,), digit_weight=(batch_size,))
                        if has_classifier(discriminator) else {})
        # D's parameters accumulate ('add') so the fake and real gradients sum in place.
        self.exec_d = _bind(discriminator, ctx, "add", data=(batch_size,) + tuple(image_shape),
                            cond=cond_shape, label=(batch_size,), **digit_shapes)
        self.exec_d_input = self._bind_input_gradient(discriminator)
        self.executors = dict(zip(NETS, (self.exec_g, self.exec_d)))

    def _bind_input_gradient(self, discriminator):
        """A second D executor over the same arrays that computes only d loss / d data.

        Cheaper than running D's own executor for G's pass: no parameter gradients are
        computed (the R tutorial's design). Sharing ``arg_dict`` means whatever the first
        executor's inputs hold, this one sees too.
        """
        data = self.exec_d.arg_dict["data"]
        grad_req = {name: "null" for name in discriminator.list_arguments()}
        grad_req["data"] = "write"
        return discriminator.bind(self.ctx, args=self.exec_d.arg_dict,
                                  args_grad={"data": mx.nd.zeros(data.shape, self.ctx)},
                                  grad_req=grad_req, aux_states=self.exec_d.aux_dict)

    def generate(self, rand, cond):
        rand.copyto(self.exec_g.arg_dict["rand"])
        cond.copyto(self.exec_g.arg_dict["cond"])
        self.exec_g.forward(is_train=True)
        return self.exec_g.outputs[0]

    def d_forward_backward(self, images, cond, *, label):
        """Forward and backward D on fakes (images, cond) all labelled ``label``; returns a copy
        of D's probabilities. Its classifier does not learn from them."""
        augment(self.augmentation, images)[0].copyto(self.exec_d.arg_dict["data"])
        return self._d_pass(self.exec_d, cond, label, "fake")

    def d_forward_backward_real(self, data_u8, cond, *, label):
        """The same on uint8 real images, scaled to [-1, 1] straight into D's input."""
        data = self.exec_d.arg_dict["data"]
        fill_unit_range(data_u8, data)
        if self.augmentation is not None:
            self.augmentation(data)[0].copyto(data)
        return self._d_pass(self.exec_d, cond, label, "real")

    def g_forward_backward(self, images, cond):
        """D's input-gradient executor on (fakes, asked digits) labelled real: it leaves d loss /
        d images for `g_backward` and computes no gradient of D's parameters. Returns (D's
        probabilities, the augmentation drawn or None)."""
        augmented, transform = augment(self.augmentation, images)
        augmented.copyto(self.exec_d.arg_dict["data"])
        return self._d_pass(self.exec_d_input, cond, 1, "generator"), transform

    def g_backward(self, g_pass, *, fraction):
        """G's backward pass with D's input gradient of the last `g_forward_backward`, which
        returned ``g_pass``, through the levers (`mxgan.training.levers.generator_gradient`) as
        its output gradient."""
        prob, transform = g_pass
        grad = generator_gradient(self.exec_d_input.grad_dict["data"], prob, fraction=fraction,
                                  transform=transform)
        self.exec_g.backward([grad])

    def _d_pass(self, executor, cond, label, images):
        """``executor``'s forward and backward pass on the images in D's input, of ``images``
        ("real", "fake" or "generator": whose digits its classifier learns, and how much)."""
        args = self.exec_d.arg_dict
        cond.copyto(args["cond"])
        args["label"][:] = label
        if "digit" in args:
            digits_of(cond).copyto(args["digit"])
            args["digit_weight"][:] = self.digit_weights[images]
        executor.forward(is_train=True)
        executor.backward()
        return executor.outputs[0].copy()  # the next pass overwrites the output array


class ExecutorGAN(Trainer):
    """A conditional G and D bound as executors, one set per device.

    Parameters
    ----------
    generator, discriminator : mx.sym.Symbol
        From `mxgan.nets.symbols.get_network("cgan28", condition=...)`: G takes ``rand`` and
        ``cond``; D takes ``data``, ``cond`` and ``label``.
    batch_size : int
        The global batch: split across the workers of ``cluster``, then across ``context``.
    condition : {"onehot", "embedding"}
        How ``cond`` encodes the digit.
    context : mx.Context or list of mx.Context
        Several devices train data-parallel: a KVStore sums their gradients.
    cluster : mxgan.training.parallel.Cluster, optional
        This process's place in a multi-process job (default: a job of one process).
    recipe : mxgan.training.trainer.Recipe
        Learning rates, D's target for real images, G's weight average and the levers between
        G and D (`mxgan.training.levers`; top-k picks within each device's slice).
    ac_weight : float
        With D's auxiliary classifier (`mxgan.nets.symbols.classifier_head`): the weight of the
        cross-entropy of G's fakes for their asked digits in G's loss.
    """

    def __init__(self, generator, discriminator, *, batch_size, nz, condition, context,
                 cluster=None, image_shape=(1, 28, 28), recipe=Recipe(), monitor_seed=0,
                 ac_weight=0.0):
        self.batch_size, self.condition, self.recipe = batch_size, condition, recipe
        self.context = list(context) if isinstance(context, (list, tuple)) else [context]
        self.cluster = cluster or Cluster()
        self.worker_batch = self.cluster.worker_batch(batch_size, len(self.context))
        self.noise = ConditionalRandIter(self.worker_batch, nz, self.context[0],
                                         condition=condition)
        self.symbols = dict(zip(NETS, (generator, discriminator)))
        self._names = {net: _param_names(symbol) for net, symbol in self.symbols.items()}
        self.replicas = parallel.Replicas(self.context, self.worker_batch, functools.partial(
            _Executors, generator, discriminator, nz=nz, condition=condition,
            image_shape=image_shape, ac_weight=ac_weight,
            augmentation=DiffAugment.of(recipe.diffaugment, image_shape)))
        self._init_params(recipe.initializer())
        store = parallel.create_store(self.cluster, len(self.context))
        self._params = {net: self._device_copies(net, recipe.optimizer(net, batch_size), store)
                        for net in NETS}
        self._start_average()
        d_copies = self._params["discriminator"]
        self._d_grads = [grad for grads in d_copies.grads for grad in grads if grad is not None]
        self._d_power = PowerIteration(d_copies.names, d_copies.weights)
        self._monitor_noise, self._monitor_cond = self._monitor_inputs(nz, monitor_seed)

    def _device_copies(self, net, optimizer, store):
        """``net``'s [parameter][device] weights and gradients with their optimiser."""
        def per_device(arrays):
            return [[getattr(copy.executors[net], arrays)[name] for copy in self.replicas]
                    for name in self._names[net]]
        return parallel.DeviceCopies(self._names[net], per_device("arg_dict"),
                                     per_device("grad_dict"), mx.optimizer.get_updater(optimizer),
                                     store)

    def _init_params(self, init):
        """Initialise device 0's copy as Module does: by name, honouring ``__init__`` attributes
        (the other devices receive it through the KVStore)."""
        for net, executor in self.replicas[0].executors.items():
            attrs = self.symbols[net].attr_dict()
            arrays = dict({name: executor.arg_dict[name] for name in self._names[net]},
                          **executor.aux_dict)
            for name, array in arrays.items():
                init(mx.init.InitDesc(name, attrs.get(name)), array)

    def _monitor_inputs(self, nz, seed):
        """Fixed (noise, cond) for a 10 x 10 grid: row = digit, column = one noise vector."""
        rng = np.random.RandomState(seed)
        noise = np.tile(rng.normal(size=(MONITOR_COLUMNS, nz, 1, 1)), (NUM_CLASSES, 1, 1, 1))
        digits = np.repeat(np.arange(NUM_CLASSES), MONITOR_COLUMNS)
        return noise, encode_digits(digits, self.condition)

    # ---- the step's phases (`Trainer.step`) --------------------------------------------------
    def _generate_fakes(self):
        """G's images of random digits: (images, the digits asked), one slice per device each."""
        rand, cond = self.noise.next().data
        return self._generate(rand, cond), self.replicas.split(cond)

    def _train_discriminator(self, fakes, data, cond):
        """D learns to accept (real image, its digit) and reject (fake, asked digit).

        Images and digits go to the devices as one slice each (`Replicas.split`); D's
        probabilities come back as one worker batch.
        """
        fake, cond_fake = fakes
        real, cond_real = self.replicas.split(data), self.replicas.split(cond)
        zero(self._d_grads)
        prob_fake = self._on_devices(_Executors.d_forward_backward, fake, cond_fake, label=0)
        prob_real = self._on_devices(_Executors.d_forward_backward_real, real, cond_real,
                                     label=self.recipe.real_label)
        self._params["discriminator"].update()
        self._d_power.step()
        return prob_fake, prob_real

    def _train_generator(self, fakes):
        """G learns to make D accept (fake, asked digit) through D's input gradient."""
        g_passes = self.replicas.map(_Executors.g_forward_backward, *fakes)
        self.replicas.map(_Executors.g_backward, g_passes,
                          fraction=self.recipe.top_k_fraction(self.iteration))
        self._params["generator"].update()
        return self.replicas.gather([prob for prob, _ in g_passes])

    def _generate(self, rand, cond):
        """G's images for a worker batch of noise and digits, one slice per device."""
        split = self.replicas.split
        return self.replicas.map(_Executors.generate, split(rand), split(cond))

    def _on_devices(self, d_pass, *slices, **kwargs):
        """A D pass of every device's `_Executors` on its slices; D's probabilities as one batch."""
        return self.replicas.gather(self.replicas.map(d_pass, *slices, **kwargs))

    # ---- sampling and checkpoints -----------------------------------------------------------
    def monitor(self):
        """The 10 x 10 monitoring grid: (images, 10 columns); row d shows digit d.

        Drawn by the training executors themselves, batch by batch (a reshaped executor sharing
        the weights trips oneDNN with the embedding), with training-mode BatchNorm.
        """
        batch = self.noise.batch_size
        chunks = []
        for start in range(0, len(self._monitor_noise), batch):
            rand, cond = (np.resize(a[start:start + batch], (batch,) + a.shape[1:])
                          for a in (self._monitor_noise, self._monitor_cond))
            fakes = self._generate(mx.nd.array(rand), mx.nd.array(cond))
            chunks.append(self.replicas.gather(fakes).asnumpy())
        return np.concatenate(chunks)[:len(self._monitor_noise)], MONITOR_COLUMNS

    def get_params(self, net):
        """Device 0's parameters (all copies are equal) and the devices' mean running
        statistics, as ``Module.get_params`` returns them."""
        executors = [copy.executors[net] for copy in self.replicas]
        args = {name: executors[0].arg_dict[name].as_in_context(mx.cpu())
                for name in self._names[net]}
        aux = {name: sum(e.aux_dict[name].as_in_context(mx.cpu()) for e in executors)
               / len(executors) for name in executors[0].aux_dict}
        return args, aux

    def set_params(self, net, arg_params, aux_params):
        for copy in self.replicas:
            copy.executors[net].copy_params_from(arg_params, aux_params)

    def updater(self, net):
        return self._params[net].updater

    def param_arrays(self, net):
        copies = self._params[net]
        return [(name, weights[0], grads[0])
                for name, weights, grads in zip(copies.names, copies.weights, copies.grads)
                if grads[0] is not None]
