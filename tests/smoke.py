"""What a user does first, run by one interpreter: `python tests/smoke.py WORK_DIR`.

tests/test_pythons.py runs it in a virtual environment of every other supported Python on the
machine (the whole suite runs on the default one): import, both examples' dry runs, sampling,
a checkpoint read back by MXNet's own `Module.load`, the scores, TensorBoard's event files
(tensorboardX) and the ONNX export where onnxruntime installs. Each step prints one line; the
first failure ends the script non-zero.
"""
import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import mxgan  # noqa: F401  (first: it makes MXNet importable on this numpy)

import mxnet as mx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def step(name, *argv):
    """Run one command of a user's first session; stop the smoke if it fails."""
    start = time.time()
    done = subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit("smoke: %s failed (exit %d):\n%s" % (name, done.returncode, done.stderr[-3000:]))
    print("ok  %s (%.0f s)" % (name, time.time() - start), flush=True)


def module_load_round_trip(run_dir, work):
    """MXNet's own Module.load reads a checkpoint, optimiser state included, and saves it back
    bit for bit."""
    checkpoint = sorted((run_dir / "checkpoints").glob("iter-*"))[-1]
    epoch = int(checkpoint.name.split("-")[1])
    prefix = str(checkpoint / "generator")
    module = mx.mod.Module.load(prefix, epoch, load_optimizer_states=True, data_names=("rand",),
                                label_names=None)
    module.bind(data_shapes=[("rand", (2, 100, 1, 1))], for_training=True)
    module.init_optimizer(optimizer="adam")
    copy = str(work / "generator")
    module.save_checkpoint(copy, epoch)
    saved = mx.nd.load("%s-%04d.params" % (prefix, epoch))
    again = mx.nd.load("%s-%04d.params" % (copy, epoch))
    assert saved.keys() == again.keys(), (sorted(saved), sorted(again))
    for name, array in saved.items():
        assert np.array_equal(array.asnumpy(), again[name].asnumpy()), name
    print("ok  Module.load of %s: %d arrays bit-exact" % (checkpoint.name, len(saved)), flush=True)


def main(work):
    work = Path(work)
    print("smoke: Python %s, numpy %s, mxnet %s"
          % (sys.version.split()[0], np.__version__, mx.__version__), flush=True)
    dcgan, cgan = work / "dcgan", work / "cgan"
    step("dcgan dry run", "examples/dcgan_mnist.py", "--dry-run", "--out", str(dcgan),
         "--tensorboard")
    assert any((dcgan / "tensorboard").glob("events.out.tfevents.*")), "no TensorBoard events"
    step("dcgan --generate", "examples/dcgan_mnist.py", "--generate", "16", "--out", str(dcgan))
    step("cgan dry run", "examples/cgan_mnist.py", "--dry-run", "--out", str(cgan))
    step("cgan --infer 9", "examples/cgan_mnist.py", "--infer", "9", "--out", str(cgan))
    module_load_round_trip(dcgan, work)
    step("mxgan.evaluate", "-m", "mxgan.evaluate", str(dcgan), "--num", "1000")
    if importlib.util.find_spec("onnxruntime"):
        step("mxgan.export", "-m", "mxgan.export", str(dcgan), "--out", str(work / "g.onnx"))
    else:
        print("--  mxgan.export skipped: onnxruntime is not installed for this Python")


if __name__ == "__main__":
    main(sys.argv[1])
