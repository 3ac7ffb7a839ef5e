"""Conditional GAN trained on bare executors (``bind`` / ``forward`` / ``backward`` / updater).

The port of MXNet's R CGAN tutorial: G draws a digit asked for by ``cond``; D judges
(image, digit) pairs. D's gradient with respect to its input image comes from a second
executor that shares D's parameter and BatchNorm arrays, and becomes G's output gradient.
On several devices each gets such a set of executors and a slice of the batch
(`mxgan.distributed.parallel.Replicas`), and a KVStore sums their gradients.
"""
import functools

import mxnet as mx
import numpy as np

from ..data.iters import ConditionalRandIter, fill_unit_range
from ..distributed import parallel
from ..distributed.parallel import Cluster
from ..nets.conditions import NUM_CLASSES, condition_shape, encode_digits
from ..nets.spectral import PowerIteration, is_power_vector
from .levers import DiffAugment, augment, generator_gradient
from .recipe import Recipe
from .trainer import NETS, Trainer, zero

_INPUTS = ("rand", "cond", "data", "label", "digit", "digit_weight")
GRID_COLUMNS = 10


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


class _DeviceExecutors:
    """One device's executors for its slice of the batch, and its share of the step as the R
    tutorial writes it: bind, forward, backward, and D's input gradient handed to G.

    G and D are bound once; D's parameters accumulate ('add') so the fake and real gradients sum
    in place. A second D executor over D's own arrays computes only d loss / d data, the
    gradient G's backward pass needs, without D's parameter gradients (the tutorial's design).
    Every image D sees goes through ``augmentation`` (`mxgan.training.levers.DiffAugment`, or
    None). With D's auxiliary classifier, D learns the digits of real images only, and G's pass
    adds its cross-entropy for the digits asked at ``ac_weight``.
    """

    def __init__(self, generator, discriminator, ctx, batch_size, *, nz, condition, image_shape,
                 augmentation=None, ac_weight=0.0):
        self.augmentation = augmentation
        self.digit_weights = {"real": 1.0, "fake": 0.0, "generator": ac_weight}
        cond_shape = condition_shape(batch_size, condition)
        digit_shapes = (dict(digit=(batch_size,), digit_weight=(batch_size,))
                        if has_classifier(discriminator) else {})
        self.g = _bind(generator, ctx, "write", rand=(batch_size, nz, 1, 1), cond=cond_shape)
        self.d = _bind(discriminator, ctx, "add", data=(batch_size,) + tuple(image_shape),
                       cond=cond_shape, label=(batch_size,), **digit_shapes)
        self.d_input = self._bind_input_gradient(discriminator, ctx)
        self.executors = dict(zip(NETS, (self.g, self.d)))

    def _bind_input_gradient(self, discriminator, ctx):
        """D again, over D's arrays (whatever D's inputs hold, it sees too), with a gradient for
        its input image alone."""
        grad_req = {name: "null" for name in discriminator.list_arguments()}
        grad_req["data"] = "write"
        data = self.d.arg_dict["data"]
        return discriminator.bind(ctx, args=self.d.arg_dict, grad_req=grad_req,
                                  args_grad={"data": mx.nd.zeros(data.shape, ctx)},
                                  aux_states=self.d.aux_dict)

    def generate(self, rand, cond):
        """G's forward pass on noise and digits: its images (B, 1, 28, 28)."""
        rand.copyto(self.g.arg_dict["rand"])
        cond.copyto(self.g.arg_dict["cond"])
        self.g.forward(is_train=True)
        return self.g.outputs[0]

    def d_forward_backward(self, images, cond, *, label):
        """D's forward and backward on fakes (images, digits) all labelled ``label``, adding to
        D's parameter gradients; returns D's probabilities. Its classifier does not learn
        from them."""
        augment(self.augmentation, images)[0].copyto(self.d.arg_dict["data"])
        return self._forward_backward(self.d, cond, label, "fake")

    def d_forward_backward_real(self, data_u8, cond, *, label):
        """The same on uint8 real images, scaled to [-1, 1] straight into D's input."""
        data = self.d.arg_dict["data"]
        fill_unit_range(data_u8, data)
        if self.augmentation is not None:
            self.augmentation(data)[0].copyto(data)
        return self._forward_backward(self.d, cond, label, "real")

    def g_backward_through_d(self, fakes, cond, *, top_k=1.0):
        """G's backward pass through D: D judges G's images ``fakes`` (asked for digits ``cond``)
        as real, and the gradient of that loss with respect to D's input, through the levers
        (`mxgan.training.levers.generator_gradient`, the ``top_k`` share kept), is G's output
        gradient. Returns D's probabilities on them."""
        images, transform = augment(self.augmentation, fakes)
        images.copyto(self.d.arg_dict["data"])
        prob_gen = self._forward_backward(self.d_input, cond, 1, "generator")
        self.g.backward([generator_gradient(self.d_input.grad_dict["data"], prob_gen,
                                            fraction=top_k, transform=transform)])
        return prob_gen

    def _forward_backward(self, executor, cond, label, images):
        """``executor``'s forward and backward pass on the images in D's input, of ``images``
        ("real", "fake" or "generator": whose digits its classifier learns, and how much)."""
        args = self.d.arg_dict
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
    cluster : mxgan.distributed.parallel.Cluster, optional
        This process's place in a multi-process job (default: a job of one process).
    recipe : mxgan.training.recipe.Recipe
        Learning rates, D's target for real images, G's weight average and the levers between
        G and D (`mxgan.training.levers`; top-k picks within each device's slice).
    grid_seed : int
        Seeds the fixed noise of `fixed_noise_grid`.
    ac_weight : float
        With D's auxiliary classifier (`mxgan.nets.symbols.classifier_head`): the weight of the
        cross-entropy of G's fakes for their asked digits in G's loss.
    """

    def __init__(self, generator, discriminator, *, batch_size, nz, condition, context,
                 cluster=None, image_shape=(1, 28, 28), recipe=Recipe(), grid_seed=0,
                 ac_weight=0.0):
        self.batch_size = batch_size
        self.condition = condition
        self.recipe = recipe
        self.context = list(context) if isinstance(context, (list, tuple)) else [context]
        self.cluster = cluster or Cluster()
        self.worker_batch = self.cluster.worker_batch(batch_size, len(self.context))
        self.noise = ConditionalRandIter(self.worker_batch, nz, self.context[0],
                                         condition=condition)
        self.symbols = dict(zip(NETS, (generator, discriminator)))
        self._names = {net: _param_names(symbol) for net, symbol in self.symbols.items()}
        self.devices = parallel.Replicas(self.context, self.worker_batch, functools.partial(
            _DeviceExecutors, generator, discriminator, nz=nz, condition=condition,
            image_shape=image_shape, ac_weight=ac_weight,
            augmentation=DiffAugment.of(recipe.diffaugment, image_shape)))
        self._init_params(recipe.initializer())
        self._set_up_optimisers()
        self._start_average()
        self._grid_noise, self._grid_cond = self._grid_inputs(nz, grid_seed)

    def _init_params(self, init):
        """Initialise device 0's copy as Module does: by name, honouring ``__init__`` attributes
        (the other devices receive it through the KVStore)."""
        for net, executor in self.devices[0].executors.items():
            attrs = self.symbols[net].attr_dict()
            arrays = dict({name: executor.arg_dict[name] for name in self._names[net]},
                          **executor.aux_dict)
            for name, array in arrays.items():
                init(mx.init.InitDesc(name, attrs.get(name)), array)

    def _set_up_optimisers(self):
        """Each network's copies on every device with its optimiser and one KVStore summing
        their gradients; the arrays D's update reads every step."""
        store = parallel.create_store(self.cluster, len(self.context))
        self._params = {net: self._device_copies(net, store) for net in NETS}
        d_copies = self._params["discriminator"]
        self._d_grads = [grad for grads in d_copies.grads for grad in grads if grad is not None]
        self._d_power = PowerIteration(d_copies.names, d_copies.weights)

    def _device_copies(self, net, store):
        """``net``'s ``[parameter][device]`` weights and gradients with their optimiser."""
        executors = [device.executors[net] for device in self.devices]
        names = self._names[net]
        weights = [[executor.arg_dict[name] for executor in executors] for name in names]
        grads = [[executor.grad_dict[name] for executor in executors] for name in names]
        updater = mx.optimizer.get_updater(self.recipe.optimizer(net, self.batch_size))
        return parallel.DeviceCopies(names, weights, grads, updater, store)

    def _grid_inputs(self, nz, seed):
        """Fixed (noise, cond) for a 10 x 10 grid: row = digit, column = one noise vector."""
        rng = np.random.RandomState(seed)
        noise = np.tile(rng.normal(size=(GRID_COLUMNS, nz, 1, 1)), (NUM_CLASSES, 1, 1, 1))
        digits = np.repeat(np.arange(NUM_CLASSES), GRID_COLUMNS)
        return noise, encode_digits(digits, self.condition)

    # ---- the step's phases (`Trainer.step`), each device on its slice of the batch -------------
    def _generate_fakes(self):
        """G's images of random digits: (images, the digits asked), one slice per device each."""
        rand, cond = self.noise.next().data
        return self._generate(rand, cond), self.devices.split(cond)

    def _train_discriminator(self, fakes, data, cond):
        """D learns to accept (real image, its digit) and reject (fake, asked digit): both
        gradients summed over the devices (and workers), then one update."""
        fake, asked = fakes
        real, digits = self.devices.split(data), self.devices.split(cond)
        zero(self._d_grads)
        prob_fake, prob_real = [], []
        for k, device in enumerate(self.devices):
            prob_fake.append(device.d_forward_backward(fake[k], asked[k], label=0))
            prob_real.append(device.d_forward_backward_real(real[k], digits[k],
                                                            label=self.recipe.real_label))
        self._params["discriminator"].update()
        self._d_power.step()
        return self.devices.gather(prob_fake), self.devices.gather(prob_real)

    def _train_generator(self, fakes):
        """G learns to make D, as updated, accept (fake, asked digit), through D's input
        gradient on each device; then one update."""
        fake, asked = fakes
        top_k = self.recipe.top_k_fraction(self.iteration)
        prob_gen = [device.g_backward_through_d(fake[k], asked[k], top_k=top_k)
                    for k, device in enumerate(self.devices)]
        self._params["generator"].update()
        return self.devices.gather(prob_gen)

    def _generate(self, rand, cond):
        """G's images for a worker batch of noise and digits, one slice per device."""
        rand, cond = self.devices.split(rand), self.devices.split(cond)
        return [device.generate(rand[k], cond[k]) for k, device in enumerate(self.devices)]

    # ---- sampling and checkpoints -----------------------------------------------------------
    def fixed_noise_grid(self):
        """The 10 x 10 grid of fixed noise: (images, 10 columns); row d shows digit d.

        Drawn by the training executors themselves, batch by batch (a reshaped executor sharing
        the weights trips oneDNN with the embedding), with training-mode BatchNorm.
        """
        batch = self.noise.batch_size
        chunks = []
        for start in range(0, len(self._grid_noise), batch):
            rand, cond = (np.resize(a[start:start + batch], (batch,) + a.shape[1:])
                          for a in (self._grid_noise, self._grid_cond))
            fakes = self._generate(mx.nd.array(rand), mx.nd.array(cond))
            chunks.append(self.devices.gather(fakes).asnumpy())
        return np.concatenate(chunks)[:len(self._grid_noise)], GRID_COLUMNS

    def get_params(self, net):
        """Device 0's parameters (all copies are equal) and the devices' mean running
        statistics, as ``Module.get_params`` returns them."""
        executors = [device.executors[net] for device in self.devices]
        args = {name: executors[0].arg_dict[name].as_in_context(mx.cpu())
                for name in self._names[net]}
        aux = {name: sum(e.aux_dict[name].as_in_context(mx.cpu()) for e in executors)
               / len(executors) for name in executors[0].aux_dict}
        return args, aux

    def set_params(self, net, arg_params, aux_params):
        for device in self.devices:
            device.executors[net].copy_params_from(arg_params, aux_params)

    def updater(self, net):
        return self._params[net].updater

    def param_arrays(self, net):
        copies = self._params[net]
        return [(name, weights[0], grads[0])
                for name, weights, grads in zip(copies.names, copies.weights, copies.grads)
                if grads[0] is not None]
