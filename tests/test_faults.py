"""Faults a user meets end in one line: a write that fails (full or read-only disk), a count or
width that cannot fit, a checkpoint holding NaN, Ctrl-C; injected here at each writer."""
import errno
import json
import signal
import subprocess
import sys
from pathlib import Path

from mxgan import cli, evaluate, launch, run
from mxgan.common import capacity, files, viz
from mxgan.common.capacity import TooLarge
from mxgan.common.checks import UsageError
from mxgan.common.files import STAGING_PREFIX, WriteFailed
from mxgan.quality import classifier
from mxgan.runs import lookup
from mxgan.runs.board import EventFile
from mxgan.runs.rundir import MetricsLog, read_metrics
from mxgan.runs.showcase import check_walk_size, read_picture
from mxgan.training import checkpoint, checkpoint_reading, generate
from mxgan.training.checkpoint import NonFinite
from mxgan.training.recipe import Recipe

import mxnet as mx
import numpy as np
import pytest

import tiny

ROOT = Path(__file__).resolve().parent.parent
FULL = OSError(errno.ENOSPC, "No space left on device")


def _leftovers(root):
    return [p for p in root.rglob(STAGING_PREFIX + "*")]


@pytest.fixture
def saved(tmp_path, real_u8):
    """(trainer, run directory) with DCGAN checkpoints at iterations 1 and 2."""
    trainer = tiny.dcgan(recipe=Recipe(ema_decay=0.9))
    for iteration in (1, 2):
        trainer.step(**tiny.batch("dcgan", real_u8))
        config = {"nz": tiny.NZ, "batch_size": tiny.BATCH, "dataset": "mnist", "seed": 0,
                  "model": "dcgan"}
        checkpoint.save(tmp_path, iteration, trainer.checkpoint_states(), {"config": config})
    return trainer, tmp_path


# ---- a failed write: one line, the file, the free space, what survived --------------------------

def _fails_on_write(monkeypatch, target):
    """Make ``target``'s write (an object with a ``write`` attribute, patched) fail as a full
    disk does."""
    def full(*args, **kwargs):
        raise FULL
    monkeypatch.setattr(target, "write", full)


def test_a_full_disk_under_an_atomic_write_names_the_file_and_keeps_the_old_one(tmp_path,
                                                                               monkeypatch):
    path = tmp_path / "samples" / "latest.png"
    files.atomic_write_bytes(path, b"old")
    monkeypatch.setattr(files.os, "fsync", lambda fd: (_ for _ in ()).throw(FULL))
    with pytest.raises(WriteFailed) as caught:
        viz.write_png(path, np.zeros((4, 4, 1), np.uint8))
    assert caught.value.path == path and caught.value.errno == errno.ENOSPC
    assert str(caught.value).startswith("cannot write %s: No space left on device (" % path)
    assert "free on its filesystem now)" in str(caught.value)
    assert path.read_bytes() == b"old" and not _leftovers(tmp_path)


def test_a_full_disk_in_a_checkpoint_names_its_final_file_and_leaves_the_older_ones(
        saved, monkeypatch):
    trainer, run_dir = saved
    real_open = open
    opened = []

    def states_fail(path, mode="r", *args, **kwargs):
        if str(path).endswith(".states") and "w" in mode:
            opened.append(path)
            raise FULL
        return real_open(path, mode, *args, **kwargs)
    monkeypatch.setattr("builtins.open", states_fail)
    with pytest.raises(WriteFailed) as caught:
        checkpoint.save(run_dir, 3, trainer.checkpoint_states(), {"config": {}})
    monkeypatch.undo()
    assert opened and STAGING_PREFIX in str(opened[0])  # written under the staging name,
    assert caught.value.path.parent == run_dir / "checkpoints" / "iter-000003"  # named as final
    assert [p.name for p in checkpoint.list_checkpoints(run_dir)] == ["iter-000001", "iter-000002"]
    assert not _leftovers(run_dir) and checkpoint.find(run_dir).name == "iter-000002"


def test_mxnets_write_incomplete_on_a_full_disk_is_recognised(saved, monkeypatch):
    trainer, run_dir = saved

    def incomplete(*args, **kwargs):
        raise mx.base.MXNetError("Check failed: std::fwrite(ptr, 1, size, fp_) == size: "
                                 "FileStream.Write incomplete")
    monkeypatch.setattr(mx.nd, "save", incomplete)
    monkeypatch.setattr(files, "free_bytes", lambda path: 100)
    with pytest.raises(WriteFailed, match=r"iter-000003/generator-0003.params: No space left"):
        checkpoint.save(run_dir, 3, trainer.checkpoint_states(), {"config": {}})
    assert not _leftovers(run_dir)


def test_an_mxnet_error_with_room_to_write_is_not_taken_for_a_full_disk(saved, monkeypatch):
    trainer, run_dir = saved
    monkeypatch.setattr(mx.nd, "save", lambda *a: (_ for _ in ()).throw(
        mx.base.MXNetError("some other failure")))
    with pytest.raises(mx.base.MXNetError, match="some other failure"):
        checkpoint.save(run_dir, 3, trainer.checkpoint_states(), {"config": {}})


def test_the_metrics_log_and_the_lock_raise_a_failed_write(tmp_path, monkeypatch):
    log = MetricsLog(tmp_path / "metrics.jsonl", 0, 8)
    log.add_score(1, {"fd_ratio": 2.0}, 0.0)
    monkeypatch.setattr(json, "dumps", lambda row: (_ for _ in ()).throw(FULL))
    with pytest.raises(WriteFailed, match="metrics.jsonl: No space left"):
        log.add_score(2, {"fd_ratio": 1.5}, 0.0)
    monkeypatch.undo()
    assert [row["iteration"] for row in read_metrics(tmp_path / "metrics.jsonl", None)] == [1]


def test_tensorboard_events_raise_a_failed_write_in_the_training_thread(tmp_path, monkeypatch):
    pytest.importorskip("tensorboardX")
    from tensorboardX.summary import scalar
    events = EventFile(tmp_path / "tb")
    events.add(scalar("loss", 1.0), 1)
    _fails_on_write(monkeypatch, events._records)
    with pytest.raises(WriteFailed, match="events.out.tfevents.*No space left"):
        events.add(scalar("loss", 0.5), 2)


def test_a_resumed_board_purges_the_steps_after_its_checkpoint(tmp_path):
    pytest.importorskip("tensorboardX")
    from tensorboardX.summary import scalar
    first = EventFile(tmp_path, suffix=".a")
    for step in range(1, 7):
        first.add(scalar("loss", float(step)), step)
    first.close()
    resumed = EventFile(tmp_path, suffix=".b", purge_step=5)
    for step in range(5, 9):
        resumed.add(scalar("loss", 10.0 + step), step)
    resumed.close()
    read = [(e.step, e.value) for e in tiny.read_events(tmp_path).Scalars("loss")]
    assert read == [(1, 1), (2, 2), (3, 3), (4, 4), (5, 15), (6, 16), (7, 17), (8, 18)]


def test_the_guard_maps_each_fault_to_one_line_and_its_exit_code(capsys, tmp_path):
    cases = [(UsageError("bad flag"), 2, "error: bad flag"),
             (WriteFailed(tmp_path / "x.png", "Read-only file system", errno.EROFS), 4,
              "error: cannot write %s: Read-only file system (" % (tmp_path / "x.png")),
             (OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "y")), 4,
              "error: cannot write %s: No space left on device (" % (tmp_path / "y")),
             (KeyboardInterrupt(), 130, "error: interrupted (Ctrl-C)")]
    for error, code, line in cases:
        @cli.main_guard
        def main(argv=None):
            raise error
        with pytest.raises(SystemExit) as caught:
            main([])
        err = capsys.readouterr().err
        assert caught.value.code == code and err.startswith(line) and err.count("\n") == 1


def test_other_os_errors_are_not_dressed_as_a_full_disk():
    @cli.main_guard
    def main(argv=None):
        raise ConnectionResetError(errno.ECONNRESET, "reset")
    with pytest.raises(ConnectionResetError):
        main([])


def test_ctrl_c_in_the_middle_of_a_checkpoint_leaves_the_older_ones_whole(saved, monkeypatch):
    trainer, run_dir = saved
    monkeypatch.setattr(mx.nd, "save", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save(run_dir, 3, trainer.checkpoint_states(), {"config": {}})
    assert not _leftovers(run_dir) and checkpoint.find(run_dir).name == "iter-000002"


def test_an_old_checkpoint_is_removed_whole_or_not_at_all(saved, monkeypatch):
    trainer, run_dir = saved
    removed = []
    monkeypatch.setattr(files.shutil, "rmtree", lambda path, **kw: removed.append(path))
    # rmtree removes nothing: as if killed in the middle of deleting iter-000001
    checkpoint.save(run_dir, 3, trainer.checkpoint_states(), {"config": {}}, keep=2)
    assert [p.name for p in checkpoint.list_checkpoints(run_dir)] == ["iter-000002", "iter-000003"]
    doomed = [p.name for p in removed if "iter-000001" in p.name]
    assert len(doomed) == 1 and doomed[0].startswith(STAGING_PREFIX)


def test_a_read_only_run_directory_is_a_failed_write_naming_what_survived(saved, monkeypatch):
    _, run_dir = saved

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")
    monkeypatch.setattr(files.tempfile, "TemporaryFile", read_only)
    args = type("Args", (), dict(out=run_dir, dataset="mnist", dry_run=False))
    with pytest.raises(WriteFailed, match="cannot write %s: Read-only file system.*step 2"
                                          % run_dir):
        run.run_directory(args, "dcgan")


# ---- a checkpoint holding NaN is damaged ------------------------------------------------------

def _poison(ckpt, pattern="generator-*.params"):
    """Set one array of a checkpoint file to NaN and rewrite the manifest to match, as a run
    that diverged between two checks could leave it."""
    path = next(ckpt.glob(pattern))
    if path.suffix == ".params":
        params = mx.nd.load(str(path))
        key = sorted(params)[0]
        params[key][:] = np.nan
        mx.nd.save(str(path), params)
    else:
        states = checkpoint_reading.load_states(ckpt, path.name.split("-")[0])
        first = states[0][0] if isinstance(states[0], tuple) else states[0]
        first[:] = np.inf
        path.write_bytes(__import__("pickle").dumps(states))
    (ckpt / checkpoint.MANIFEST).write_text(json.dumps(checkpoint._describe_files(ckpt)))


@pytest.mark.parametrize("pattern", ["generator-*.params", "discriminator-*.states",
                                     "generator_ema-*.params"])
def test_a_checkpoint_holding_nan_is_skipped_with_a_warning_naming_it(saved, capsys, pattern):
    _, run_dir = saved
    newest = checkpoint.list_checkpoints(run_dir)[-1]
    _poison(newest, pattern)
    assert checkpoint.find(run_dir).name == "iter-000001"
    err = capsys.readouterr().err
    assert "warning: skipping a damaged checkpoint: %s" % newest in err
    assert "holds NaN or infinite values" in err and "using %s" % (newest.parent /
                                                                   "iter-000001") in err
    with pytest.raises(NonFinite):
        checkpoint.find(run_dir, newest)


def test_a_run_whose_checkpoints_all_hold_nan_says_so_and_what_to_do(saved, capsys):
    _, run_dir = saved
    for ckpt in checkpoint.list_checkpoints(run_dir):
        _poison(ckpt)
    with pytest.raises(NonFinite, match="all hold NaN or infinite values"):
        checkpoint.find(run_dir)
    with pytest.raises(UsageError, match="start another run with --out DIR.*lower --lr") as err:
        lookup.require_checkpoint(run_dir)
    assert "Train again" not in str(err.value)


def test_a_checkpoint_given_by_name_that_holds_nan_is_refused_naming_another(saved):
    _, run_dir = saved
    newest = checkpoint.list_checkpoints(run_dir)[-1]
    _poison(newest)
    with pytest.raises(UsageError, match="holds NaN.*pass another --checkpoint"):
        lookup.require_checkpoint(run_dir, newest)


# ---- counts that cannot fit ---------------------------------------------------------------

def test_samples_stream_to_an_array_and_a_grid_of_the_first_256(saved, tmp_path):
    _, run_dir = saved
    module, config = generate.open_generator(run_dir)
    drawn, _ = generate.draw(module, config, 300, seed=2)
    batches = generate.draw_batches(module, config, 300, seed=2)
    png, npy = generate.write_sample_files(batches, 300, (1, 28, 28), tmp_path / "out", "g")
    np.testing.assert_array_equal(np.load(npy), drawn)
    assert read_picture(png).shape == (2 * (16 * 30 + 2),) * 2 + (1,)


def test_a_count_the_disk_cannot_hold_is_refused_before_drawing(saved, monkeypatch, capsys):
    _, run_dir = saved
    monkeypatch.setattr(capacity, "free_bytes", lambda path: 10 ** 6)
    monkeypatch.setattr(generate, "load_generator", None)  # drawing would fail with a TypeError
    with pytest.raises(TooLarge, match=r"writing 4,000,000,000 samples \(generated.npy and "
                                       r".png\) needs 11.4 TiB .* and 976.6 KiB is free"):
        run.write_samples(run_dir, 4 * 10 ** 9, model="dcgan")
    assert not (run_dir / "generated.npy").exists()


def test_a_failed_write_of_samples_leaves_no_array(saved, monkeypatch):
    _, run_dir = saved
    module, config = generate.open_generator(run_dir)

    def batches():
        yield from generate.draw_batches(module, config, 8)
        raise FULL
    with pytest.raises(WriteFailed, match="generated.npy"):
        generate.write_sample_files(batches(), 16, (1, 28, 28), run_dir, "generated")
    assert not (run_dir / "generated.npy").exists() and not _leftovers(run_dir)


def test_widths_beyond_what_mxnet_describes_are_refused_by_the_parser():
    assert cli.width_type("65536") == 65536
    for text in ("65537", "10000000000", "0"):
        with pytest.raises(Exception, match="an integer from 1 to 65536"):
            cli.width_type(text)


@pytest.mark.parametrize("content, message", [
    (b"", "cannot read .* as a .npy array"),
    (b"hello world" * 8, "cannot read .* as a .npy array: the magic string"),
    (None, "is cut short: its header promises 1000000000000x28x28 of float32"),
])
def test_a_damaged_npy_is_refused_in_one_line_before_reading_it(tmp_path, content, message):
    path = tmp_path / "samples.npy"
    if content is None:
        with open(path, "wb") as f:
            np.lib.format.write_array_header_1_0(
                f, {"descr": "<f4", "fortran_order": False, "shape": (10 ** 12, 28, 28)})
            f.write(b"\0" * 64)
    else:
        path.write_bytes(content)
    with pytest.raises(UsageError, match=message):
        evaluate._load_npy(path)


def test_an_npy_larger_than_memory_is_refused_before_reading_it(tmp_path, monkeypatch):
    path = tmp_path / "samples.npy"
    np.save(path, np.zeros((10, 28, 28), np.float32))
    monkeypatch.setattr(capacity, "available_memory", lambda: 1000)
    with pytest.raises(TooLarge, match="reading .*samples.npy needs at least"):
        evaluate._load_npy(path)


def test_walks_too_large_for_a_picture_are_refused_before_drawing():
    config = {"nz": 8, "batch_size": 8}
    with pytest.raises(TooLarge, match="--rows 8 and --steps 100000 make interpolation.png"):
        check_walk_size(config, None, 10 ** 5)
    check_walk_size(config, None, 10)


def test_a_job_of_more_processes_than_memory_holds_is_refused(capsys):
    with pytest.raises(SystemExit) as caught:
        launch.parse_args(["-n", "1000000", "--", "python", "-c", "1"])
    err = capsys.readouterr().err
    assert caught.value.code == 2 and err.count("\n") == 1
    assert err.startswith("error: -n 1000000 and -s 1 start 1000002 processes of MXNet, which "
                          "need at least 238.4 TiB of memory")


@pytest.mark.slow
def test_ctrl_c_twice_while_training_ends_in_one_line_and_no_partial_checkpoint(tmp_path):
    """The first Ctrl-C asks for a checkpoint and a stop; the second aborts whatever runs."""
    command = [sys.executable, str(ROOT / "examples" / "dcgan_mnist.py"), "--dry-run", "--offline",
               "--out", str(tmp_path / "run"), "--max-iters", "100000", "--checkpoint-every", "3"]
    job = subprocess.Popen(command, stderr=subprocess.PIPE, text=True,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen = ""
    while "it/s" not in seen:  # training has started
        seen += job.stderr.read(1)
    job.send_signal(signal.SIGINT)
    job.send_signal(signal.SIGINT)
    rest = job.stderr.read()
    assert job.wait() == 130 and "Traceback" not in rest
    last = rest.replace("\r", "\n").strip().splitlines()[-1]
    assert last.startswith(("error: interrupted (Ctrl-C)", "stopped at iteration"))
    assert not _leftovers(tmp_path)
    if (tmp_path / "run" / "checkpoints").is_dir():
        checkpoint.find(tmp_path / "run")


@pytest.mark.parametrize("device", ["/dev/null", "/dev/full"])
def test_an_output_file_that_is_a_device_is_refused_not_replaced(device):
    with pytest.raises(UsageError, match="%s is a device, pipe or socket" % device):
        files.check_writable_file(device)


def test_a_classifier_cache_that_cannot_be_written_costs_a_warning_not_the_scores(
        tmp_path, monkeypatch, caplog):
    def incomplete(*args, **kwargs):
        raise mx.base.MXNetError("FileStream.Write incomplete")
    monkeypatch.setattr(mx.model, "save_checkpoint", incomplete)
    classifier._save(tmp_path / "cache", (None, {}, {}), {"dataset": "mnist"})
    assert "cannot cache the classifier in %s" % (tmp_path / "cache") in caplog.text
    assert not (tmp_path / "cache").exists() and not _leftovers(tmp_path)
