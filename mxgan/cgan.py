"""Conditional GAN trained on bare executors (``bind`` / ``forward`` / ``backward`` / updater).

The port of the MXNet R CGAN tutorial: G draws a digit asked for by ``cond``; D judges
(image, digit) pairs. D's gradient with respect to its input image comes from a second
executor that shares D's parameter and BatchNorm arrays, and becomes G's output gradient.
Several devices each get such a set of executors and a slice of the batch; a KVStore sums
their gradients (see `mxgan.parallel`).
"""
import mxnet as mx
import numpy as np

from . import checkpoint, parallel, train
from .checkpoint import NetState
from .iters import (NUM_CLASSES, ConditionalRandIter, condition_shape, encode_digits,
                    fill_unit_range)
from .parallel import Cluster

_INPUTS = ("rand", "cond", "data", "label")
NETS = ("generator", "discriminator")
MONITOR_COLUMNS = 10


def _param_names(symbol):
    return [name for name in symbol.list_arguments() if name not in _INPUTS]


def _bind(symbol, ctx, param_grad_req, **input_shapes):
    grad_req = {name: param_grad_req for name in _param_names(symbol)}
    grad_req.update({name: "null" for name in input_shapes})
    return symbol.simple_bind(ctx, grad_req=grad_req, **input_shapes)


class _Replica:
    """One device's share of the work: G, D and D's input-gradient executor for a batch slice."""

    def __init__(self, generator, discriminator, ctx, *, batch_size, nz, cond_shape, image_shape):
        self.ctx = ctx
        self.exec_g = _bind(generator, ctx, "write", rand=(batch_size, nz, 1, 1), cond=cond_shape)
        # D's parameters accumulate ('add') so the fake and real gradients sum in place.
        self.exec_d = _bind(discriminator, ctx, "add", data=(batch_size,) + tuple(image_shape),
                            cond=cond_shape, label=(batch_size,))
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

    def d_forward_backward(self, images, cond, label):
        """D's loss gradient on (images, cond) all labelled ``label``; returns D's verdicts."""
        images.copyto(self.exec_d.arg_dict["data"])
        return self._d_pass(self.exec_d, cond, label)

    def d_forward_backward_real(self, data_u8, cond, label):
        """The same on uint8 real images, scaled to [-1, 1] straight into D's input."""
        fill_unit_range(data_u8, self.exec_d.arg_dict["data"])
        return self._d_pass(self.exec_d, cond, label)

    def d_input_gradient(self, images, cond):
        """d(-log D(images, cond)) / d images into ``exec_d_input.grad_dict["data"]``."""
        images.copyto(self.exec_d.arg_dict["data"])
        return self._d_pass(self.exec_d_input, cond, 1)

    def g_backward(self):
        """G's backward pass with D's input gradient as its output gradient."""
        self.exec_g.backward([self.exec_d_input.grad_dict["data"]])

    def _d_pass(self, executor, cond, label):
        cond.copyto(self.exec_d.arg_dict["cond"])
        self.exec_d.arg_dict["label"][:] = label
        executor.forward(is_train=True)
        executor.backward()
        return executor.outputs[0].copy()  # the next pass overwrites the output array


class ExecutorGAN:
    """A conditional G and D bound as executors, one set per device.

    Parameters
    ----------
    generator, discriminator : mx.sym.Symbol
        From `mxgan.symbols.get_network("cgan28", condition=...)`: G takes ``rand`` and
        ``cond``; D takes ``data``, ``cond`` and ``label``.
    batch_size : int
        The global batch: split across the workers of ``cluster``, then across ``context``.
    condition : {"onehot", "embedding"}
        How ``cond`` encodes the digit.
    context : mx.Context or list of mx.Context
        Several devices train data-parallel: a KVStore sums their gradients.
    cluster : mxgan.parallel.Cluster, optional
        This process's place in a multi-process job (default: a job of one process).
    real_label : float
        D's target for real images; below 1 is one-sided label smoothing.
    """

    def __init__(self, generator, discriminator, *, batch_size, nz, condition, context,
                 cluster=None, image_shape=(1, 28, 28), lr=2e-4, beta1=0.5, sigma=0.02,
                 real_label=1.0, monitor_seed=0):
        self.batch_size, self.condition, self.real_label = batch_size, condition, real_label
        self.context = context if isinstance(context, (list, tuple)) else [context]
        self.cluster = cluster or Cluster()
        self.worker_batch = self.cluster.worker_batch(batch_size, len(self.context))
        self.noise = ConditionalRandIter(self.worker_batch, nz, self.context[0],
                                         condition=condition)
        self._symbols = dict(zip(NETS, (generator, discriminator)))
        self._names = {net: _param_names(symbol) for net, symbol in self._symbols.items()}
        self.replicas = self._bind_replicas(nz, image_shape)
        self._updaters = {net: mx.optimizer.get_updater(train.adam(batch_size, lr, beta1))
                          for net in NETS}
        self._init_params(sigma)
        self._store = self._connect_store()
        # The executors' arrays never move, so the per-step update reads these lists.
        self._weights = {net: self._per_device(net, "arg_dict") for net in NETS}
        self._grads = {net: self._per_device(net, "grad_dict") for net in NETS}
        self._d_grads = [grad for grads in self._grads["discriminator"] for grad in grads]
        self._monitor_noise, self._monitor_cond = self._monitor_inputs(nz, monitor_seed)

    def _bind_replicas(self, nz, image_shape):
        """One `_Replica` per device, each for an equal slice of the worker batch."""
        per_device = self.worker_batch // len(self.context)
        self._slices = [slice(k * per_device, (k + 1) * per_device)
                        for k in range(len(self.context))]
        return [_Replica(*self._symbols.values(), ctx, batch_size=per_device, nz=nz,
                         cond_shape=condition_shape(per_device, self.condition),
                         image_shape=image_shape) for ctx in self.context]

    def _connect_store(self):
        """The KVStore that sums gradients (None for one device in one process), after giving
        every device rank 0's initial parameters through it."""
        store = parallel.create_store(self.cluster, len(self.context))
        if store is not None:
            for net in NETS:
                parallel.share_initial_params(store, self._names[net],
                                              self._per_device(net, "arg_dict"))
        return store

    def _per_device(self, net, arrays):
        """[parameter][device] arrays of ``net`` from each executor's ``arrays`` dict."""
        return [[getattr(replica.executors[net], arrays)[name] for replica in self.replicas]
                for name in self._names[net]]

    def _init_params(self, sigma):
        """Initialise device 0's copy as Module does: by name, honouring ``__init__`` attributes
        (the other devices receive it through the KVStore)."""
        init = train.initializer(sigma)
        for net, executor in self.replicas[0].executors.items():
            attrs = self._symbols[net].attr_dict()
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

    # ---- the step ---------------------------------------------------------------------------
    def step(self, data, cond):
        """One step on a uint8 batch ``data`` with its digits ``cond``; returns `train.METRICS`."""
        rand, cond_fake = self.noise.next().data
        fakes, cond_fake = self._generate(rand, cond_fake), self._split(cond_fake)
        # (1) D learns to accept (real image, its digit) and reject (fake, asked digit).
        train.zero(self._d_grads)
        prob_fake = self._on_replicas(_Replica.d_forward_backward, fakes, cond_fake, label=0)
        prob_real = self._on_replicas(_Replica.d_forward_backward_real, self._split(data),
                                      self._split(cond), label=self.real_label)
        self._update("discriminator")
        # (2) G learns to make D accept (fake, asked digit) through D's input gradient.
        prob_gen = self._on_replicas(_Replica.d_input_gradient, fakes, cond_fake)
        self._on_replicas(_Replica.g_backward)
        self._update("generator")
        return train.step_metrics(*(self._gather(p) for p in (prob_real, prob_fake, prob_gen)),
                                  real_label=self.real_label)

    def _generate(self, rand, cond):
        """G's images for a worker batch, one slice per device."""
        return self._on_replicas(_Replica.generate, self._split(rand), self._split(cond))

    def _on_replicas(self, method, *per_replica_args, **kwargs):
        return [method(replica, *args, **kwargs)
                for replica, *args in zip(self.replicas, *per_replica_args)]

    def _split(self, array):
        """A worker batch's slice for each device (views, no copies)."""
        if len(self._slices) == 1:
            return [array]
        return [array[part] for part in self._slices]

    def _gather(self, per_replica):
        """One worker batch on the first device from per-device pieces."""
        if len(per_replica) == 1:
            return per_replica[0]
        return mx.nd.concat(*(a.as_in_context(self.context[0]) for a in per_replica), dim=0)

    def _update(self, net):
        """Sum ``net``'s gradients over devices and workers, then take one optimiser step."""
        parallel.update(self._updaters[net], self._names[net], self._weights[net],
                        self._grads[net], self._store)

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
            chunks.append(self._gather(fakes).asnumpy())
        return np.concatenate(chunks)[:len(self._monitor_noise)], MONITOR_COLUMNS

    def nets(self):
        """Parameters and optimiser state of both networks, for `mxgan.checkpoint.save`."""
        return {net: NetState(self._symbols[net], *self._params_on_cpu(net),
                              updater=self._updaters[net], device_ids=self._device_ids)
                for net in NETS}

    def restore(self, ckpt_dir):
        """Load parameters and optimiser state from a checkpoint onto every device."""
        for net in NETS:
            _, arg_params, aux_params = checkpoint.load_net(ckpt_dir, net)
            for replica in self.replicas:
                replica.executors[net].copy_params_from(arg_params, aux_params)
            checkpoint.restore_updater(ckpt_dir, net, self._updaters[net], self._device_ids)

    @property
    def _device_ids(self):
        return [ctx.device_id for ctx in self.context]

    def _params_on_cpu(self, net):
        """Device 0's parameters (all copies are equal) and the devices' mean running
        statistics, as ``Module.get_params`` returns them."""
        first = self.replicas[0].executors[net]
        aux = {name: sum(r.executors[net].aux_dict[name].as_in_context(mx.cpu())
                         for r in self.replicas) / len(self.replicas)
               for name in first.aux_dict}
        return {n: first.arg_dict[n].as_in_context(mx.cpu()) for n in self._names[net]}, aux
