"""The two example CLIs: --dry-run writes every artefact; sampling works; user mistakes exit 2."""
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from mxgan import generate
from mxgan.training import checkpoint

ROOT = Path(__file__).resolve().parent.parent


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / (name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dcgan, cgan = _load("dcgan_mnist"), _load("cgan_mnist")

RUN_FILES = ["config.json", "metrics.jsonl", "loss_curves.png", "fake_vs_real.png",
             "samples/latest.png", "samples/iter-000004.png", "showcase/timeline.png",
             "showcase/timeline.gif"]
CHECKPOINT_FILES = ["meta.json"] + ["%s-%s" % (net, suffix)
                                    for net in ("generator", "discriminator")
                                    for suffix in ("symbol.json", "0004.params", "0004.states")]


@pytest.fixture(scope="module")
def dcgan_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("dcgan")
    assert dcgan.main(["--dry-run", "--out", str(run_dir)]) == 0
    return run_dir


@pytest.fixture(scope="module")
def cgan_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("cgan")
    assert cgan.main(["--dry-run", "--out", str(run_dir)]) == 0
    return run_dir


@pytest.mark.parametrize("run", ["dcgan_run", "cgan_run"])
def test_dry_run_writes_every_artefact(run, request):
    run_dir = request.getfixturevalue(run)
    for name in RUN_FILES + ["checkpoints/iter-000004/" + f for f in CHECKPOINT_FILES]:
        assert (run_dir / name).is_file(), name
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [row["iteration"] for row in rows] == [1, 2, 3, 4]
    assert {"d_loss", "g_loss", "d_real", "d_fake", "images_per_s"} <= set(rows[0])
    config = json.loads((run_dir / "config.json").read_text())
    assert config["iterations"] == 4 and config["batch_size"] == 8


def test_dcgan_generate_writes_grid_and_array(dcgan_run):
    assert dcgan.main(["--dry-run", "--out", str(dcgan_run), "--generate", "10"]) == 0
    images = np.load(dcgan_run / "generated.npy")
    assert images.shape == (10, 1, 28, 28) and images.dtype == np.float32
    assert -1 <= images.min() and images.max() <= 1
    assert (dcgan_run / "generated.png").is_file()


def test_dcgan_resume_continues_from_the_checkpoint(dcgan_run, tmp_path):
    run_dir = tmp_path / "run"
    __import__("shutil").copytree(dcgan_run, run_dir)
    assert dcgan.main(["--dry-run", "--out", str(run_dir), "--resume", "--max-iters", "6"]) == 0
    rows = (run_dir / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(r)["iteration"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert (run_dir / "checkpoints" / "iter-000006" / "meta.json").is_file()


def test_cgan_infer_writes_the_generators_images_of_the_asked_digit(cgan_run):
    assert cgan.main(["--out", str(cgan_run), "--infer", "9", "--num", "12"]) == 0
    images = np.load(cgan_run / "infer_9.npy")
    assert images.shape == (12, 28, 28) and images.dtype == np.float32
    assert -1 <= images.min() and images.max() <= 1
    assert (cgan_run / "infer_9.png").is_file()
    nines, digits, _ = generate.sample_run(cgan_run, 12, digits=np.full(12, 9))
    np.testing.assert_array_equal(images, nines[:, 0])
    threes, _, _ = generate.sample_run(cgan_run, 12, digits=np.full(12, 3))
    assert list(digits) == [9] * 12 and not np.allclose(threes, nines)


def _exit_message(main, argv, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    return capsys.readouterr().err.strip().splitlines()[-1]


@pytest.mark.parametrize("argv, message", [
    (["--dataset", "cifar"], "unknown dataset 'cifar'"),
    (["--image-size", "32"], "argument --image-size: invalid choice: 32"),
    (["--batch-size", "1"], "argument --batch-size: must be an integer >= 2"),
    (["--real-label", "1.5"], "argument --real-label: must be a number in (0.5, 1]"),
    (["--ctx", "gpu"], "GPU(s) visible to MXNet"),
    (["--ctx", "tpu"], "--ctx must be auto, cpu, gpu"),
    (["--resume"], "no trained model at"),
    (["--generate", "4"], "no trained model at"),
    (["--kvstore", "dist_sync"], "start the job with python -m mxgan.launch"),
    (["--lr", "nan"], "argument --lr: must be a number > 0, got nan"),
    (["--lr", "-1"], "argument --lr: must be a number > 0, got -1"),
    (["--lr-d", "0"], "argument --lr-d: must be a number > 0"),
    (["--beta1", "1"], "argument --beta1: must be a number in [0, 1)"),
    (["--ema-decay", "1"], "argument --ema-decay: must be a number in [0, 1)"),
    (["--seed", "-1"], "argument --seed: must be an integer from 0 to 2147483647"),
    (["--seed", str(2 ** 32)], "argument --seed: must be an integer from 0 to 2147483647"),
    (["--ctx", "gpu:-1"], "--ctx device ids must be distinct and >= 0"),
    (["--graph", "quick"], "argument --graph: invalid choice: 'quick'"),
    (["--batch-size", "100000"], "--batch-size 100000 is larger than the 60000 training images"),
    (["--dry-run", "--batch-size", "7", "--ctx", "cpu:0,1"], "choose a multiple of 2"),
])
def test_dcgan_refuses_bad_input(argv, message, capsys, tmp_path):
    line = _exit_message(dcgan.main, argv + ["--out", str(tmp_path / "none")], capsys)
    assert line.startswith("error: ") and message in line


def test_a_new_run_never_overwrites_a_saved_one(dcgan_run, capsys):
    line = _exit_message(dcgan.main, ["--dry-run", "--out", str(dcgan_run)], capsys)
    assert "already holds a trained run (iter-000004): pass --resume" in line


def test_dcgan_refuses_a_checkpoint_of_another_architecture(dcgan_run, capsys):
    line = _exit_message(dcgan.main, ["--dry-run", "--out", str(dcgan_run), "--resume",
                                      "--ngf", "8"], capsys)
    assert "these flags differ: --ngf 8 (the run has 4)" in line


@pytest.mark.parametrize("digit", ["x", "10", "-1", "4.5"])
def test_cgan_refuses_a_digit_outside_0_to_9(digit, capsys, cgan_run):
    line = _exit_message(cgan.main, ["--out", str(cgan_run), "--infer", digit], capsys)
    assert "argument --infer: takes one digit from 0 to 9" in line


def test_cgan_refuses_widths_for_the_r_tutorials_net_instead_of_ignoring_them(capsys, tmp_path):
    line = _exit_message(cgan.main, ["--out", str(tmp_path), "--dry-run", "--network", "cgan28",
                                     "--ngf", "40"], capsys)
    assert line.startswith("error: --ngf and --ndf set the widths of --network cdcgan28")
    assert not (tmp_path / "checkpoints").exists()


def test_cgan_infer_without_a_model_says_how_to_train(capsys, tmp_path):
    line = _exit_message(cgan.main, ["--out", str(tmp_path), "--infer", "9"], capsys)
    assert line == ("error: no trained model at %s: train it first with "
                    "python examples/cgan_mnist.py --out %s" % (tmp_path, tmp_path))


def test_cgan_infer_refuses_an_unconditional_checkpoint(capsys, dcgan_run):
    line = _exit_message(cgan.main, ["--out", str(dcgan_run), "--infer", "3"], capsys)
    assert "holds an unconditional generator" in line


def test_user_error_is_one_line_without_traceback(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "cgan_mnist.py"),
                             "--out", str(tmp_path), "--infer", "nine"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(
        "error: argument --infer: takes one digit")


def _wait_for_content(path, child, timeout=90):
    """Wait until ``path`` has content (training is under way) while ``child`` runs."""
    deadline = time.time() + timeout
    while not (path.exists() and path.stat().st_size):
        assert child.poll() is None and time.time() < deadline, "training never started"
        time.sleep(0.2)


def _long_dry_run(run_dir, *extra):
    command = [sys.executable, str(ROOT / "examples" / "dcgan_mnist.py"), "--dry-run",
               "--max-iters", "100000", "--out", str(run_dir), *extra]
    return subprocess.Popen(command, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stop_signal_saves_a_checkpoint_and_stops_cleanly(tmp_path, sig):
    child = _long_dry_run(tmp_path)
    try:
        _wait_for_content(tmp_path / "metrics.jsonl", child)
        child.send_signal(sig)
        _, stderr = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 128 + sig
    assert "Traceback" not in stderr and "resume with --resume" in stderr
    saved = checkpoint.find(tmp_path)
    assert checkpoint.load_meta(saved)["iteration"] >= 10


def test_a_second_run_on_a_busy_directory_exits_2_naming_the_first(tmp_path):
    first = _long_dry_run(tmp_path, "--checkpoint-every", "5")
    try:
        _wait_for_content(tmp_path / "metrics.jsonl", first)
        second = subprocess.run([sys.executable, str(ROOT / "examples" / "dcgan_mnist.py"),
                                 "--dry-run", "--resume", "--out", str(tmp_path)],
                                capture_output=True, text=True, timeout=120)
    finally:
        first.kill()
        first.wait()
    assert second.returncode == 2 and "Traceback" not in second.stderr
    assert second.stderr.strip().splitlines()[-1].startswith(
        "error: %s is in use by process %d" % (tmp_path, first.pid))
    saved = checkpoint.load_meta(checkpoint.find(tmp_path))["iteration"]
    taken_over = subprocess.run([sys.executable, str(ROOT / "examples" / "dcgan_mnist.py"),
                                 "--dry-run", "--resume", "--out", str(tmp_path),
                                 "--max-iters", str(saved + 2)], capture_output=True, text=True,
                                timeout=300)  # the killed run's lock is stale: taken over
    assert taken_over.returncode == 0, taken_over.stderr[-2000:]


def test_every_reader_skips_a_damaged_newest_checkpoint_with_a_warning(dcgan_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(dcgan_run, run_dir)
    assert dcgan.main(["--dry-run", "--resume", "--max-iters", "6", "--out", str(run_dir),
                       "--checkpoint-every", "1"]) == 0
    previous, newest = checkpoint.list_checkpoints(run_dir)[-2:]
    params = next(newest.glob("generator-*.params"))
    params.write_bytes(params.read_bytes()[:100])  # as a power cut might leave it
    commands = [[str(ROOT / "examples" / "dcgan_mnist.py"), "--generate", "4"],
                [str(ROOT / "examples" / "dcgan_mnist.py"), "--interpolate"],
                ["-m", "mxgan.export"], ["-m", "mxgan.showcase"]]
    for command in commands:
        result = subprocess.run([sys.executable, *command, *(["--out", str(run_dir)] if
                                 command[0].endswith(".py") else [str(run_dir)])], cwd=ROOT,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, (command, result.stderr[-2000:])
        assert "warning: skipping a damaged checkpoint: %s" % params in result.stderr
    resumed = subprocess.run([sys.executable, str(ROOT / "examples" / "dcgan_mnist.py"),
                              "--dry-run", "--resume", "--max-iters", "7", "--out", str(run_dir)],
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0 and "using %s instead" % previous in resumed.stderr


def test_cgan_infer_from_a_missing_checkpoint_path_says_so(capsys, tmp_path):
    line = _exit_message(cgan.main, ["--out", str(tmp_path), "--infer", "9",
                                     "--checkpoint", str(tmp_path / "nope")], capsys)
    assert line.startswith("error: no checkpoint at %s" % (tmp_path / "nope"))


@pytest.mark.parametrize("example", ["dcgan_mnist.py", "cgan_mnist.py"])
def test_two_cpu_contexts_train_from_the_command_line(tmp_path, example):
    """Data parallel over cpu:0,1 as a user runs it: the process restarts itself with one
    OpenMP thread (more deadlock MXNet's oneDNN across CPU contexts) and finishes."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    result = subprocess.run([sys.executable, str(ROOT / "examples" / example), "--dry-run",
                             "--ctx", "cpu:0,1", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "restarting with OMP_NUM_THREADS=1" in result.stderr
    meta = checkpoint.load_meta(checkpoint.latest(tmp_path))
    assert meta["config"]["ctx"] == ["cpu(0)", "cpu(1)"] and meta["iteration"] == 4


@pytest.mark.parametrize("example, fixture, pictures", [
    ("dcgan", "dcgan_run", ["interpolation.png", "interpolation.gif"]),
    ("cgan", "cgan_run", ["interpolation.png", "interpolation.gif", "digits.png", "digits.gif"]),
])
def test_interpolate_draws_the_showcase_pictures_of_a_trained_run(example, fixture, pictures,
                                                                   request, capsys):
    run_dir = request.getfixturevalue(fixture)
    main = {"dcgan": dcgan, "cgan": cgan}[example].main
    assert main(["--out", str(run_dir), "--interpolate"]) == 0
    written = capsys.readouterr().out
    for name in pictures:
        path = run_dir / "showcase" / name
        assert path.stat().st_size > 0 and str(path) in written


def test_interpolate_without_a_model_says_how_to_train(capsys, tmp_path):
    line = _exit_message(dcgan.main, ["--out", str(tmp_path), "--interpolate"], capsys)
    assert "no trained model at %s: train it first with python examples/dcgan_mnist.py" % tmp_path \
        in line
