"""mxgan.nets.factory: layers named by stage with one network's options."""
from mxgan.nets.factory import LayerFactory

import mxnet as mx


def test_a_stage_is_opened_by_its_convolution_and_names_what_follows():
    g = LayerFactory("g_")
    net = g.first_deconv(mx.sym.Variable("code"), in_channels=8, num_filter=4, kernel=4)
    net = g.relu(g.batch_norm(net))
    net = g.tanh(g.deconv(net, 2, kernel=4, stride=2, pad=1))
    outputs = net.get_internals().list_outputs()
    assert {"g_deconv1_output", "g_bn1_output", "g_relu1_output", "g_deconv2_output",
            "g_tanh_output"} <= set(outputs)
    assert not any(name.startswith("g_bn2") for name in outputs)


def test_spectral_norm_drops_batch_norm_and_normalises_the_weights():
    d = LayerFactory("d_", spectral_norm=True)
    net = d.batch_norm(d.conv(mx.sym.Variable("data"), 4, kernel=4, stride=2, pad=1))
    logits = d.fully_connected(d.flatten(net), 1, name="fc")
    arguments = logits.list_arguments()
    assert not any("bn" in name for name in arguments)
    assert {"d_conv1_weight", "d_conv1_sn_u", "d_fc_weight", "d_fc_sn_u"} <= set(arguments)


def test_the_last_convolution_takes_the_minibatch_std_as_one_more_feature_map():
    d = LayerFactory("d_", fast=False)
    logits = d.last_conv(mx.sym.Variable("data"), in_channels=4, in_size=3, kernel=4, stride=2,
                         pad=1, minibatch_std=True)
    arg_shapes, out_shapes, _ = logits.infer_shape(data=(2, 4, 3, 3))
    assert dict(zip(logits.list_arguments(), arg_shapes))["d_conv1_weight"] == (1, 5, 4, 4)
    assert out_shapes == [(2, 1)]
