"""DCGAN training on ``mx.mod.Module``, one step in the order of MXNet's DCGAN tutorial.

Per batch: G draws fakes; D sees the fakes (label 0) and the reals (label 1) and takes one
update on the summed gradient; D, now updated, judges the same fakes as real (label 1), and the
gradient of that loss with respect to D's *input* is handed to G's backward pass. That last
pass runs through a second D Module sharing D's arrays that computes only the input gradient.
"""
import mxnet as mx
import numpy as np

from ..common import mxnet_internals
from ..data.iters import RandIter, fill_unit_range
from ..distributed.parallel import Cluster
from ..nets.spectral import PowerIteration, is_power_vector
from .levers import DiffAugment, augment, generator_gradient
from .recipe import Recipe
from .trainer import NETS, Trainer, zero


class ModuleGAN(Trainer):
    """A generator and a discriminator Module bound for adversarial training.

    Parameters
    ----------
    generator, discriminator : mx.sym.Symbol
        G maps ``rand`` (B, nz, 1, 1) to images; D maps ``data`` to a logistic output with a
        ``label`` input (see `mxgan.nets.symbols.get_network`).
    batch_size : int
        The global batch: split across the workers of ``cluster``, then across the devices of
        ``context`` (data parallel); gradients are means over all of it.
    nz : int
        Noise size.
    image_shape : tuple
        (C, H, W) of the images D sees.
    context : list of mx.Context
    cluster : mxgan.distributed.parallel.Cluster, optional
        This process's place in a multi-process job (default: a job of one process).
    recipe : mxgan.training.recipe.Recipe
        Learning rates, D's target for real images (0.9: one-sided label smoothing; G's target
        stays 1), G's weight average, and the levers between G and D (`mxgan.training.levers`).
    grid_seed : int
        Seeds the fixed noise batch that `fixed_noise_grid` renders all run long.
    """

    def __init__(self, generator, discriminator, *, batch_size, nz, image_shape, context,
                 cluster=None, recipe=Recipe(), grid_seed=0):
        self.batch_size = batch_size
        self.context = list(context)
        self.recipe = recipe
        self.cluster = cluster or Cluster()
        self.worker_batch = self.cluster.worker_batch(batch_size, len(context))
        self.symbols = dict(zip(NETS, (generator, discriminator)))
        self.noise = RandIter(self.worker_batch, nz, self.context[0])
        d_shapes = dict(data_shapes=[("data", (self.worker_batch,) + tuple(image_shape))],
                        label_shapes=[("label", (self.worker_batch,))])
        self._bind_modules(generator, discriminator, d_shapes)
        self._init_modules()
        self.mod_d_input = self._bind_input_gradient(discriminator, d_shapes)
        self._prepare_discriminator_step(image_shape)
        self._start_average()
        self._fixed_noise = self._draw_fixed_noise(grid_seed)

    def _bind_modules(self, generator, discriminator, d_shapes):
        """G's and D's Modules over the devices, each bound to this worker's batch."""
        self.mod_g = mx.mod.Module(generator, data_names=("rand",), label_names=None,
                                   context=self.context)
        self.mod_g.bind(data_shapes=self.noise.provide_data)
        # D's parameters accumulate ('add'), so the fake and real gradients sum in place; its
        # spectral norms' power vectors are parameters without gradients (fixed).
        power_vectors = [name for name in discriminator.list_arguments() if is_power_vector(name)]
        self.mod_d = mx.mod.Module(discriminator, data_names=("data",), label_names=("label",),
                                   context=self.context, fixed_param_names=power_vectors)
        self.mod_d.bind(grad_req="add", **d_shapes)
        self.modules = dict(zip(NETS, (self.mod_g, self.mod_d)))

    def _init_modules(self):
        """The recipe's initial weights and each network's optimiser, run in this worker."""
        for net, mod in self.modules.items():
            mod.init_params(initializer=self.recipe.initializer())
            mxnet_internals.init_optimizer_in_workers(mod, self.cluster.kvstore,
                                                      self.recipe.optimizer(net, self.batch_size))

    def _prepare_discriminator_step(self, image_shape):
        """The arrays D's half of every step reuses: its gradients (zeroed before the fake
        pass), its spectral norms' power iteration, the real batch and the labels; and the
        augmentation of every image D sees."""
        self._d_grads = [grad for grad in mxnet_internals.module_grad_arrays(self.mod_d)
                         if grad is not None]
        self._d_power = PowerIteration(*mxnet_internals.module_param_arrays(self.mod_d))
        device = self.context[0]
        self._real = mx.nd.zeros((self.worker_batch,) + tuple(image_shape), ctx=device)
        self._labels = {value: mx.nd.full((self.worker_batch,), value, ctx=device)
                        for value in {0, 1, self.recipe.real_label}}
        self._augmentation = DiffAugment.of(self.recipe.diffaugment, image_shape)

    def _draw_fixed_noise(self, seed):
        """The fixed noise batch of `fixed_noise_grid`, drawn from ``seed``."""
        fixed = np.random.RandomState(seed).normal(size=self.noise.provide_data[0].shape)
        return mx.nd.array(fixed, ctx=self.context[0])

    def _bind_input_gradient(self, discriminator, d_shapes):
        """A second D Module over D's own parameter and BatchNorm arrays (``shared_module``)
        that computes only d loss / d data (``inputs_need_grad=True``, no parameter gradients):
        the gradient G's backward pass needs, without D's weight gradients (~10% of a step)."""
        params = [n for n in discriminator.list_arguments() if n not in ("data", "label")]
        module = mx.mod.Module(discriminator, data_names=("data",), label_names=("label",),
                               context=self.context)
        module.bind(inputs_need_grad=True, shared_module=self.mod_d,
                    grad_req={name: "null" for name in params}, **d_shapes)
        return module

    # ---- the step's phases (`Trainer.step`) --------------------------------------------------
    def _generate_fakes(self):
        self.mod_g.forward(self.noise.next(), is_train=True)
        return self.mod_g.get_outputs()[0]

    def _train_discriminator(self, fakes, data, cond=None):
        """D maximises log D(x) + log(1 - D(G(z))): both gradients summed, then one update."""
        zero(self._d_grads)
        prob_fake = self._d_forward_backward(self._augment(fakes)[0], label=0)
        real = fill_unit_range(data, self._real)
        prob_real = self._d_forward_backward(self._augment(real)[0],
                                             label=self.recipe.real_label)
        self.mod_d.update()
        self._d_power.step()
        return prob_fake, prob_real

    def _train_generator(self, fakes):
        """G maximises log D(G(z)) through the updated D: D's input gradient, through the
        levers (`mxgan.training.levers.generator_gradient`), is G's out-grad."""
        images, transform = self._augment(fakes)
        prob_gen = self._d_forward_backward(images, label=1, module=self.mod_d_input)
        grad = generator_gradient(self.mod_d_input.get_input_grads()[0], prob_gen,
                                  fraction=self.recipe.top_k_fraction(self.iteration),
                                  transform=transform)
        self.mod_g.backward([grad])
        self.mod_g.update()
        return prob_gen

    def _augment(self, images):
        """(``images`` as D sees them, the augmentation drawn or None)."""
        return augment(self._augmentation, images)

    def _d_forward_backward(self, images, *, label, module=None):
        """Forward and backward D (or ``module``, sharing its arrays) on ``images`` all labelled
        ``label``; returns a copy of D's probabilities (the next pass overwrites the output)."""
        module = module or self.mod_d
        module.forward(mx.io.DataBatch(data=[images], label=[self._labels[label]]),
                       is_train=True)
        module.backward()
        return module.get_outputs()[0].copy()

    # ---- sampling and checkpoints -----------------------------------------------------------
    def generate(self, noise, *, is_train=True):
        """Images for a noise batch shaped like `RandIter`'s, e.g. the fixed monitoring noise.

        ``is_train=True`` normalises with the batch's own BatchNorm statistics, as in training
        (and, like any training batch, nudges the running averages); ``False`` uses the
        running averages.
        """
        self.mod_g.forward(mx.io.DataBatch(data=[noise]), is_train=is_train)
        return self.mod_g.get_outputs()[0]

    def fixed_noise_grid(self):
        """The fixed noise batch rendered by the current G: (images (B, C, H, W), no set number
        of grid columns)."""
        return self.generate(self._fixed_noise).asnumpy(), None

    def get_params(self, net):
        return self.modules[net].get_params()

    def set_params(self, net, arg_params, aux_params):
        self.modules[net].set_params(arg_params, aux_params)

    def updater(self, net):
        return mxnet_internals.module_updater(self.modules[net])

    def param_arrays(self, net):
        names, per_device = mxnet_internals.module_param_arrays(self.modules[net])
        grads = mxnet_internals.module_grad_arrays(self.modules[net])[::len(self.context)]
        return [(name, copies[0], grad) for name, copies, grad in zip(names, per_device, grads)
                if grad is not None]
