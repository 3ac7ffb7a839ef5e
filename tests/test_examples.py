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

from mxgan import run
from mxgan.distributed.parallel import Cluster
from mxgan.runs import loop
from mxgan.runs.alarms import DIVERGED_EXIT
from mxgan.training import checkpoint, checkpoint_reading, generate

import mxnet as mx
import numpy as np
import pytest

import tiny

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
    assert config["minibatch_std"] is False and config["spectral_norm"] is False


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


LEVERS = ("--lr-warmup", "--d-steps", "--ema-start", "--beta2", "--top-k-final", "--top-k-steps",
          "--diffaugment")


@pytest.mark.parametrize("example", [dcgan, cgan], ids=["dcgan", "cgan"])
def test_help_shows_the_training_levers(example, capsys):
    with pytest.raises(SystemExit) as exited:
        example.main(["--help"])
    shown = capsys.readouterr().out
    assert exited.value.code == 0 and all(flag in shown for flag in LEVERS)


@pytest.mark.parametrize("argv, message", [
    (["--d-steps", "0"], "error: argument --d-steps: must be an integer >= 1, got 0"),
    (["--lr-warmup", "-1"], "error: argument --lr-warmup: must be an integer >= 0, got -1"),
    (["--ema-start", "2.5"], "error: argument --ema-start: must be an integer >= 0, got '2.5'"),
    (["--top-k-final", "0"], "error: argument --top-k-final: must be a number in (0, 1], got 0"),
    (["--diffaugment", "color"], "error: argument --diffaugment: a DiffAugment policy is a "
                                 "comma-separated list of translation and cutout, got color"),
    (["--beta2", "1"], "error: argument --beta2: must be a number in [0, 1), got 1"),
    (["--dry-run", "--lr-warmup", "4"],
     "error: --lr-warmup 4 leaves none of the run's 4 steps to --lr-decay linear: shorten it"),
    (["--dry-run", "--ema-decay", "0", "--ema-start", "2"],
     "error: --ema-start 2 starts G's weight average, which --ema-decay 0 turns off"),
])
@pytest.mark.parametrize("example", [dcgan, cgan], ids=["dcgan", "cgan"])
def test_a_bad_lever_is_one_line_and_exit_2(example, argv, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as exited:
        example.main(argv + ["--out", str(tmp_path / "none")])
    lines = capsys.readouterr().err.strip().splitlines()
    assert exited.value.code == 2 and len(lines) == 1 and lines[0].startswith(message)


def test_the_levers_are_recorded_and_reach_the_optimisers(dcgan_run, tmp_path):
    recorded = json.loads((dcgan_run / "config.json").read_text())
    assert [recorded[key] for key in ("lr_warmup", "d_steps", "ema_start")] == [0, 1, 0]
    assert dcgan.main(["--dry-run", "--out", str(tmp_path), "--lr-warmup", "2", "--d-steps", "2",
                       "--ema-start", "1"]) == 0
    recorded = json.loads((tmp_path / "config.json").read_text())
    assert [recorded[key] for key in ("lr_warmup", "d_steps", "ema_start")] == [2, 2, 1]
    counts = checkpoint.load_meta(checkpoint.find(tmp_path))["optimizer_counts"]
    assert [counts[net]["num_update"] for net in ("generator", "discriminator")] == [2, 4]


def test_a_new_run_never_overwrites_a_saved_one(dcgan_run, capsys):
    line = _exit_message(dcgan.main, ["--dry-run", "--out", str(dcgan_run)], capsys)
    assert "already holds a trained run (iter-000004): pass --resume" in line


def test_dcgan_refuses_a_checkpoint_of_another_architecture(dcgan_run, capsys):
    line = _exit_message(dcgan.main, ["--dry-run", "--out", str(dcgan_run), "--resume",
                                      "--ngf", "8"], capsys)
    assert "these flags differ: --ngf 8 (the run has 4)" in line


@pytest.mark.slow
@pytest.mark.parametrize("example, flag, made", [
    (dcgan, "--spectral-norm", "d_conv4_sn_u"), (cgan, "--minibatch-std", "d_fc_mbstd")],
    ids=["dcgan-spectral-norm", "cgan-minibatch-std"])
def test_a_discriminator_lever_is_recorded_and_a_resume_keeps_it(example, flag, made, tmp_path,
                                                                  capsys):
    out = ["--dry-run", "--out", str(tmp_path)]
    assert example.main(out + [flag]) == 0
    assert example.main(out + ["--resume", "--max-iters", "6"]) == 0
    key = flag[2:].replace("-", "_")
    assert json.loads((tmp_path / "config.json").read_text())[key] is True
    ckpt = checkpoint.find(tmp_path)
    graph = checkpoint_reading.load_symbol(ckpt, "discriminator").get_internals().list_outputs()
    assert checkpoint.load_meta(ckpt)["iteration"] == 6 and any(made in n for n in graph)
    line = _exit_message(example.main, out + ["--resume", "--no-" + flag[2:]], capsys)
    assert "these flags differ: %s False (the run has True)" % flag in line


def test_a_lever_a_run_was_trained_without_is_refused_on_resume(dcgan_run, capsys):
    line = _exit_message(dcgan.main, ["--dry-run", "--out", str(dcgan_run), "--resume",
                                      "--minibatch-std"], capsys)
    assert "these flags differ: --minibatch-std True (the run has False)" in line


@pytest.mark.parametrize("example", [dcgan, cgan], ids=["dcgan", "cgan"])
def test_help_names_the_discriminator_levers_and_what_they_do(example, capsys):
    with pytest.raises(SystemExit) as exited:
        example.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert exited.value.code == 0
    assert "--minibatch-std, --no-minibatch-std" in text and "each device's share" in text
    assert "--spectral-norm, --no-spectral-norm" in text and "drop D's BatchNorm" in text


@pytest.mark.parametrize("example", [dcgan, cgan], ids=["dcgan", "cgan"])
def test_help_lists_the_examples_profiles_and_their_defaults(example, capsys):
    with pytest.raises(SystemExit):
        example.main(["--help"])
    text = capsys.readouterr().out
    listed = text[text.index("profiles (--profile NAME"):].splitlines()[1:]
    assert [line.split()[0] for line in listed] == list(example.PROFILE_NOTES)
    assert set(example.PROFILE_NOTES) == set(example.PROFILES)
    assert "(default: on in cpu; off in the other profiles)" in " ".join(text.split())


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


def _snapshot(directory, but=()):
    """Every entry under ``directory`` (``but`` those named) with its size and modification
    time."""
    return {str(p.relative_to(directory)): (p.lstat().st_size, p.lstat().st_mtime_ns)
            for p in Path(directory).rglob("*") if p.name not in but}


@pytest.mark.parametrize("example, fixture, argv", [
    ("cgan", "dcgan_run", ["--infer", "3"]),
    ("cgan", "dcgan_run", ["--interpolate"]),
    ("cgan", "dcgan_run", ["--dry-run", "--resume"]),
    ("cgan", "dcgan_run", ["--dry-run"]),
    ("dcgan", "cgan_run", ["--generate", "4"]),
    ("dcgan", "cgan_run", ["--interpolate"]),
    ("dcgan", "cgan_run", ["--dry-run", "--resume"]),
])
def test_a_run_given_to_the_other_example_names_its_model_and_example(example, fixture, argv,
                                                                      request, capsys):
    run_dir = request.getfixturevalue(fixture)
    before = _snapshot(run_dir)
    main = {"dcgan": dcgan, "cgan": cgan}[example].main
    holds = fixture.split("_")[0]
    line = _exit_message(main, argv + ["--out", str(run_dir)], capsys)
    assert line == ("error: %s holds a %s run, not a %s one: open it with python examples/"
                    "%s_mnist.py" % (run_dir, holds.upper(), example.upper(), holds))
    assert _snapshot(run_dir) == before


# A directory a user owns, as --out: training must not write a byte into it.
FOREIGN_DIRECTORIES = {
    "own config and metrics": ({"config.json": '{"experiment": 7}', "metrics.jsonl": "{}\n",
                                "data.csv": "1,2\n"}, "its config.json names no model and dataset"),
    "config not json": ({"config.json": "lr = 0.1\n"}, "its config.json is not JSON"),
    "foreign file in checkpoints": ({"config.json": json.dumps({"model": "dcgan",
                                                                "dataset": "mnist"}),
                                     "checkpoints/README": "mine"},
                                    "its checkpoints/ holds README, not checkpoints"),
}


@pytest.mark.parametrize("case", sorted(FOREIGN_DIRECTORIES))
def test_training_never_writes_into_a_directory_no_run_wrote(case, tmp_path, capsys):
    files, reason = FOREIGN_DIRECTORIES[case]
    owned = tmp_path / "owned"
    for name, text in files.items():
        (owned / name).parent.mkdir(parents=True, exist_ok=True)
        (owned / name).write_text(text)
    (tmp_path / "link").symlink_to(owned)
    before = _snapshot(owned)
    for run_dir in (owned, tmp_path / "link"):
        line = _exit_message(dcgan.main, ["--dry-run", "--out", str(run_dir)], capsys)
        assert line.startswith("error: %s" % run_dir) and "is not an mxgan run (%s)" % reason \
            in line and line.endswith(": pass --out a new or empty directory")
    assert _snapshot(owned) == before


def test_an_empty_out_is_refused_instead_of_filling_the_current_directory(tmp_path, capsys,
                                                                          monkeypatch):
    monkeypatch.chdir(tmp_path)
    line = _exit_message(dcgan.main, ["--dry-run", "--out", ""], capsys)
    assert line.startswith("error: argument --out: must be a path, got ''")
    assert list(tmp_path.iterdir()) == []


def test_resume_with_max_iters_below_the_checkpoint_is_refused_leaving_the_record(
        dcgan_run, tmp_path, capsys):
    run_dir = tmp_path / "run"
    shutil.copytree(dcgan_run, run_dir)
    before = _snapshot(run_dir, but=[".lock"])  # the lock is taken, and names the process
    line = _exit_message(dcgan.main, ["--dry-run", "--resume", "--max-iters", "3", "--out",
                                      str(run_dir)], capsys)
    assert line == ("error: --max-iters 3 would end the run at step 3, before step 4, where its "
                    "checkpoint is: pass a larger value to continue it")
    assert _snapshot(run_dir, but=[".lock"]) == before


def test_a_runs_meta_json_without_a_key_every_reader_needs_is_named(dcgan_run, tmp_path,
                                                                    capsys):
    run_dir = tmp_path / "run"
    shutil.copytree(dcgan_run, run_dir)
    ckpt = checkpoint.find(run_dir)
    meta = json.loads((ckpt / "meta.json").read_text())
    del meta["config"]["batch_size"]
    (ckpt / "meta.json").write_text(json.dumps(meta))  # a hand edit, the manifest dropped
    (ckpt / checkpoint.MANIFEST).unlink()
    with pytest.raises(SystemExit, match="2"):
        dcgan.main(["--generate", "4", "--out", str(run_dir)])
    assert capsys.readouterr().err.splitlines() == [
        "warning: skipping a damaged checkpoint: %s lacks batch_size in the config of its run"
        % (ckpt / "meta.json"),
        "error: no trained model at %s (its checkpoints are all damaged): put back an intact "
        "copy of one, or train another run with --out DIR" % run_dir]


@pytest.mark.slow
def test_a_resume_past_step_999999_continues_the_newest_and_prunes_the_oldest(dcgan_run,
                                                                              tmp_path):
    """Checkpoints iter-999999 and iter-1000000 from the real writer: as text the first is
    newer, by step the second; the resume must continue from step 1,000,000."""
    run_dir = tmp_path / "run"
    shutil.copytree(dcgan_run, run_dir)
    config = checkpoint.load_meta(checkpoint.find(run_dir))["config"]
    trainer, _ = run.build("dcgan", config, [mx.cpu()], Cluster(), dry_run=True)
    loop.restore(trainer, checkpoint.find(run_dir))
    for iteration in (999999, 1000000):
        checkpoint.save(run_dir, iteration, trainer.checkpoint_states(), {"config": config})
    assert dcgan.main(["--dry-run", "--resume", "--max-iters", "1000001", "--out", str(run_dir),
                       "--checkpoint-every", "1"]) == 0
    assert [p.name for p in checkpoint.list_checkpoints(run_dir)] == ["iter-1000000",
                                                                      "iter-1000001"]
    rows = (run_dir / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(r)["iteration"] for r in rows][-2:] == [4, 1000001]


@pytest.mark.parametrize("env, message", [
    ({"DMLC_ROLE": "scheduler"}, "error: DMLC_ROLE=scheduler would make this process a KVStore "
                                 "scheduler, waiting for a job forever: unset DMLC_ROLE"),
    ({"DMLC_ROLE": "Worker"}, "error: DMLC_ROLE='Worker' is not a KVStore role"),
    ({"OMP_NUM_THREADS": "two"}, "error: OMP_NUM_THREADS='two' is not a whole number"),
], ids=["stale-scheduler-role", "role-typo", "threads-not-a-number"])
def test_an_environment_mxnet_would_hang_or_abort_in_is_refused_in_one_line(env, message,
                                                                            tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "dcgan_mnist.py"),
                             "--dry-run", "--out", str(tmp_path / "run")],
                            capture_output=True, text=True, timeout=60, env=dict(os.environ, **env))
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(message) and not (tmp_path / "run").exists()


def test_a_workers_variables_without_a_dist_kvstore_are_refused_before_data(monkeypatch, capsys,
                                                                           tmp_path):
    monkeypatch.setenv("DMLC_ROLE", "worker")
    monkeypatch.setenv("DMLC_PS_ROOT_URI", "10.0.0.1")
    line = _exit_message(dcgan.main, ["--dry-run", "--out", str(tmp_path / "run")], capsys)
    assert line == ("error: DMLC_ROLE=worker DMLC_PS_ROOT_URI=10.0.0.1 set, a KVStore job's "
                    "worker variables, but --kvstore is local: unset them, or pass --kvstore "
                    "dist_sync to train in the job")
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_tensorboard_curves_continue_a_resumed_run_without_a_repeated_step(tmp_path):
    base = ["--dry-run", "--out", str(tmp_path), "--tensorboard", "--sample-every", "2",
            "--checkpoint-every", "3"]
    assert dcgan.main(base + ["--max-iters", "6"]) == 0
    shutil.rmtree(checkpoint.find(tmp_path))  # as if killed after logging 4-6, before saving 6
    assert dcgan.main(base + ["--max-iters", "8", "--resume"]) == 0
    events = tiny.read_events(tmp_path / "tensorboard")
    assert [event.step for event in events.Scalars("loss/G")] == list(range(1, 9))
    assert [image.step for image in events.Images("samples/fixed_noise")] == [2, 4, 6, 8]
    assert len(list((tmp_path / "tensorboard").iterdir())) == 2  # one event file per run


def test_tensorboard_without_tensorboardx_is_one_line_naming_the_extra(tmp_path, capsys,
                                                                      monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # import fails: not installed
    line = _exit_message(dcgan.main, ["--dry-run", "--tensorboard", "--out", str(tmp_path)],
                         capsys)
    assert line == 'error: --tensorboard needs tensorboardX: pip install -e ".[tensorboard]"'
    assert not (tmp_path / "metrics.jsonl").exists()


def test_a_diverging_run_exits_3_naming_the_step_and_saves_nothing(tmp_path, capsys):
    assert dcgan.main(["--dry-run", "--lr", "1e30", "--out", str(tmp_path)]) == DIVERGED_EXIT
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1].startswith("error: step 1 made a parameter or gradient NaN or infinite")
    assert lines[-1].endswith("see docs/dcgan.md#troubleshooting")
    assert checkpoint.list_checkpoints(tmp_path) == []
    assert not (tmp_path / "samples").exists()
