"""The Module-based DCGAN step: gradients, one-step behaviour, checkpoints and resumption."""
from mxgan.common import mxnet_internals
from mxgan.data.iters import fill_unit_range
from mxgan.nets import symbols
from mxgan.training import checkpoint, generate
from mxgan.training.dcgan import ModuleGAN
from mxgan.training.recipe import Recipe
from mxgan.training.trainer import METRICS, zero

import mxnet as mx
import numpy as np
import pytest

from gradcheck import assert_matches_finite_differences, float64_d_loss

BATCH = 8


def make_trainer(context=None, seed=0, levers=None, **kwargs):
    mx.random.seed(seed)
    generator, discriminator = symbols.get_network("dcgan28", channels=1, ngf=4, ndf=4, nz=8,
                                                   **(levers or {}))
    return ModuleGAN(generator, discriminator, batch_size=BATCH, nz=8, image_shape=(1, 28, 28),
                     context=context or [mx.cpu()], **kwargs)


def _params(trainer, name="generator"):
    arg_params, _ = trainer.modules[name].get_params()
    return {k: v.asnumpy() for k, v in arg_params.items()}


# D's input gradient couples the batch through BatchNorm, and through the minibatch standard
# deviation with that lever; spectral norm divides each weight by a function of it and drops
# BatchNorm (which leaves activations near LeakyReLU's kink: a smaller step, see gradcheck).
@pytest.mark.parametrize("levers, eps", [({}, 1e-4), (dict(minibatch_std=True), 1e-4),
                                         (dict(spectral_norm=True), 1e-5)],
                         ids=["plain", "minibatch_std", "spectral_norm"])
def test_input_gradient_handed_to_g_matches_finite_differences(levers, eps):
    trainer = make_trainer(levers=levers)
    images = np.tanh(np.random.RandomState(0).normal(size=(BATCH, 1, 28, 28)))  # like G's output
    trainer._d_forward_backward(mx.nd.array(images), label=1, module=trainer.mod_d_input)
    handed = trainer.mod_d_input.get_input_grads()[0].asnumpy()
    loss = float64_d_loss(trainer.mod_d.symbol, trainer.mod_d.get_params()[0], 1,
                          data=images, label=np.ones(BATCH))
    assert_matches_finite_differences(handed, loss, images, eps=eps)


def test_summed_d_gradient_equals_copy_and_add_reference(real_u8):
    trainer = make_trainer()
    reference = mx.mod.Module(trainer.mod_d.symbol, data_names=("data",), label_names=("label",))
    reference.bind(data_shapes=trainer.mod_d.data_shapes, label_shapes=trainer.mod_d.label_shapes,
                   inputs_need_grad=True)  # plain grad_req="write"
    reference.set_params(*trainer.mod_d.get_params())
    fake = trainer._generate_fakes()
    real = fill_unit_range(mx.nd.array(real_u8[:BATCH], dtype=np.uint8),
                           mx.nd.zeros(fake.shape))
    kept = []
    for images, label in ((fake, 0), (real, 1)):
        reference.forward(mx.io.DataBatch([images], [mx.nd.full((BATCH,), label)]), is_train=True)
        reference.backward()
        grads = [g.copy() for g in mxnet_internals.module_grad_arrays(reference)]
        kept = grads if not kept else [a + b for a, b in zip(kept, grads)]
    zero(trainer._d_grads)
    trainer._d_forward_backward(fake, label=0)
    trainer._d_forward_backward(real, label=1)
    for summed, expected in zip(trainer._d_grads, kept):
        np.testing.assert_allclose(summed.asnumpy(), expected.asnumpy(), rtol=1e-5, atol=1e-6)


def _g_loss(trainer, noise):
    trainer.mod_g.forward(mx.io.DataBatch([noise]), is_train=True)
    prob = trainer._d_forward_backward(trainer.mod_g.get_outputs()[0], label=1,
                                       module=trainer.mod_d_input)
    return -np.log(prob.asnumpy()).mean()


def test_one_g_step_with_d_frozen_lowers_g_loss():
    trainer = make_trainer(recipe=Recipe(lr=1e-3))
    noise = mx.nd.random.normal(shape=(BATCH, 8, 1, 1))
    before = _g_loss(trainer, noise)
    trainer.mod_g.backward(trainer.mod_d_input.get_input_grads())
    trainer.mod_g.update()
    assert _g_loss(trainer, noise) < before


def test_training_steps_report_metrics_and_move_both_networks(real_u8):
    trainer = make_trainer()
    before_g, before_d = _params(trainer), _params(trainer, "discriminator")
    metrics = trainer.step(mx.nd.array(real_u8[:BATCH], dtype=np.uint8)).asnumpy()
    assert metrics.shape == (len(METRICS),) and np.all(np.isfinite(metrics))
    assert 0 < metrics[3] < 1 and 0 < metrics[4] < 1  # D(x), D(G(z)) are probabilities
    for before, name in ((before_g, "generator"), (before_d, "discriminator")):
        after = _params(trainer, name)
        weights = [k for k in before if k.endswith("weight")]  # gamma is fixed at 1 (fix_gamma)
        assert weights and all(not np.array_equal(before[k], after[k]) for k in weights)


def test_data_parallel_module_over_two_cpu_contexts(real_u8):
    trainer = make_trainer(context=[mx.cpu(0), mx.cpu(1)])
    metrics = trainer.step(mx.nd.array(real_u8[:BATCH], dtype=np.uint8)).asnumpy()
    assert np.all(np.isfinite(metrics))
    _, per_parameter = mxnet_internals.module_param_arrays(trainer.mod_g)
    per_device = per_parameter[0]
    assert len(per_device) == 2
    np.testing.assert_array_equal(per_device[0].asnumpy(), per_device[1].asnumpy())


@pytest.mark.parametrize("context", [[mx.cpu()], [mx.cpu(0), mx.cpu(1)]], ids=["1dev", "2dev"])
def test_a_restored_trainer_draws_what_the_saved_one_drew(tmp_path, real_u8, context):
    trainer = make_trainer(context)
    for _ in range(2):
        trainer.step(mx.nd.array(real_u8[:BATCH], dtype=np.uint8))
    ckpt = checkpoint.save(tmp_path, 2, trainer.checkpoint_states(),
                           {"config": {"seed": 0, "nz": 8}})
    restored = make_trainer(context, seed=1)
    restored.restore(ckpt)
    noise = mx.nd.random.normal(shape=(BATCH, 8, 1, 1))
    np.testing.assert_array_equal(restored.generate(noise).asnumpy(),
                                  trainer.generate(noise).asnumpy())
    # Running averages: a restored trainer and a fresh load agree bit for bit. (The live trainer
    # differs by ~1e-4 in inference mode after training on 2 OpenMP threads: state oneDNN keeps
    # in the trained executor, not in its arrays. Across devices a checkpoint holds the mean of
    # the devices' running averages, as Module.get_params does.)
    fresh = generate.load_generator(ckpt, batch_size=BATCH)
    fresh.forward(mx.io.DataBatch([noise]), is_train=False)
    np.testing.assert_array_equal(restored.generate(noise, is_train=False).asnumpy(),
                                  fresh.get_outputs()[0].asnumpy())
