"""The tutorials' training loops, as written, on the same mxgan graphs and the same maths.

What makes them naive is the loop, not the graph (mxgan.nets.symbols also carries the oneDNN
workaround these nets need): fresh noise, label and batch arrays every step, D's fake-pass
gradients copied out and added back one array at a time in Python. Both sum D's fake and real
gradients before one D update, then train G through the updated D (MXNet's DCGAN tutorial's
order), so each does exactly the maths of mxgan's trainer; a test checks the D gradients match.
"""
import mxgan  # noqa: F401  (before mxnet: it lets MXNet 1.9.1 run on numpy >= 1.24)
from mxgan.common.mxnet_internals import module_grad_arrays
from mxgan.nets.conditions import NUM_CLASSES

import mxnet as mx
import numpy as np

from . import mx_common

SIGMA, LR, BETA1 = 0.02, 2e-4, 0.5
_INPUTS = ("rand", "cond", "data", "label")


def _unit_range(images_u8, ctx):
    """Fresh float32 images in [-1, 1] from a uint8 batch."""
    return images_u8.as_in_context(ctx).astype(np.float32) / 127.5 - 1


def _adam_module(symbol, ctx, data_shapes, label_shapes=None, **bind_options):
    """A bound Module with Normal(0.02) weights and Adam, set up as MXNet's DCGAN tutorial does."""
    module = mx.mod.Module(symbol, data_names=[name for name, _ in data_shapes],
                           label_names=[name for name, _ in label_shapes or []] or None,
                           context=ctx)
    module.bind(data_shapes=data_shapes, label_shapes=label_shapes, **bind_options)
    module.init_params(initializer=mx.init.Normal(SIGMA))
    module.init_optimizer(optimizer="adam", optimizer_params={"learning_rate": LR, "beta1": BETA1})
    return module


class NaiveDCGAN(mx_common.MXNetStepper):
    """Seed 003's Module loop (the MXNet Python DCGAN tutorial)."""

    def __init__(self, workload, device):
        self.ctx = mx_common.context(device)
        self.batch_size, self.nz = workload.batch_size, workload.nz
        generator, discriminator = mx_common.networks(workload, "tutorial")
        self.mod_g = _adam_module(generator, self.ctx, [("rand", self._noise_shape)])
        self.mod_d = _adam_module(discriminator, self.ctx,
                                  [("data", (self.batch_size,) + workload.image_shape)],
                                  [("label", (self.batch_size,))], inputs_need_grad=True)
        (self.real_u8,) = mx_common.real_inputs(workload)

    @property
    def _noise_shape(self):
        return (self.batch_size, self.nz, 1, 1)

    def set_params(self, arg_params, aux_params):
        """Load G's and D's parameters from name -> array dicts holding both."""
        for module in (self.mod_g, self.mod_d):
            module.set_params(arg_params, aux_params, allow_extra=True)

    def step(self):
        """One step: D on fake (gradients copied out) and real (copies added back), D update, G."""
        noise = mx.nd.random.normal(0, 1, shape=self._noise_shape, ctx=self.ctx)
        self.mod_g.forward(mx.io.DataBatch([noise]), is_train=True)
        fake = self.mod_g.get_outputs()
        label = mx.nd.zeros((self.batch_size,), ctx=self.ctx)
        self._d_forward_backward(fake, label)
        kept = [grad.copyto(grad.context) for grad in module_grad_arrays(self.mod_d)]
        label[:] = 1
        self._d_forward_backward([_unit_range(self.real_u8, self.ctx)], label)
        for grad, kept_grad in zip(module_grad_arrays(self.mod_d), kept):
            grad += kept_grad
        self.mod_d.update()
        self._d_forward_backward(fake, label)
        self.mod_g.backward(self.mod_d.get_input_grads())
        self.mod_g.update()

    def _d_forward_backward(self, images, label):
        self.mod_d.forward(mx.io.DataBatch(images, [label]), is_train=True)
        self.mod_d.backward()


class NaiveCGAN(mx_common.MXNetStepper):
    """The MXNet R CGAN tutorial's executor loop.

    Everything is bound with ``grad_req='write'``; inputs are copied into the executors'
    arrays; labels are fresh arrays; the optimiser is called once per parameter; G's output
    gradient is the data gradient of a second D executor over D's arrays. The R script rebinds
    that executor every iteration; here it is bound once.
    """

    def __init__(self, workload, device):
        self.ctx = mx_common.context(device)
        self.batch_size, self.nz = workload.batch_size, workload.nz
        generator, discriminator = mx_common.networks(workload, "tutorial")
        self._bind(generator, discriminator, workload.image_shape)
        self.params_g, self.params_d = (_param_names(sym) for sym in (generator, discriminator))
        _initialise(self.exec_g, generator)
        _initialise(self.exec_d, discriminator)
        self.updater_g, self.updater_d = (_adam_updater(self.batch_size) for _ in range(2))
        self.real_u8, self.cond_real = mx_common.real_inputs(workload)

    def _bind(self, generator, discriminator, image_shape):
        """G and D with gradients for every argument, and D's second executor for G's pass."""
        cond_shape = (self.batch_size, NUM_CLASSES, 1, 1)
        self.exec_g = generator.simple_bind(self.ctx, grad_req="write",
                                            rand=(self.batch_size, self.nz, 1, 1), cond=cond_shape)
        self.exec_d = discriminator.simple_bind(self.ctx, grad_req="write",
                                                data=(self.batch_size,) + image_shape,
                                                cond=cond_shape, label=(self.batch_size,))
        args = self.exec_d.arg_dict
        self.exec_d_back = discriminator.bind(
            self.ctx, args=args, aux_states=self.exec_d.aux_dict, grad_req="write",
            args_grad={name: mx.nd.zeros_like(array) for name, array in args.items()})

    def set_params(self, arg_params, aux_params):
        """Load G's and D's parameters from name -> array dicts holding both."""
        for executor in (self.exec_g, self.exec_d):
            executor.copy_params_from(arg_params, aux_params, allow_extra_params=True)

    def step(self):
        """One step: D on fake (gradients copied out) and real (copies added back), D update, G."""
        digits = mx.nd.random.randint(0, NUM_CLASSES, shape=(self.batch_size,), ctx=self.ctx)
        noise = mx.nd.random.normal(0, 1, shape=(self.batch_size, self.nz, 1, 1), ctx=self.ctx)
        cond_fake = mx.nd.one_hot(digits, NUM_CLASSES).reshape((self.batch_size, NUM_CLASSES, 1, 1))
        _copy_in(self.exec_g, rand=noise, cond=cond_fake)
        self.exec_g.forward(is_train=True)
        fake = self.exec_g.outputs[0]
        self._d_pass(self.exec_d, fake, cond_fake, label=0)
        kept = [self.exec_d.grad_dict[name].copyto(self.ctx) for name in self.params_d]
        self._d_pass(self.exec_d, _unit_range(self.real_u8, self.ctx), self.cond_real, label=1)
        for name, kept_grad in zip(self.params_d, kept):
            self.exec_d.grad_dict[name] += kept_grad
        _update_each(self.exec_d, self.updater_d, self.params_d)
        self._d_pass(self.exec_d_back, fake, cond_fake, label=1)
        self.exec_g.backward([self.exec_d_back.grad_dict["data"]])
        _update_each(self.exec_g, self.updater_g, self.params_g)

    def _d_pass(self, executor, images, cond, *, label):
        labels = mx.nd.array(np.full(self.batch_size, label), ctx=self.ctx)
        _copy_in(executor, data=images, cond=cond, label=labels)
        executor.forward(is_train=True)
        executor.backward()


def _param_names(symbol):
    return [name for name in symbol.list_arguments() if name not in _INPUTS]


def _adam_updater(batch_size):
    return mx.optimizer.get_updater(mx.optimizer.create(
        "adam", learning_rate=LR, beta1=BETA1, rescale_grad=1.0 / batch_size))


def _initialise(executor, symbol):
    """Normal(0.02) weights, unit gamma, zero beta, by name as Module would."""
    initializer, attrs = mx.init.Normal(SIGMA), symbol.attr_dict()
    arrays = dict({name: executor.arg_dict[name] for name in _param_names(symbol)},
                  **executor.aux_dict)
    for name, array in arrays.items():
        initializer(mx.init.InitDesc(name, attrs.get(name)), array)


def _copy_in(executor, **arrays):
    """Copy named arrays into an executor's inputs (R's mx.exec.update.arg.arrays)."""
    for name, array in arrays.items():
        array.copyto(executor.arg_dict[name])


def _update_each(executor, updater, names):
    """Run the optimiser one parameter at a time, as R's updater does."""
    for index, name in enumerate(names):
        updater(index, executor.grad_dict[name], executor.arg_dict[name])


def build(workload, device):
    """The naive loop for ``workload``."""
    return (NaiveCGAN if workload.conditional else NaiveDCGAN)(workload, device)
