"""Export a trained generator to ONNX with MXNet's own exporter, and check it in onnxruntime.

    python -m mxgan.export RUN_DIR [--checkpoint DIR] [--out FILE.onnx]

The ONNX model is the generator in inference mode: BatchNorm normalises with the running averages
saved in the checkpoint, not with each batch's statistics as `mxgan.training.generate.sample`
draws, so it reproduces MXNet's ``is_train=False`` output. Inputs keep MXNet's names, float32,
batch axis dynamic: "rand" (B, nz, 1, 1) and, for the CGAN, "cond" ((B, 10, 1, 1) one-hot, or (B,)
digits).

Every layer of the generators converts as it is (dot -> MatMul, Deconvolution -> ConvTranspose,
BatchNorm, relu/tanh, slice_axis -> Slice, concat, Embedding -> Cast + Gather); one rewrite is
made at export time: the exporter ignores ``fix_gamma``, so gamma is written as the 1 that MXNet
uses. ``mx.onnx.export_model`` stamps the model with the installed onnx's newest opset (23 with
onnx 1.18), so it needs a recent runtime. Install with ``pip install -e ".[onnx]"``.
"""
import contextlib
import json
import logging
import sys
import tempfile
from pathlib import Path

import mxnet as mx
import numpy as np

from .cli import add_run_args, main_guard, new_parser, path_type
from .common.checks import UsageError
from .common.files import atomic_write_bytes, check_writable_file
from .nets.conditions import NUM_CLASSES, encode_digits
from .runs.lookup import require_checkpoint
from .training import checkpoint, checkpoint_reading, generate

INSTALL_HINT = 'pip install -e ".[onnx]"'
TOLERANCE = 1e-4  # largest |ONNX - MXNet| the CLI accepts on images in [-1, 1]


def export_generator(ckpt_dir, out_path, *, batch_size=None):
    """Write a checkpoint's generator to ``out_path`` as ONNX (batch axis dynamic unless
    ``batch_size`` is given); returns the path."""
    onnx = require_onnx()[0]
    net = generate.sampling_net(ckpt_dir)
    symbol = checkpoint_reading.load_symbol(ckpt_dir, net)
    arg_params, aux_params = checkpoint_reading.load_params(ckpt_dir, net)
    shapes = generate.input_shapes(checkpoint.load_meta(ckpt_dir)["config"], batch_size or 1)
    shapes = {name: shapes[name] for name in symbol.list_arguments() if name in shapes}
    dynamic = None if batch_size else [(None,) + shape[1:] for shape in shapes.values()]
    with tempfile.TemporaryDirectory() as tmp, _quiet_dot_warning():
        raw = mx.onnx.export_model(symbol, [_fix_gamma(symbol, arg_params), aux_params],
                                   in_shapes=list(shapes.values()), in_types=np.float32,
                                   onnx_file_path=str(Path(tmp, "raw.onnx")),
                                   dynamic=dynamic is not None, dynamic_input_shapes=dynamic)
        model = _without_weight_inputs(onnx.load(raw))
    atomic_write_bytes(out_path, model.SerializeToString())
    return Path(out_path)


def _fix_gamma(symbol, arg_params):
    """``arg_params`` with the gamma of each ``fix_gamma`` BatchNorm set to the 1 MXNet uses.

    The exporter copies the stored gamma into ONNX; MXNet ignores it when fix_gamma is set.
    """
    fixed = dict(arg_params)
    for node in json.loads(symbol.tojson())["nodes"]:
        gamma = node["name"] + "_gamma"
        if node["op"] == "BatchNorm" and node.get("attrs", {}).get("fix_gamma", "True") == "True":
            fixed[gamma] = mx.nd.ones_like(fixed[gamma])
    return fixed


def _without_weight_inputs(model):
    """The model with its weights listed only as initializers, not also as graph inputs (the
    exporter lists both, so runtimes treat them as overridable and warn)."""
    weights = {tensor.name for tensor in model.graph.initializer}
    inputs = [value for value in model.graph.input if value.name not in weights]
    del model.graph.input[:]
    model.graph.input.extend(inputs)
    return model


@contextlib.contextmanager
def _quiet_dot_warning():
    """Hide the exporter's warning that ONNX's MatMul differs from MXNet's dot beyond 2-D
    (the generators' dot is 2-D)."""
    def keep(record):
        return not record.getMessage().startswith("Converting dot operator")
    root = logging.getLogger()
    root.addFilter(keep)
    try:
        yield
    finally:
        root.removeFilter(keep)


def run_onnx(onnx_path, inputs):
    """Run an exported generator in onnxruntime: ``inputs`` {name: array} to images (N, C, H, W)."""
    session = require_onnx()[1].InferenceSession(str(onnx_path),
                                                 providers=["CPUExecutionProvider"])
    return session.run(None, {name: np.asarray(value, np.float32)
                              for name, value in inputs.items()})[0]


def run_mxnet(ckpt_dir, inputs, *, is_train=False):
    """The checkpoint's generator in MXNet; ``is_train=False`` (running BatchNorm statistics) is
    what the ONNX model computes."""
    module = generate.load_generator(ckpt_dir, batch_size=len(inputs["rand"]))
    return generate.from_codes(module, inputs["rand"], inputs.get("cond"), is_train=is_train)


def random_inputs(config, batch_size, *, seed=0):
    """One batch of N(0, 1) noise and, for a conditional generator, the digits 0-9 in turn."""
    inputs = {"rand": np.random.RandomState(seed).normal(
        size=(batch_size, config["nz"], 1, 1)).astype(np.float32)}
    if config.get("condition"):
        inputs["cond"] = encode_digits(np.arange(batch_size) % NUM_CLASSES, config["condition"])
    return inputs


def max_abs_difference(ckpt_dir, onnx_path, *, batch_size=None, seed=0):
    """Largest |onnxruntime - MXNet inference mode| over one batch of random noise (default: a
    training batch)."""
    config = checkpoint.load_meta(ckpt_dir)["config"]
    inputs = random_inputs(config, batch_size or config["batch_size"], seed=seed)
    return float(np.abs(run_onnx(onnx_path, inputs) - run_mxnet(ckpt_dir, inputs)).max())


def require_onnx():
    """The (onnx, onnxruntime) modules; an ImportError naming the install command without them."""
    try:
        import onnx
        import onnxruntime
    except ImportError as err:
        raise ImportError("%s is not installed: run %s" % (err.name, INSTALL_HINT)) from None
    return onnx, onnxruntime


def parse_args(argv=None):
    """Parse the command line."""
    parser = new_parser(__doc__.splitlines()[0], prog="python -m mxgan.export")
    add_run_args(parser, "export")
    parser.add_argument("--out", metavar="FILE.onnx", type=path_type,
                        help="ONNX file to write; default RUN_DIR/generator.onnx")
    return parser.parse_args(argv)


@main_guard
def main(argv=None):
    """Export a run's generator and compare it with MXNet: exit 0, 1 if they differ by more than
    `TOLERANCE`, 2 with one line for a user error."""
    args = parse_args(argv)
    out_path = check_writable_file(args.out or Path(args.run_dir, "generator.onnx"))
    ckpt = require_checkpoint(args.run_dir, args.checkpoint)
    try:
        require_onnx()
    except ImportError as err:
        raise UsageError(err) from None
    out_path = export_generator(ckpt, out_path)
    print("wrote %s from %s (BatchNorm uses the running averages)" % (out_path, ckpt))
    difference = max_abs_difference(ckpt, out_path)
    print("max abs difference, onnxruntime vs MXNet inference mode, one batch of noise: %.2g"
          % difference)
    if not difference <= TOLERANCE:
        print("error: the ONNX model differs from MXNet by more than %g" % TOLERANCE,
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
