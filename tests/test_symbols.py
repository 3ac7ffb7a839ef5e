"""Tests of the Symbol builders: shapes, parameter counts, names, a CPU step, the oneDNN fix."""

from mxgan.nets import symbols
from mxgan.nets.conditions import NUM_CLASSES

import mxnet as mx
import numpy as np
import pytest

BATCH = 4
INPUT_NAMES = {"rand", "cond", "data", "label"}

# get_network options covering both DCGAN sizes with 1 and 3 channels and both CGAN conditions.
NETWORK_CASES = [
    ("dcgan64", {"channels": 3, "ngf": 16, "ndf": 16}),
    ("dcgan64", {"channels": 1, "ngf": 16, "ndf": 16}),
    ("dcgan28", {"channels": 1}),
    ("dcgan28", {"channels": 3, "ngf": 32, "ndf": 32}),
    ("cgan28", {"condition": "onehot"}),
    ("cgan28", {"condition": "embedding"}),
]
# Both discriminator levers on every network, at the default widths of the 28 px ones (oneDNN
# picks its kernels by shape).
LEVER_CASES = [(name, dict(options, minibatch_std=True, spectral_norm=True))
               for name, options in [("dcgan64", {"channels": 1, "ngf": 16, "ndf": 16}),
                                     ("dcgan28", {"channels": 1}),
                                     ("cgan28", {"condition": "onehot"}),
                                     ("cdcgan28", {"condition": "embedding",
                                                   "projection": True})]]


def _input_shapes(name, options):
    """Shapes of the generator's and the discriminator's inputs for a batch of BATCH."""
    if name in ("cgan28", "cdcgan28"):
        embedded = options.get("condition") == "embedding"
        cond = (BATCH,) if embedded else (BATCH, NUM_CLASSES, 1, 1)
        rand = (BATCH, options.get("nz", 96), 1, 1)
        return {"rand": rand, "cond": cond}, {"data": (BATCH, 1, 28, 28), "cond": cond}
    size = int(name[-2:])
    image = (BATCH, options.get("channels", 3), size, size)
    return {"rand": (BATCH, options.get("nz", 100), 1, 1)}, {"data": image}


def _arg_shapes(symbol, input_shapes):
    """Argument name -> inferred shape."""
    arg_shapes, _, _ = symbol.infer_shape(**input_shapes)
    return dict(zip(symbol.list_arguments(), arg_shapes))


def _parameter_count(symbol, input_shapes):
    """Learnable values: arguments but the inputs (BatchNorm statistics are aux states)."""
    return sum(int(np.prod(shape)) for name, shape in _arg_shapes(symbol, input_shapes).items()
               if name not in INPUT_NAMES)


@pytest.mark.parametrize("name, options", NETWORK_CASES)
def test_generator_makes_images_the_discriminator_takes(name, options):
    generator, _ = symbols.get_network(name, **options)
    generator_inputs, discriminator_inputs = _input_shapes(name, options)
    _, output_shapes, _ = generator.infer_shape(**generator_inputs)
    assert output_shapes == [discriminator_inputs["data"]]


@pytest.mark.parametrize("name, options", NETWORK_CASES + LEVER_CASES)
def test_discriminator_gives_one_logit_and_one_probability_per_image(name, options):
    _, with_head = symbols.get_network(name, **options)
    logits = with_head.get_children()[0]  # LogisticRegressionOutput's inputs: logits, label
    _, discriminator_inputs = _input_shapes(name, options)
    assert logits.infer_shape(**discriminator_inputs)[1] == [(BATCH, 1)]
    assert with_head.infer_shape(**discriminator_inputs)[1] == [(BATCH, 1)]


def _deconvolution_filters(num_filter):
    """Filters a generator deconvolution holds: 2 for a 1-filter layer (its spare, see below)."""
    return 2 if num_filter == 1 else num_filter


def _dcgan64_parameters(*, nz, ngf, ndf, channels):
    """Analytic (generator, discriminator) parameter counts of the 64 px DCGAN."""
    generator = (16 * (nz * 8 * ngf + 8 * ngf * 4 * ngf + 4 * ngf * 2 * ngf  # 4x4 deconvolutions
                       + 2 * ngf * ngf + ngf * _deconvolution_filters(channels))
                 + 2 * (8 + 4 + 2 + 1) * ngf)  # BatchNorm gamma + beta
    discriminator = (16 * (channels * ndf + ndf * 2 * ndf + 2 * ndf * 4 * ndf  # 4x4 convolutions
                           + 4 * ndf * 8 * ndf + 8 * ndf * 1)
                     + 2 * (2 + 4 + 8) * ndf)  # BatchNorm gamma + beta
    return generator, discriminator


def _dcgan28_parameters(*, nz, ngf, ndf, channels):
    """Analytic (generator, discriminator) parameter counts of the 28 px DCGAN."""
    generator = (16 * (nz * 4 * ngf + 4 * ngf * 2 * ngf + 2 * ngf * ngf
                       + ngf * _deconvolution_filters(channels))
                 + 2 * (4 + 2 + 1) * ngf)
    discriminator = (16 * (channels * ndf + ndf * 2 * ndf + 2 * ndf * 4 * ndf + 4 * ndf * 1)
                     + 2 * (2 + 4) * ndf)
    return generator, discriminator


def _cgan28_parameters(*, embedding):
    """Analytic (generator, discriminator) parameter counts of the default CGAN."""
    embedding_table = 10 * 10 if embedding else 0
    generator = (16 * (10 + 96) * 384 + 9 * 384 * 192 + 16 * 192 * 96  # deconvolutions
                 + 16 * 96 * _deconvolution_filters(1)
                 + 2 * (384 + 192 + 96)  # BatchNorm gamma + beta
                 + embedding_table)
    discriminator = (9 * 11 * 24 + 9 * 24 * 32 + 16 * 32 * 64  # 3x3, 3x3 and 4x4 convolutions
                     + 2 * (24 + 32 + 64)  # BatchNorm gamma + beta
                     + 9 * 64 * 1 + 1  # FullyConnected weights + bias on the (64, 3, 3) map
                     + embedding_table)
    return generator, discriminator


# A generator's 1-filter deconvolution dodges a oneDNN crash by computing a spare second filter
# and dropping its output, so its weight is (in, 2, k, k): _deconvolution_filters counts 2.
@pytest.mark.parametrize("name, options, expected", [
    ("dcgan64", {}, _dcgan64_parameters(nz=100, ngf=128, ndf=128, channels=3)),
    ("dcgan64", {"channels": 1, "nz": 20, "ngf": 8, "ndf": 12},
     _dcgan64_parameters(nz=20, ngf=8, ndf=12, channels=1)),
    ("dcgan28", {"channels": 1}, _dcgan28_parameters(nz=100, ngf=28, ndf=28, channels=1)),
    ("cgan28", {"condition": "onehot"}, _cgan28_parameters(embedding=False)),
    ("cgan28", {"condition": "embedding"}, _cgan28_parameters(embedding=True)),
])
def test_parameter_counts_match_the_architecture(name, options, expected):
    generator, with_head = symbols.get_network(name, **options)
    generator_inputs, discriminator_inputs = _input_shapes(name, options)
    assert _parameter_count(generator, generator_inputs) == expected[0]
    assert _parameter_count(with_head, discriminator_inputs) == expected[1]


def test_default_dcgan64_is_the_seed_network():
    generator, with_head = symbols.get_network("dcgan64")
    generator_inputs, discriminator_inputs = _input_shapes("dcgan64", {})
    assert _arg_shapes(generator, generator_inputs)["g_deconv1_weight"] == (100, 1024, 4, 4)
    assert _arg_shapes(with_head, discriminator_inputs)["d_conv4_weight"] == (1024, 512, 4, 4)


def test_generator_declares_its_noise_length():
    generator = symbols.dcgan_generator(size=28, nz=20, ngf=8)
    arg_shapes, _, _ = generator.infer_shape_partial()  # no input shape given
    assert dict(zip(generator.list_arguments(), arg_shapes))["g_deconv1_weight"] == (20, 32, 4, 4)


@pytest.mark.parametrize("builder, options", [
    (symbols.dcgan_generator, {"size": 64}),
    (symbols.dcgan_generator, {"size": 28, "channels": 1}),
    (symbols.dcgan_discriminator, {"size": 64}),
    (symbols.dcgan_discriminator, {"size": 28}),
    (symbols.cgan_generator, {"condition": "embedding"}),
    (symbols.cgan_discriminator, {"condition": "embedding"}),
])
def test_every_parameter_and_layer_carries_the_prefix(builder, options):
    symbol = builder(prefix="net_", **options)
    names = symbol.list_arguments() + symbol.list_auxiliary_states() + symbol.list_outputs()
    assert all(name.startswith("net_") for name in names if name not in INPUT_NAMES)


def _random_value(name, shape, rng):
    """Digits or one-hot rows for "cond", 0/1 for "label", N(0, 1) inputs, N(0, 0.02) weights."""
    if name == "cond" and len(shape) == 1:
        return rng.randint(0, NUM_CLASSES, size=shape)
    if name == "cond":
        digits = rng.randint(0, NUM_CLASSES, size=BATCH)
        return np.eye(NUM_CLASSES)[digits].reshape(shape)
    if name == "label":
        return rng.randint(0, 2, size=shape)
    return rng.normal(0, 1 if name in INPUT_NAMES else 0.02, size=shape)


def _bind_with_random_values(symbol, input_shapes, *, input_grads=()):
    """CPU executor writing parameter gradients (and `input_grads`), filled from a fixed seed."""
    grad_req = {name: "write" if name not in INPUT_NAMES or name in input_grads else "null"
                for name in symbol.list_arguments()}
    executor = symbol.simple_bind(mx.cpu(), grad_req=grad_req, **input_shapes)
    rng = np.random.RandomState(0)
    for name, array in executor.arg_dict.items():
        array[:] = _random_value(name, array.shape, rng)
    return executor


# Without the workaround, the cases whose last generator layer has 1 filter and 16 or 96 inputs
# crash in backward under oneDNN; 28 inputs do not. An embedding joined to 6 noise values (16
# channels) crashed oneDNN's 4-D concat backward until the join moved to vectors.
@pytest.mark.parametrize("name, options",
                         NETWORK_CASES + [("dcgan28", {"channels": 1, "ngf": 16}),
                                          ("cgan28", {"condition": "embedding", "nz": 6})])
def test_generator_trains_one_step_on_the_cpu(name, options):
    generator, _ = symbols.get_network(name, **options)
    generator_inputs, _ = _input_shapes(name, options)
    executor = _bind_with_random_values(generator, generator_inputs)
    executor.forward(is_train=True)
    executor.backward(mx.nd.ones(executor.outputs[0].shape))
    grads = {argument: grad.asnumpy() for argument, grad in executor.grad_dict.items()
             if grad is not None}
    assert all(np.isfinite(grad).all() for grad in grads.values())
    assert np.abs(grads["g_deconv1_weight"]).sum() > 0


@pytest.mark.parametrize("name, options", NETWORK_CASES + LEVER_CASES)
def test_discriminator_passes_a_gradient_to_its_images(name, options):
    _, with_head = symbols.get_network(name, **options)
    _, discriminator_inputs = _input_shapes(name, options)
    executor = _bind_with_random_values(with_head, discriminator_inputs, input_grads=("data",))
    executor.forward(is_train=True)
    executor.backward()
    image_grad = executor.grad_dict["data"].asnumpy()
    assert np.isfinite(image_grad).all() and np.abs(image_grad).sum() > 0


def _discriminator_arrays(name, **options):
    """{name: shape} of a discriminator's parameters and auxiliary states."""
    _, with_head = symbols.get_network(name, **options)
    arg_shapes, _, aux_shapes = with_head.infer_shape(**_input_shapes(name, options)[1])
    names = with_head.list_arguments() + with_head.list_auxiliary_states()
    return {n: shape for n, shape in zip(names, arg_shapes + aux_shapes) if n not in INPUT_NAMES}


def test_the_discriminator_levers_change_only_what_they_name():
    plain = _discriminator_arrays("dcgan28", channels=1)
    assert plain == dict(  # what every run before the levers saved
        d_conv1_weight=(28, 1, 4, 4), d_conv2_weight=(56, 28, 4, 4),
        d_conv3_weight=(112, 56, 4, 4), d_conv4_weight=(1, 112, 4, 4),
        **{"d_bn%d_%s" % (index, kind): (width,) for index, width in ((2, 56), (3, 112))
           for kind in ("gamma", "beta", "moving_mean", "moving_var")})
    assert _discriminator_arrays("dcgan28", channels=1, minibatch_std=True) == dict(
        plain, d_conv4_weight=(1, 113, 4, 4))  # one more input map to the last layer
    weights = {n: shape for n, shape in plain.items() if n.endswith("_weight")}
    assert _discriminator_arrays("dcgan28", channels=1, spectral_norm=True) == dict(
        weights, **{n.replace("_weight", "_sn_u"): shape[:1] for n, shape in weights.items()})
    normalized_cgan = _discriminator_arrays("cgan28", spectral_norm=True)
    assert normalized_cgan["d_fc_sn_u"] == (1,) and "d_fc_bias" in normalized_cgan
    assert not any("_bn" in n for n in normalized_cgan)
    projected = _discriminator_arrays("cdcgan28", projection=True, spectral_norm=True)
    assert projected["d_proj_sn_u"] == (4 * 28,)  # the digit's embedding is normalised too


def test_unknown_network_names_the_choices():
    with pytest.raises(ValueError, match="dcgan64.*dcgan28.*cgan28"):
        symbols.get_network("nope")


@pytest.mark.parametrize("builder, options, message", [
    (symbols.dcgan_generator, {"size": 32}, "^unknown size 32: choose one of 28, 64$"),
    (symbols.dcgan_discriminator, {"size": 32}, "^unknown size 32: choose one of 28, 64$"),
    (symbols.cgan_generator, {"condition": "label"},
     "^unknown condition 'label': choose one of onehot, embedding$"),
    (symbols.cgan_discriminator, {"ndf": (24, 32)},
     r"^ndf must hold 3 filter counts, got \(24, 32\)$"),
])
def test_builders_reject_unsupported_options_naming_them(builder, options, message):
    with pytest.raises(ValueError, match=message):
        builder(**options)


def test_projection_adds_the_digits_embedding_times_the_pooled_features():
    """cdcgan28's projection term (Miyato and Koyama): logit = D's own logit + <W y, sum h>."""
    plain = symbols.cdcgan_discriminator(ndf=4)
    projected = symbols.cdcgan_discriminator(ndf=4, projection=True)
    rng = np.random.RandomState(0)
    digits = np.arange(BATCH) % NUM_CLASSES
    inputs = {"data": rng.uniform(-1, 1, (BATCH, 1, 28, 28)),
              "cond": np.eye(NUM_CLASSES)[digits].reshape(BATCH, NUM_CLASSES, 1, 1)}
    shapes = {name: value.shape for name, value in inputs.items()}
    params = {name: rng.normal(0, 0.1, shape)
              for name, shape in _arg_shapes(projected, shapes).items() if name not in inputs}
    features = projected.get_internals()["d_lrelu3_output"]
    outputs = {}
    for key, symbol in (("plain", plain), ("projected", projected), ("features", features)):
        executor = symbol.simple_bind(mx.cpu(), grad_req="null", **shapes)
        for name, value in dict(params, **inputs).items():
            if name in executor.arg_dict:
                executor.arg_dict[name][:] = value
        outputs[key] = executor.forward(is_train=False)[0].asnumpy()
    assert params["d_proj_weight"].shape == (4 * 4, NUM_CLASSES)
    pooled = outputs["features"].sum(axis=(2, 3))  # (B, 4 ndf)
    term = np.sum(pooled * params["d_proj_weight"][:, digits].T, axis=1, keepdims=True)
    np.testing.assert_allclose(outputs["projected"], outputs["plain"] + term, rtol=1e-4, atol=1e-5)


def test_the_classifier_head_is_the_weighted_cross_entropy_of_the_digit_logits():
    _, discriminator = symbols.get_network("cdcgan28", condition="onehot", ndf=4, nz=8,
                                           projection=True, classifier=True)
    assert discriminator.list_outputs() == ["dloss_output", "dclass_output"]
    rng = np.random.RandomState(0)
    digits = np.arange(BATCH) % NUM_CLASSES
    weights = rng.uniform(0, 2, BATCH)
    inputs = {"data": rng.uniform(-1, 1, (BATCH, 1, 28, 28)), "label": np.ones(BATCH),
              "cond": np.eye(NUM_CLASSES)[digits].reshape(BATCH, NUM_CLASSES, 1, 1),
              "digit": digits, "digit_weight": weights}
    shapes = {name: value.shape for name, value in inputs.items()}
    executor = discriminator.simple_bind(mx.cpu(), grad_req="null", **shapes)
    for name, array in executor.arg_dict.items():
        array[:] = inputs[name] if name in inputs else rng.normal(0, 0.1, array.shape)
    for name, array in executor.aux_dict.items():  # BatchNorm's running statistics
        array[:] = 1 if name.endswith("var") else 0
    logits_symbol = discriminator.get_internals()["d_class_output"]
    logits = logits_symbol.bind(
        mx.cpu(), {n: executor.arg_dict[n] for n in logits_symbol.list_arguments()},
        aux_states={n: executor.aux_dict[n] for n in logits_symbol.list_auxiliary_states()})
    logits = logits.forward()[0].asnumpy().astype(np.float64)
    assert logits.shape == (BATCH, NUM_CLASSES)
    log_prob = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    prob, losses = (out.asnumpy() for out in executor.forward(is_train=False))
    assert prob.shape == (BATCH, 1)
    np.testing.assert_allclose(losses, -weights * log_prob[np.arange(BATCH), digits], rtol=1e-5)
